import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Message } from 'kafkajs';
import { AppendBatcher } from '../../../src/log/kafka/append-batcher.js';

const rec = (n: number): Message => ({ key: `r${n}`, value: Buffer.from([n]) });

function batcher(send: (m: Message[]) => Promise<void>, maxBatch = 500, lingerMs = 0) {
  return new AppendBatcher({ send, resetProducer: async () => {}, maxBatch, timeoutMs: 1000, onRetry: () => {}, lingerMs });
}

const nextTurn = () => new Promise<void>((r) => setImmediate(r));

describe('AppendBatcher', () => {
  it('sends a burst appended in one turn of the event loop as one request', async () => {
    const requests: number[] = [];
    const b = batcher(async (m) => void requests.push(m.length));
    await Promise.all(Array.from({ length: 10 }, (_, i) => b.append([rec(i)])));
    assert.deepEqual(requests, [10]);
  });

  it('groups appends made while a request is in flight into the next one, in append order', async () => {
    const sent: string[][] = [];
    let release!: () => void;
    const first = new Promise<void>((r) => (release = r));
    const b = batcher(async (m) => {
      sent.push(m.map((x) => String(x.key)));
      if (sent.length === 1) await first;
    });
    const a = b.append([rec(0)]);
    await new Promise((r) => setImmediate(r)); // the first request is now in flight
    const rest = [b.append([rec(1)]), b.append([rec(2), rec(3)])];
    release();
    await Promise.all([a, ...rest]);
    assert.deepEqual(sent, [['r0'], ['r1', 'r2', 'r3']]);
  });

  it('never puts more than maxBatch records in one request unless one append alone is larger', async () => {
    const sizes: number[] = [];
    const b = batcher(async (m) => void sizes.push(m.length), 3);
    await Promise.all([b.append([rec(0), rec(1)]), b.append([rec(2), rec(3)]), b.append([rec(4), rec(5), rec(6), rec(7)])]);
    assert.deepEqual(sizes, [2, 2, 4]);
  });

  it('with a linger, an idle batcher lets appends of later turns join its first request', async () => {
    const requests: string[][] = [];
    // The ceiling of core's KAFKA_REQUEST_LIMIT_TABLE.lingerMs: the three turns below take far less than that.
    const b = batcher(async (m) => void requests.push(m.map((x) => String(x.key))), 500, 100);
    const sent = [b.append([rec(0)])];
    await nextTurn();
    sent.push(b.append([rec(1)]));
    await nextTurn();
    sent.push(b.append([rec(2)]));
    await Promise.all(sent);
    assert.deepEqual(requests, [['r0', 'r1', 'r2']]);
  });

  it('without a linger, appends of a later turn go in a request of their own', async () => {
    const requests: string[][] = [];
    const b = batcher(async (m) => void requests.push(m.map((x) => String(x.key))));
    const first = b.append([rec(0)]);
    await first;
    await b.append([rec(1)]);
    assert.deepEqual(requests, [['r0'], ['r1']]);
  });

  it('does not linger when maxBatch records are already queued', async () => {
    const requests: number[] = [];
    const b = batcher(async (m) => void requests.push(m.length), 2, 100);
    const sent = b.append([rec(0), rec(1)]);
    // One turn to gather (as without a linger), then the request: no 100 ms wait before it.
    await nextTurn();
    await nextTurn();
    assert.deepEqual(requests, [2]);
    await sent;
  });
});
