import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KafkaMessage } from 'kafkajs';
import { decodeDeadLetter, decodeDelivery, encodeDeadLetter, encodeDelivery } from '../../../src/bus/kafka/codec.js';
import type { Delivery } from '@caxton/core';

/** What kafkajs hands the consumer for a record we produced (headers arrive as Buffers). */
function asFetched(m: ReturnType<typeof encodeDelivery>, offset = '7'): KafkaMessage {
  const headers = Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, Buffer.from(String(v))]));
  return {
    key: Buffer.from(String(m.key)), value: Buffer.from(String(m.value)), headers,
    offset, timestamp: '0', attributes: 0,
  };
}

const delivery: Delivery = {
  id: 'm1/bob', messageId: 'm1', receiver: 'bob', acceptedAt: 1_700_000_000_123,
  message: {
    performative: 'request', sender: { name: 'alice@p' }, receivers: [{ name: 'bob@p' }],
    content: '(action bob (do "ünïcode"))', conversationId: 'c-1', replyBy: 1_700_000_100_000,
    userParams: { 'X-traceparent': '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
  },
};

describe('Kafka record codec', () => {
  it('round-trips a delivery; key is the receiver, value the ACL JSON', () => {
    const rec = encodeDelivery(delivery, 3);
    assert.equal(rec.key, 'bob');
    assert.equal(rec.partition, 3);
    assert.equal(JSON.parse(String(rec.value)).performative, 'request');
    assert.deepEqual(decodeDelivery(asFetched(rec)), delivery);
  });

  it('round-trips a dead letter', () => {
    const letter = { delivery, reason: 'handler crashed 3 times', attempts: 3, at: 1_700_000_200_000 };
    assert.deepEqual(decodeDeadLetter(asFetched(encodeDeadLetter(letter))), letter);
  });

  it('rejects records that are not Caxton deliveries', () => {
    const rec = asFetched(encodeDelivery(delivery, 0));
    assert.throws(() => decodeDelivery({ ...rec, headers: {} } as KafkaMessage), /version/);
    assert.throws(() => decodeDelivery({ ...rec, value: Buffer.from('{"performative":"shout"}') }));
    assert.throws(() => decodeDelivery({ ...rec, value: Buffer.from('not json') }));
  });
});
