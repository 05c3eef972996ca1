import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { IHeaders, Message } from 'kafkajs';
import type { Delivery } from '@caxton/core';
import { MAC_HEADER, RecordKeyRing, parseRecordKeys } from '../../../src/log/kafka/record-mac.js';
import { RecordKeyError } from '../../../src/log/kafka/errors.js';
import { encodeDeadLetter, encodeDelivery } from '../../../src/log/kafka/codec.js';
import { encodeEntry, withTxHeader } from '../../../src/log/kafka/state-records.js';

const TOPIC = 'caxton.deliveries';
const key = (id: string) => ({ id, secret: randomBytes(32) });

const delivery: Delivery = {
  id: 'd-1',
  messageId: 'm-1',
  receiver: 'echo',
  acceptedAt: 1_700_000_000_000,
  message: { performative: 'request', sender: { name: 'client' }, receivers: [{ name: 'echo' }], content: 'hello' },
};

/** What kafkajs hands a reader for a record we produced: key, value and header values as Buffers. */
function fetched(m: Message): { key: Buffer | null; value: Buffer | null; headers: IHeaders } {
  const buf = (v: unknown): Buffer | null => (v === null || v === undefined ? null : Buffer.isBuffer(v) ? v : Buffer.from(String(v)));
  const headers: IHeaders = {};
  for (const [n, v] of Object.entries(m.headers ?? {})) headers[n] = Array.isArray(v) ? v.map((x) => buf(x)!) : buf(v)!;
  return { key: buf(m.key), value: buf(m.value), headers };
}

function signed(ring: RecordKeyRing, m: Message, topic = TOPIC) {
  ring.sign(topic, m.partition ?? 0, m);
  return fetched(m);
}

