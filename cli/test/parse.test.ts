import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../src/cli-error.js';
import {
  parseAddress,
  parseConfigPairs,
  parseDuration,
  parseFuel,
  parseMemory,
  parsePerformative,
  parseRawMessage,
  parseReplyBy,
  parseSince,
  parseUserParams,
} from '../src/parse.js';

const usage = (fn: () => unknown, pattern: RegExp, hint?: RegExp): void => {
  assert.throws(
    fn,
    (err: unknown) => err instanceof UsageError && pattern.test(err.message) && (hint === undefined || hint.test(err.hint ?? '')),
  );
};

describe('flag parsing', () => {
  it('reads --config pairs, splitting at the first =', () => {
    assert.deepEqual(parseConfigPairs(['a=1', 'url=http://x?y=z', 'empty=']), { a: '1', url: 'http://x?y=z', empty: '' });
    usage(() => parseConfigPairs(['novalue']), /expects key=value/);
    usage(() => parseConfigPairs(['=v']), /expects key=value/);
    usage(() => parseConfigPairs(['a=1', 'a=2']), /sets "a" twice/);
  });

  it('reads --memory as pages or as a size rounded up to pages', () => {
    assert.equal(parseMemory('256'), 256);
    assert.equal(parseMemory('16MiB'), 256);
    assert.equal(parseMemory('16m'), 256);
    assert.equal(parseMemory('100KiB'), 2);
    assert.equal(parseMemory('1GB'), 15259);
    assert.equal(parseMemory('4GiB'), 65536);
    usage(() => parseMemory('0'), /1-65536 pages/);
    usage(() => parseMemory('5GiB'), /1-65536 pages/);
    usage(() => parseMemory('lots'), /neither a page count nor a size/);
    usage(() => parseMemory('1.5'), /1-65536 pages/);
  });

  it('reads --fuel with separators and suffixes', () => {
    assert.equal(parseFuel('1000'), 1000);
    assert.equal(parseFuel('10_000_000'), 10_000_000);
    assert.equal(parseFuel('2,500'), 2500);
    assert.equal(parseFuel('5M'), 5_000_000);
    assert.equal(parseFuel('1.5k'), 1500);
    assert.equal(parseFuel('2g'), 2_000_000_000);
    usage(() => parseFuel('-5'), /not a number/, /--fuel 10M/);
    usage(() => parseFuel('0'), /≥ 1/, /--fuel 10M/);
    usage(() => parseFuel('99999999999G'), /whole number/, /--fuel 10M/);
  });

  it('reads durations', () => {
    assert.equal(parseDuration('90s'), 90_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('2d'), 172_800_000);
    assert.equal(parseDuration('10'), undefined);
    assert.equal(parseDuration('10x'), undefined);
    assert.equal(parseDuration('5m garbage'), undefined);
  });

  it('reads --since and --reply-by relative to now, or as dates', () => {
    const now = Date.parse('2026-11-21T12:00:00Z');
    assert.equal(parseSince('10m', now), now - 600_000);
    assert.equal(parseSince('2026-11-21T10:00:00Z', now), Date.parse('2026-11-21T10:00:00Z'));
    assert.equal(parseReplyBy('30s', now), now + 30_000);
    assert.equal(parseReplyBy('+1m', now), now + 60_000);
    usage(() => parseSince('yesterday', now), /neither a duration nor a date/);
    usage(() => parseReplyBy('soon', now), /neither a duration nor a date/);
  });

  it('accepts the 22 FIPA performatives in any case', () => {
    assert.equal(parsePerformative('QUERY-REF'), 'query-ref');
    assert.equal(parsePerformative('cfp'), 'cfp');
    assert.throws(
      () => parsePerformative('shout'),
      (err: unknown) => err instanceof UsageError && /accept-proposal, agree/.test(err.hint ?? ''),
    );
  });

  it('requires X- on user parameters', () => {
    assert.deepEqual(parseUserParams(['X-trace=1', 'x-Lower=2']), { 'X-trace': '1', 'x-Lower': '2' });
    usage(() => parseUserParams(['trace=1']), /must start with X-/);
  });

  it('tells JSON from the FIPA string form in --raw', () => {
    assert.deepEqual(parseRawMessage(' {"performative":"inform"} '), { json: '{"performative":"inform"}' });
    assert.deepEqual(parseRawMessage('(inform :content "x")'), { fipa: '(inform :content "x")' });
    usage(() => parseRawMessage('inform x'), /JSON .* or in the FIPA string form/);
  });

  it('checks --addr', () => {
    for (const ok of ['127.0.0.1:50051', 'localhost:1', '[::1]:50051', 'dns:///caxton.svc:443', 'unix:/tmp/caxton.sock'])
      assert.equal(parseAddress(ok), ok);
    for (const bad of ['localhost', '127.0.0.1:99999', 'http://x:1', ':50051']) usage(() => parseAddress(bad), /is not host:port/);
  });
});
