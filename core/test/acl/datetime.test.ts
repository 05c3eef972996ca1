import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  AclValidationError,
  formatFipaDateTime,
  MAX_FIPA_EPOCH_MS,
  MIN_FIPA_EPOCH_MS,
  parseFipaDateTime,
  tryParseFipaDateTime,
} from '../../src/acl/index.js';

// Independent oracle: the FIPA form is the ISO 8601 basic form of Date#toISOString.
function viaIso(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2023-11-14T22:13:20.000Z (years 0000–9999)
  return (
    iso.slice(0, 4) +
    iso.slice(5, 7) +
    iso.slice(8, 10) +
    'T' +
    iso.slice(11, 13) +
    iso.slice(14, 16) +
    iso.slice(17, 19) +
    iso.slice(20, 23) +
    'Z'
  );
}

describe('FIPA DateTime', () => {
  it('formats and parses a known instant', () => {
    assert.equal(formatFipaDateTime(1_700_000_000_000), '20231114T221320000Z');
    assert.equal(parseFipaDateTime('20231114T221320000Z'), 1_700_000_000_000);
    assert.equal(parseFipaDateTime('20020314T091400500Z'), Date.UTC(2002, 2, 14, 9, 14, 0, 500));
  });

  it('agrees with Date#toISOString over the whole 0000–9999 range, both ways', () => {
    fc.assert(
      fc.property(fc.integer({ min: MIN_FIPA_EPOCH_MS, max: MAX_FIPA_EPOCH_MS }), (ms) => {
        const text = formatFipaDateTime(ms);
        assert.equal(text, viaIso(ms));
        assert.equal(parseFipaDateTime(text), ms);
      }),
      { numRuns: 2000 },
    );
  });

  it('does not shift years 0000–0099 into the 1900s', () => {
    const d = new Date(0);
    d.setUTCFullYear(42, 0, 2);
    assert.equal(parseFipaDateTime('00420102T000000000Z'), d.getTime());
    assert.equal(formatFipaDateTime(d.getTime()), '00420102T000000000Z');
  });

  it('reads a token without type designator as UTC unless told the local offset', () => {
    const utc = Date.UTC(2023, 10, 14, 22, 13, 20, 0);
    assert.equal(parseFipaDateTime('20231114T221320000'), utc);
    assert.equal(parseFipaDateTime('20231114T221320000', { localTimeOffsetMinutes: 60 }), utc - 3_600_000);
    assert.equal(parseFipaDateTime('20231114T221320000Z', { localTimeOffsetMinutes: 60 }), utc, 'Z is never shifted');
  });

  it('accepts lower-case t and z', () => {
    assert.equal(parseFipaDateTime('20231114t221320000z'), 1_700_000_000_000);
  });

  it('reads signed tokens relative to now, counting years as 365 and months as 30 days like JADE', () => {
    const now = 1_000_000_000_000;
    assert.equal(parseFipaDateTime('+00000000T010000000', { now }), now + 3_600_000);
    assert.equal(parseFipaDateTime('-00000001T000000000', { now }), now - 86_400_000);
    assert.equal(parseFipaDateTime('+00010100T000000001Z', { now }), now + (365 + 30) * 86_400_000 + 1);
  });

  it('rejects impossible calendar values and malformed tokens', () => {
    for (const bad of [
      '20231314T000000000Z', // month 13
      '20230229T000000000Z', // not a leap year
      '19000229T000000000Z', // century, not a leap year
      '20230431T000000000Z', // April has 30 days
      '20230100T000000000Z', // day 0
      '20230101T240000000Z', // hour 24
      '20230101T006000000Z', // minute 60
      '20230101T000060000Z', // second 60
      '20230101T000000000A', // designator without a defined meaning
      '20021212T10101010', // 8 time digits
      '2021-03-28T23:06:48.487Z', // ISO 8601 extended form
      '',
      'T',
      '20231114221320000Z',
    ]) {
      const r = tryParseFipaDateTime(bad);
      assert.equal(r.ok, false, bad);
      assert.throws(
        () => parseFipaDateTime(bad),
        (e: unknown) => e instanceof AclValidationError && e.rule === 'reply-by.invalid',
        bad,
      );
    }
    assert.equal(parseFipaDateTime('20240229T000000000Z'), Date.UTC(2024, 1, 29));
    assert.equal(parseFipaDateTime('20000229T000000000Z'), Date.UTC(2000, 1, 29));
  });

  it('refuses to format instants it cannot write', () => {
    for (const bad of [MAX_FIPA_EPOCH_MS + 1, MIN_FIPA_EPOCH_MS - 1, 1.5, Number.NaN, Infinity]) {
      assert.throws(() => formatFipaDateTime(bad), RangeError, String(bad));
    }
  });
});