describe('record MACs (decision 2185)', () => {
  const ring = new RecordKeyRing([key('k1')]);

  it('a record the ring signed verifies as produced and as read, deliveries, dead letters and state records alike', () => {
    const d = encodeDelivery(delivery, 3);
    ring.sign(TOPIC, 3, d);
    assert.match(String(d.headers?.[MAC_HEADER]), /^k1:[A-Za-z0-9_-]{22}$/);
    assert.deepEqual(ring.verify(TOPIC, 3, d), { ok: true, keyId: 'k1' });
    assert.deepEqual(ring.verify(TOPIC, 3, fetched(d)), { ok: true, keyId: 'k1' });
    const letter = encodeDeadLetter({ delivery, reason: 'x', attempts: 2, at: 5 });
    assert.equal(ring.verify('caxton.dead-letters', 0, signed(ring, letter, 'caxton.dead-letters')).ok, true);
    const [state] = withTxHeader([encodeEntry('echo', { key: 'k', value: 'v' })], { kind: 'deliveries', counts: [1], clocks: [-1] });
    assert.equal(ring.verify('caxton.state', 0, signed(ring, { ...state! }, 'caxton.state')).ok, true);
    // A tombstone (null value) is signed too.
    assert.equal(ring.verify('caxton.state', 0, signed(ring, { key: 'a\u0000k', value: null }, 'caxton.state')).ok, true);
  });

  it('refuses a record whose value, key, header or topic was changed', () => {
    const good = signed(ring, encodeDelivery(delivery, 0));
    const value = Buffer.from(good.value!);
    value[value.length - 1] = value[value.length - 1]! ^ 1;
    assert.equal(ring.verify(TOPIC, 0, { ...good, value }).ok, false, 'value');
    assert.equal(ring.verify(TOPIC, 0, { ...good, key: Buffer.from('other') }).ok, false, 'key');
    assert.equal(ring.verify(TOPIC, 0, { ...good, value: null }).ok, false, 'value removed');
    assert.equal(
      ring.verify(TOPIC, 0, { ...good, headers: { ...good.headers, 'caxton-dl-reason': Buffer.from('x') } }).ok,
      false,
      'header added',
    );
    assert.equal(ring.verify('caxton.state', 0, good).ok, false, 'another topic');
    assert.equal(ring.verify(TOPIC, 1, good).ok, false, 'another partition (a copy replayed there)');
    const letter = signed(ring, encodeDeadLetter({ delivery, reason: 'timeout', attempts: 2, at: 5 }));
    assert.equal(ring.verify(TOPIC, 0, letter).ok, true);
    assert.equal(
      ring.verify(TOPIC, 0, { ...letter, headers: { ...letter.headers, 'caxton-dl-reason': Buffer.from('other') } }).ok,
      false,
      'header changed',
    );
    // Empty and null are not the same value.
    const empty = signed(ring, { key: 'a', value: Buffer.alloc(0) });
    assert.equal(ring.verify(TOPIC, 0, { ...empty, value: null }).ok, false, 'empty vs null');
  });

  it('refuses a missing, malformed, doubled or foreign tag, and one of an unknown key', () => {
    const good = signed(ring, encodeDelivery(delivery, 0));
    const noMac = { ...good, headers: {} };
    assert.deepEqual(ring.verify(TOPIC, 0, noMac), { ok: false, reason: `no ${MAC_HEADER} header` });
    assert.equal(ring.verify(TOPIC, 0, { ...good, headers: undefined }).ok, false);
    assert.equal(ring.verify(TOPIC, 0, { ...good, headers: { [MAC_HEADER]: Buffer.from('garbage') } }).ok, false);
    assert.equal(
      ring.verify(TOPIC, 0, {
        ...good,
        headers: { [MAC_HEADER]: [good.headers[MAC_HEADER] as Buffer, good.headers[MAC_HEADER] as Buffer] },
      }).ok,
      false,
    );
    const tag = String(good.headers[MAC_HEADER]);
    // Stray characters a lenient base64 decoder would skip are not the same tag.
    assert.equal(ring.verify(TOPIC, 0, { ...good, headers: { [MAC_HEADER]: `${tag}!` } }).ok, false);
    const other = new RecordKeyRing([key('k1')]);
    assert.match((other.verify(TOPIC, 0, good) as { reason: string }).reason, /bad caxton-mac tag \(key k1\)/);
    const unknown = new RecordKeyRing([key('k2')]);
    assert.deepEqual(unknown.verify(TOPIC, 0, good), { ok: false, reason: 'unknown record key k1' });
  });

  it('rotates without downtime: a ring [new, old] verifies both, signs with new; [old] alone refuses new', () => {
    const old = key('old');
    const fresh = key('new');
    const before = new RecordKeyRing([old]);
    const during = new RecordKeyRing([fresh, old]);
    const byOld = signed(before, encodeDelivery(delivery, 0));
    const byNew = signed(during, encodeDelivery(delivery, 0));
    assert.equal(during.verify(TOPIC, 0, byOld).ok, true);
    assert.equal(during.verify(TOPIC, 0, byNew).ok, true);
    assert.match(String(byNew.headers[MAC_HEADER]), /^new:/);
    assert.equal(before.verify(TOPIC, 0, byNew).ok, false);
    assert.deepEqual(during.ids, ['new', 'old']);
  });

  it('header order does not matter; the signer replaces a tag already there', () => {
    const m = { key: 'a', value: 'v', headers: { b: '2', a: '1', [MAC_HEADER]: 'forged:xxxx' } } as Message;
    ring.sign(TOPIC, 0, m);
    const read = fetched(m);
    const reordered: IHeaders = {};
    for (const n of Object.keys(read.headers).reverse()) reordered[n] = read.headers[n];
    assert.equal(ring.verify(TOPIC, 0, { ...read, headers: reordered }).ok, true);
  });

  it('key files: parsed line by line; bad ids, bad base64, short secrets, duplicates and empty files refused with a hint', () => {
    const s = randomBytes(32).toString('base64');
    assert.deepEqual(
      parseRecordKeys(`# rotation\nnew ${s}\n\nold ${s}\n`, 'f').map((k) => k.id),
      ['new', 'old'],
    );
    const refused = (text: string, pattern: RegExp) =>
      assert.throws(
        () => new RecordKeyRing(parseRecordKeys(text, 'keys.txt')),
        (e: unknown) =>
          e instanceof RecordKeyError && e.code === 'log.record-key-invalid' && pattern.test(e.message) && e.hint !== undefined,
      );
    refused('', /lists no record key/);
    refused('# only a comment\n', /lists no record key/);
    refused(`k1 ${s} extra`, /line 1: expected/);
    refused(`bad/id ${s}`, /not a plain name/);
    refused('k1 not*base64', /not base64/);
    refused(`k1 ${randomBytes(16).toString('base64')}`, /16 bytes; at least 32/);
    refused(`k1 ${s}\nk1 ${s}`, /listed twice/);
    assert.doesNotMatch(
      (() => {
        try {
          parseRecordKeys(`k1 ${s} extra`, 'f');
          return '';
        } catch (e) {
          return (e as Error).message;
        }
      })(),
      new RegExp(s.slice(0, 10).replace(/[+/]/g, '.')),
      'the secret is never in the message',
    );
  });
});
