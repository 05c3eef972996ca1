import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { KafkaMessage } from 'kafkajs';
import type { AclMessage, AgentId, Delivery } from '@caxton/core';
import { MESSAGE_INFO_LIMITS, PERFORMATIVES, validateAclMessage } from '@caxton/core';
import {
  DecodedBodies,
  decodeDeadLetter,
  decodeDelivery,
  deliveryIdOf,
  encodeDeadLetter,
  encodeDelivery,
  encodeDeliveryV1,
  encodeMessageBody,
} from '../../../src/log/kafka/codec.js';

/** What kafkajs hands the consumer for a record we produced (key, value and headers as Buffers). */
function asFetched(m: ReturnType<typeof encodeDelivery>, offset = '7'): KafkaMessage {
  const buf = (v: unknown) => (Buffer.isBuffer(v) ? v : Buffer.from(String(v)));
  const headers = Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, buf(v)]));
  return { key: buf(m.key), value: buf(m.value), headers, offset, timestamp: '0', attributes: 0 };
}

const delivery: Delivery = {
  id: 'm1/bob',
  messageId: 'm1',
  receiver: 'bob',
  acceptedAt: 1_700_000_000_123,
  message: {
    performative: 'request',
    sender: { name: 'alice@p' },
    receivers: [{ name: 'bob@p' }],
    content: '(action bob (do "ünïcode"))',
    conversationId: 'c-1',
    replyBy: 1_700_000_100_000,
    userParams: { 'X-traceparent': '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
  },
};

const full: Delivery = {
  id: 'm2/carol',
  messageId: 'm2',
  receiver: 'carol',
  acceptedAt: 1_700_000_000_999,
  message: {
    performative: 'inform',
    sender: {
      name: 'alice@p',
      addresses: ['http://h:7778/acc', 'grpc://h:1'],
      resolvers: [{ name: 'df@p', addresses: [] }],
      userParams: { 'X-a': '1' },
    },
    receivers: [{ name: 'carol@p' }, { name: 'dave@p', addresses: [] }],
    replyTo: [{ name: 'erin@p' }],
    content: 'x'.repeat(300),
    language: 'fipa-sl',
    encoding: 'utf-8',
    ontology: 'o',
    protocol: 'fipa-request',
    conversationId: 'c',
    replyWith: 'rw',
    inReplyTo: 'irt',
    replyBy: 1_800_000_000_000,
    userParams: {},
  },
};

describe('Kafka record codec', () => {
  it('writes version 2: key is the receiver, a compact binary value starting with 0x02, no headers', () => {
    const rec = encodeDelivery(delivery, 3);
    assert.equal(rec.key, 'bob');
    assert.equal(rec.partition, 3);
    assert.equal(rec.headers, undefined);
    const value = rec.value as Buffer;
    assert.equal(value[0], 2);
    // Smaller than version 1's JSON value plus its envelope headers.
    const v1 = encodeDeliveryV1(delivery, 3);
    const v1Bytes = String(v1.value).length + Object.entries(v1.headers!).reduce((n, [k, v]) => n + k.length + String(v).length, 0);
    assert.ok(value.length < v1Bytes, `${value.length} < ${v1Bytes}`);
    assert.deepEqual(decodeDelivery(asFetched(rec)), delivery);
    assert.equal(deliveryIdOf(asFetched(rec)), 'm1/bob');
  });

  it('round-trips every ACL parameter, keeping empty lists and empty maps as they were', () => {
    assert.deepEqual(decodeDelivery(asFetched(encodeDelivery(full, 0))), full);
  });

  it('shares one encoded message body between the receivers of a message (decision 1202)', () => {
    const body = encodeMessageBody(full.message);
    const toDave: Delivery = { ...full, id: 'm2/dave', receiver: 'dave' };
    for (const d of [full, toDave]) {
      const shared = encodeDelivery(d, 1, body);
      assert.deepEqual(shared.value, encodeDelivery(d, 1).value); // the same bytes as encoding alone
      assert.deepEqual(decodeDelivery(asFetched(shared)), d);
    }
  });

  it('decodes a multi-receiver message once for all its records: one shared object, only for equal bytes (decision 2003)', () => {
    const bodies = new DecodedBodies(2);
    const wide: Delivery = { ...full, message: { ...full.message, receivers: [{ name: 'bob' }, { name: 'dave' }, { name: 'erin' }] } };
    const body = encodeMessageBody(wide.message);
    const [a, b] = ['bob', 'dave'].map((r) =>
      decodeDelivery(asFetched(encodeDelivery({ ...wide, id: `m2/${r}`, receiver: r }, 1, body)), bodies),
    );
    assert.deepEqual(a, { ...wide, id: 'm2/bob', receiver: 'bob' });
    assert.deepEqual(b, { ...wide, id: 'm2/dave', receiver: 'dave' });
    assert.equal(a!.message, b!.message);
    // The same id with other bytes (never written by a node, but read as an attacker would): decoded as itself.
    const other: Delivery = { ...wide, id: 'm2/erin', receiver: 'erin', message: { ...wide.message, content: 'something else' } };
    const c = decodeDelivery(asFetched(encodeDelivery(other, 1)), bodies);
    assert.deepEqual(c, other);
    assert.notEqual(c.message, a!.message);
    // A one-receiver message is not kept; the store stays within its bound.
    decodeDelivery(asFetched(encodeDelivery(delivery, 1)), bodies);
    for (const id of ['m3', 'm4', 'm5']) decodeDelivery(asFetched(encodeDelivery({ ...wide, messageId: id, id: `${id}/bob` }, 1)), bodies);
    assert.equal(bodies.size, 2);
  });

  it('bounds the decoded bodies it keeps by bytes as well as count, and still decodes every record right (decision 2003)', () => {
    assert.equal(new DecodedBodies().capacity, MESSAGE_INFO_LIMITS.decodedBodies);
    assert.equal(new DecodedBodies().maxBytes, MESSAGE_INFO_LIMITS.decodedBodyBytes);
    const maxBytes = 400_000;
    const bodies = new DecodedBodies(64, maxBytes);
    const big = (i: number): Delivery => ({
      ...full,
      messageId: `big${i}`,
      id: `big${i}/bob`,
      message: { ...full.message, receivers: [{ name: 'bob' }, { name: 'dave' }], content: `${i}:`.padEnd(40_000, 'z') },
    });
    for (let i = 0; i < 20; i++) {
      const d = big(i);
      const body = encodeMessageBody(d.message);
      const [a, b] = ['bob', 'dave'].map((r) =>
        decodeDelivery(asFetched(encodeDelivery({ ...d, id: `big${i}/${r}`, receiver: r }, 1, body)), bodies),
      );
      assert.deepEqual(a, { ...d, id: `big${i}/bob`, receiver: 'bob' });
      assert.deepEqual(b, { ...d, id: `big${i}/dave`, receiver: 'dave' });
      assert.equal(a!.message, b!.message, 'kept while within the budget');
      assert.ok(bodies.bytes <= maxBytes, `${bodies.bytes} ≤ ${maxBytes}`);
    }
    assert.ok(bodies.size < 20 && bodies.size >= 8, `evicted by bytes, not count (${bodies.size} kept)`);
    // A body over an eighth of the budget is decoded per record and never kept.
    const huge: Delivery = { ...big(99), message: { ...big(99).message, content: 'h'.repeat(60_000) } };
    const hugeBody = encodeMessageBody(huge.message);
    const before = bodies.bytes;
    const [x, y] = ['bob', 'dave'].map((r) =>
      decodeDelivery(asFetched(encodeDelivery({ ...huge, id: `big99/${r}`, receiver: r }, 1, hugeBody)), bodies),
    );
    assert.deepEqual(x, { ...huge, id: 'big99/bob', receiver: 'bob' });
    assert.deepEqual(y, { ...huge, id: 'big99/dave', receiver: 'dave' });
    assert.notEqual(x!.message, y!.message);
    assert.equal(bodies.bytes, before);
  });

  it('still reads version 1 records (written before the upgrade)', () => {
    const old = asFetched(encodeDeliveryV1(delivery, 3));
    assert.deepEqual(decodeDelivery(old), delivery);
    assert.equal(deliveryIdOf(old), 'm1/bob');
  });

  it('reads a version-2 record as the previous build wrote it (golden bytes, padded string lengths)', () => {
    // Hand-written: before decision 2092 an ASCII string of 43–127 characters had the 2-byte length
    // 0x80|n, 0x00 (the content and conversation id below); the current writer gives them 1 byte.
    const text = (s: string) => Buffer.from(s, 'latin1');
    const value = Buffer.concat([
      Buffer.from([0x02]), // version 2
      Buffer.from([6]),
      text('m9/bob'), // delivery id
      Buffer.from([2]),
      text('m9'), // message id
      Buffer.from([0x00, 0xb0, 0x87, 0x56, 0xfe, 0xbc, 0x78, 0x42]), // accepted-at 1_700_000_000_123 (float64 LE)
      Buffer.from([6]),
      text('inform'), // performative
      Buffer.from([2, 1, 5]),
      text('bob@p'),
      Buffer.from([0, 0, 0]), // receivers: one agent, no addresses/resolvers/params
      Buffer.from([4, 0x80 | 50, 0x00]),
      text('c'.repeat(50)), // content, 50 characters, old 2-byte length
      Buffer.from([9, 0x80 | 45, 0x00]),
      text(`conv-${'x'.repeat(40)}`), // conversation id, 45 characters
      Buffer.from([0]), // end
    ]);
    const record: KafkaMessage = { key: Buffer.from('bob'), value, headers: {}, offset: '1', timestamp: '0', attributes: 0 };
    const expected: Delivery = {
      id: 'm9/bob',
      messageId: 'm9',
      receiver: 'bob',
      acceptedAt: 1_700_000_000_123,
      message: {
        performative: 'inform',
        receivers: [{ name: 'bob@p' }],
        content: 'c'.repeat(50),
        conversationId: `conv-${'x'.repeat(40)}`,
      },
    };
    assert.deepEqual(decodeDelivery(record), expected);
    // The same delivery written now is 2 bytes shorter (1-byte lengths) and decodes the same.
    const now = encodeDelivery(expected, 0).value as Buffer;
    assert.equal(now.length, value.length - 2);
    assert.deepEqual(decodeDelivery(asFetched(encodeDelivery(expected, 0))), expected);
  });

  it('round-trips a dead letter', () => {
    const letter = { delivery, reason: 'handler crashed 3 times', attempts: 3, at: 1_700_000_200_000 };
    assert.deepEqual(decodeDeadLetter(asFetched(encodeDeadLetter(letter))), letter);
  });

  it('rejects records that are not Caxton deliveries', () => {
    const rec = asFetched(encodeDeliveryV1(delivery, 0));
    assert.throws(() => decodeDelivery({ ...rec, headers: {} } as KafkaMessage), /version/);
    assert.throws(() => decodeDelivery({ ...rec, value: Buffer.from('{"performative":"shout"}') }));
    assert.throws(() => decodeDelivery({ ...rec, value: Buffer.from('not json') }));
    const v2 = asFetched(encodeDelivery(delivery, 0));
    assert.throws(() => decodeDelivery({ ...v2, value: v2.value!.subarray(0, v2.value!.length - 3) }), /truncated|past the end/);
    assert.throws(() => decodeDelivery({ ...v2, value: Buffer.concat([v2.value!, Buffer.from([0])]) }), /after the end/);
  });

  it('refuses a forged accepted-at that is not a finite time, and keeps a __proto__ parameter as data for validation to judge', () => {
    for (const acceptedAt of [Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => decodeDelivery(asFetched(encodeDelivery({ ...delivery, acceptedAt }, 0))), /finite/);
    }
    const userParams: Record<string, string> = {};
    Object.defineProperty(userParams, '__proto__', { value: 'x', enumerable: true, writable: true, configurable: true });
    const forged = { ...delivery, message: { ...delivery.message, userParams } };
    // Not silently dropped: the key reaches validation, which refuses it as the JSON codec would.
    assert.throws(() => decodeDelivery(asFetched(encodeDelivery(forged, 0))), /__proto__|X-|user/i);
  });

  it('validates the decoded message like the JSON codec does', () => {
    const bad = { ...delivery, message: { ...delivery.message, performative: 'shout' } as unknown as AclMessage };
    assert.throws(() => decodeDelivery(asFetched(encodeDelivery(bad, 0))), /performative/);
  });

  it('round-trips arbitrary deliveries (property)', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 40 });
    const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,15}@p$/);
    const agent: fc.Arbitrary<AgentId> = fc.record(
      { name, addresses: fc.array(fc.webUrl(), { maxLength: 2 }) },
      { requiredKeys: ['name'], noNullPrototype: true },
    );
    const message: fc.Arbitrary<AclMessage> = fc
      .record(
        {
          performative: fc.constantFrom(...PERFORMATIVES),
          sender: agent,
          receivers: fc.array(agent, { minLength: 1, maxLength: 3 }),
          content: text,
          protocol: text,
          conversationId: text,
          replyBy: fc.integer({ min: 0, max: 4_000_000_000_000 }),
          userParams: fc.dictionary(fc.stringMatching(/^X-[a-z]{1,8}$/), text, { maxKeys: 3, noNullPrototype: true }),
        },
        { requiredKeys: ['performative', 'receivers'], noNullPrototype: true },
      )
      .filter((m) => {
        // Only messages a node would accept: the codec validates on decode, as the JSON codec does.
        try {
          validateAclMessage(m);
          return true;
        } catch {
          return false;
        }
      });
    fc.assert(
      fc.property(message, fc.string({ minLength: 1, maxLength: 30 }), fc.integer({ min: 0, max: 2 ** 50 }), (m, id, at) => {
        const d: Delivery = { id, messageId: `${id}-m`, receiver: 'r', acceptedAt: at, message: m };
        assert.deepEqual(decodeDelivery(asFetched(encodeDelivery(d, 0))), d);
      }),
      { numRuns: 300 },
    );
  });
});
