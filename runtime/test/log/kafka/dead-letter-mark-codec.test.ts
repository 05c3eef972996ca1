/**
 * The Kafka dead-letter mark records (decision 1860), pure: a mark round-trips; a letter is no
 * mark; a record claiming to be a mark but malformed is refused rather than trusted (the reader
 * then skips it like any undecodable record); a build that predates marks cannot read one as a
 * dead letter.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import type { KafkaMessage } from 'kafkajs';
import {
  decodeDeadLetter,
  decodeDeadLetterMark,
  decodeQuarantined,
  encodeDeadLetter,
  encodeDeadLetterMark,
  encodeQuarantined,
  encodeQuarantinedPlace,
} from '../../../src/log/kafka/codec.js';
import type { DeadLetterMark } from '../../../src/log/message-log.js';
import { delivery } from './support/deliveries.js';

/** A produced Message as a consumer sees it. */
function consumed(m: { key?: unknown; value: unknown; headers?: Record<string, unknown> }): KafkaMessage {
  const headers = Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, Buffer.from(String(v))]));
  const key = m.key === undefined || m.key === null ? null : Buffer.isBuffer(m.key) ? m.key : Buffer.from(String(m.key));
  const value = m.value === null ? null : Buffer.isBuffer(m.value) ? m.value : Buffer.from(String(m.value));
  return { key, value, headers, offset: '0', timestamp: '0', attributes: 0, size: 0 } as unknown as KafkaMessage;
}

test('marks round-trip, keyed by the letter id; a letter is no mark', () => {
  const marks: DeadLetterMark[] = [
    { id: 'm-1>fragile', state: 'redriven', deliveryId: 'r-ab>steady', receiver: 'steady', at: 5 },
    { id: 'm-1>fragile', state: 'purged', at: 6 },
  ];
  for (const mark of marks) {
    const m = encodeDeadLetterMark(mark);
    assert.equal(m.key, mark.id);
    assert.deepEqual(decodeDeadLetterMark(consumed(m)), mark);
    assert.throws(() => decodeDeadLetter(consumed(m)), 'an older reader cannot take a mark for a letter');
  }
  const letter = encodeDeadLetter({ delivery: delivery('m-2', 'fragile'), reason: 'r', attempts: 3, at: 7 });
  assert.equal(decodeDeadLetterMark(consumed(letter)), undefined);
});

test('a malformed mark is refused, not trusted', () => {
  for (const value of [
    'not json',
    '{}',
    '{"id":"x","state":"redriven","at":1}',
    '{"id":"x","state":"gone","at":1}',
    '{"id":7,"state":"purged","at":1}',
    'null',
  ]) {
    assert.throws(() => decodeDeadLetterMark(consumed({ key: 'x', value, headers: { 'caxton-dl-mark': '1' } })), value);
  }
  assert.throws(() => decodeDeadLetterMark(consumed({ key: 'x', value: null, headers: { 'caxton-dl-mark': '1' } })));
});

test("a quarantined record is the node's own record: the original value as is, key and headers in one header of the node's; never a mark, never a letter (decision 2185)", () => {
  const mark = JSON.stringify({ id: 'm-1>fragile', state: 'purged', at: 1 });
  const injected = consumed({ key: 'm-1>fragile', value: mark, headers: { 'caxton-dl-mark': '1', other: 'x' } });
  const q = encodeQuarantined(injected, 'log.record-unauthenticated: no caxton-mac header', 'caxton.deliveries/0@7');
  assert.equal(q.key, null, 'not the original key');
  assert.deepEqual(q.value, Buffer.from(mark), 'the original value, byte for byte: no bigger than the record read');
  assert.deepEqual(
    Object.keys(q.headers ?? {}).sort(),
    ['caxton-dl-original', 'caxton-dl-quarantined', 'caxton-dl-reason', 'caxton-dl-source'],
    "the node's headers only",
  );
  assert.equal(decodeDeadLetterMark(consumed(q)), undefined);
  assert.throws(() => decodeDeadLetter(consumed(q)));
  assert.deepEqual(decodeQuarantined(consumed(q)), {
    key: Buffer.from('m-1>fragile'),
    value: Buffer.from(mark),
    headers: { 'caxton-dl-mark': [Buffer.from('1')], other: [Buffer.from('x')] },
  });
  // A value in a delivery's layout, quarantined (its headers were what made it undecodable): still no letter.
  const letterLike = encodeDeadLetter({ delivery: delivery('m-3', 'fragile'), reason: 'r', attempts: 1, at: 2 });
  const q2 = encodeQuarantined(consumed(letterLike), 'undecodable record: x', 'caxton.deliveries/0@8');
  assert.throws(
    () => decodeDeadLetter(consumed({ ...q2, key: letterLike.key, headers: { ...q2.headers, ...letterLike.headers } })),
    'a quarantined record is never a letter',
  );
  // Place only (the copy refused as too large): no payload, the value's digest.
  const place = encodeQuarantinedPlace(injected, 'undecodable record: x', 'caxton.deliveries/0@7');
  assert.equal(place.value, null);
  assert.equal(place.key, null);
  assert.equal(decodeDeadLetterMark(consumed(place)), undefined);
  assert.deepEqual(decodeQuarantined(consumed(place)), {
    omitted: 'too large',
    valueBytes: mark.length,
    valueSha256: createHash('sha256').update(mark).digest('hex'),
  });
  // A copy as an older build made it (the original headers, a reason and source added): not a mark either.
  const oldCopy = consumed({
    key: 'm-1>fragile',
    value: mark,
    headers: { 'caxton-dl-mark': '1', 'caxton-dl-reason': 'undecodable record', 'caxton-dl-source': 'caxton.deliveries/0@7' },
  });
  assert.equal(decodeDeadLetterMark(oldCopy), undefined);
});
