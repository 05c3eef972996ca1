/**
 * ProducerSlot (producer-slot.ts): a producer whose connect was in flight when the slot was reset or
 * closed is disconnected once its connect settles (it kept a broker socket alive after the log
 * closed), and a closed slot refuses every send. The producers here are objects with kafkajs'
 * connect/disconnect/send shape whose settling each test controls: this is the slot's own logic.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Producer } from 'kafkajs';
import { ProducerSlot } from '../../../src/log/kafka/producer-slot.js';
import { KafkaLogStateError } from '../../../src/log/kafka/errors.js';
import { isPermanent } from '../../../src/log/kafka/client.js';

interface Made {
  connected: boolean;
  disconnected: boolean;
  connect: { open(): void; fail(e: Error): void };
}
function factory() {
  const made: Made[] = [];
  const create = (): Producer => {
    let open!: () => void;
    let fail!: (e: Error) => void;
    const connecting = new Promise<void>((resolve, reject) => {
      open = resolve;
      fail = reject;
    });
    const m: Made = { connected: false, disconnected: false, connect: { open, fail } };
    made.push(m);
    return {
      connect: async () => {
        await connecting;
        m.connected = true;
      },
      disconnect: async () => {
        m.disconnected = true;
      },
      send: async () => [{ topicName: 't', partition: 0, errorCode: 0 }],
    } as unknown as Producer;
  };
  return { made, create };
}
const tick = () => new Promise((r) => setTimeout(r, 1));

test('close() while a connect is in flight disconnects that producer once it connects, and refuses later sends', async () => {
  const f = factory();
  const slot = new ProducerSlot(f.create);
  const sending = slot.send({ topic: 't', messages: [] });
  await tick();
  let closed = false;
  const closing = slot.close().then(() => {
    closed = true;
  });
  await tick();
  assert.equal(closed, false, 'close() waits for the connect in flight');
  f.made[0]!.connect.open();
  await closing;
  assert.equal(f.made[0]!.disconnected, true, 'the orphaned producer was disconnected');
  await assert.rejects(sending, KafkaLogStateError);
  await assert.rejects(slot.send({ topic: 't', messages: [] }), (e: unknown) => e instanceof KafkaLogStateError && isPermanent(e));
  assert.equal(f.made.length, 1, 'nothing was connected after close()');
});

test('reset() while a connect is in flight: that producer is disconnected, the sender goes on with a fresh one', async () => {
  const f = factory();
  const slot = new ProducerSlot(f.create);
  const sending = slot.send({ topic: 't', messages: [] });
  await tick();
  await slot.reset();
  f.made[0]!.connect.open();
  await tick();
  assert.equal(f.made[0]!.disconnected, true);
  assert.equal(f.made.length, 2, 'a fresh producer is connecting');
  f.made[1]!.connect.open();
  assert.equal((await sending).length, 1);
  assert.equal(f.made[1]!.disconnected, false);
  await slot.close();
  assert.equal(f.made[1]!.disconnected, true);
});
