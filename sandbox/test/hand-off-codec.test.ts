/**
 * The flat hand-off between the bus thread and the shards (hand-off-codec.ts): every message,
 * delivery and result survives the round trip exactly, a message shared by many deliveries is
 * encoded once, and a damaged record is refused instead of read as something else.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { AclMessage, AgentId, HttpCall, StateWrite } from '@caxton/core';
import { decodeResults, decodeWork, encodeResults, encodeWork } from '../src/shard/hand-off-codec.js';
import { WideMessagesKept, WideMessagesSent } from '../src/shard/wide-messages.js';
import type { Work, WorkResult } from '../src/results.js';

const text = fc.string({ maxLength: 12 });
const agentId: fc.Arbitrary<AgentId> = fc.oneof(
  fc.record({ name: text }, { noNullPrototype: true }),
  fc.record({ name: text, addresses: fc.array(text, { maxLength: 2 }) }, { requiredKeys: ['name'], noNullPrototype: true }),
  fc.record({ name: text, userParams: fc.dictionary(text, text, { maxKeys: 2, noNullPrototype: true }) }, { noNullPrototype: true }),
);
const message: fc.Arbitrary<AclMessage> = fc.record(
  {
    performative: fc.constantFrom('inform', 'request', 'cfp', 'propose'),
    sender: agentId, receivers: fc.array(agentId, { maxLength: 4 }), replyTo: fc.array(agentId, { maxLength: 2 }),
    content: text, language: text, encoding: text, ontology: text, protocol: text, conversationId: text,
    replyWith: text, inReplyTo: text, replyBy: fc.integer({ min: 0, max: 2 ** 40 }),
    userParams: fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }).map((k) => `X-${k}`), text, { maxKeys: 3, noNullPrototype: true }),
  },
  { requiredKeys: ['performative', 'receivers'], noNullPrototype: true },
) as fc.Arbitrary<AclMessage>;

// Keys and values of any text (reserved keys begin with U+0000), deletes as null.
const stateWrite: fc.Arbitrary<StateWrite> = fc.record({ key: fc.string({ maxLength: 10 }), value: fc.option(fc.string({ maxLength: 20 }), { nil: null }) }, { noNullPrototype: true });
const httpCall: fc.Arbitrary<HttpCall> = fc.record({
  id: text,
  request: fc.record({
    method: fc.constantFrom('GET', 'POST', 'DELETE'), url: text, headers: fc.array(fc.tuple(text, text), { maxLength: 3 }),
    body: text, timeoutMs: fc.integer({ min: 1, max: 60_000 }), context: text,
  }, { requiredKeys: ['method', 'url', 'headers'], noNullPrototype: true }),
}, { noNullPrototype: true });

const delivery = (m: AclMessage, receiver: string, i: number): Work => ({
  kind: 'message', agent: `${receiver}@caxton`,
  delivery: { id: `m${i}>${receiver}`, messageId: `m${i}`, receiver, message: m, acceptedAt: 1_700_000_000_000 + i },
});

function result(extra: Partial<WorkResult> & Pick<WorkResult, 'status'>): WorkResult {
  return {
    agent: 'echo@caxton', workId: 'm1>echo', messageId: 'm1', fuelUsed: 1234, initFuelUsed: 0, durationUs: 17, state: 'running', restarts: 0,
    outbox: [], timers: [], directory: [], stateWrites: [], http: [], logs: [], droppedLogLines: 0, ...extra,
  } as WorkResult;
}

describe('hand-off codec', () => {
  it('round-trips any batch of deliveries and timers exactly', () => {
    fc.assert(fc.property(fc.array(message, { maxLength: 6 }), fc.boolean(), (messages, withTimer) => {
      const batch: Work[] = messages.map((m, i) => delivery(m, `r${i}`, i));
      if (withTimer) batch.push({ kind: 'timer', agent: 'clock@caxton', id: 'timer:t1', token: 'tok' });
      assert.deepStrictEqual(decodeWork(encodeWork(batch)), batch);
    }), { numRuns: 300 });
  });

  it('round-trips results of every status, with outbox, timers, logs and directory operations', () => {
    fc.assert(fc.property(fc.array(message, { maxLength: 3 }), (outbox) => {
      const results: WorkResult[] = [
        result({ status: 'ok', outbox, timers: [{ delayMs: 250, token: 'again' }], logs: [{ level: 'info', message: 'hi', source: 'agent', at: 5 }] }),
        result({ status: 'ok', directory: [{ kind: 'register-service', service: { name: 'quotes', type: 'pricing', protocols: [], ontologies: [], languages: [], properties: {} } }, { kind: 'deregister-service', serviceName: 'old' }] }),
        result({ status: 'rejected', reason: 'bad request', outbox, droppedLogLines: 3 }),
        result({ status: 'crashed', kind: 'out-of-fuel', message: 'fuel exhausted', restartHistory: [1, 2], state: 'idle', restarts: 2,
          error: { code: 'sandbox.agent.out-of-fuel', message: 'fuel exhausted', hint: 'raise fuelPerMessage', context: { agent: 'echo', fuel: 10 } } }),
        result({ status: 'not-running', reason: 'agent is failed', state: 'failed', messageId: null, workId: 'timer:x' }),
        result({ status: 'skipped', reason: 'not run: an earlier item crashed' }),
      ];
      assert.deepStrictEqual(decodeResults(encodeResults(results)), results);
    }), { numRuns: 100 });
  });

  it('round-trips the state writes and HTTP calls of results exactly (deletes, reserved keys, optional request fields)', () => {
    fc.assert(fc.property(fc.array(stateWrite, { maxLength: 5 }), fc.array(httpCall, { maxLength: 3 }), fc.array(message, { maxLength: 2 }), (stateWrites, http, outbox) => {
      const results: WorkResult[] = [
        result({ status: 'ok', stateWrites, http, outbox }),
        result({ status: 'rejected', reason: 'no', stateWrites, http }),
        result({ status: 'ok' }),
      ];
      assert.deepStrictEqual(decodeResults(encodeResults(results)), results);
    }), { numRuns: 300 });
  });

  it('encodes a message shared by many deliveries once, and the decoded deliveries share it', () => {
    const receivers = Array.from({ length: 1000 }, (_, i) => ({ name: `sink-${i}@caxton` }));
    const shared: AclMessage = { performative: 'inform', sender: { name: 'boss@caxton' }, receivers, content: 'news' };
    const batch = receivers.map((r, i): Work => ({
      kind: 'message', agent: r.name, delivery: { id: `m>${i}`, messageId: 'm', receiver: `sink-${i}`, message: shared, acceptedAt: 1 },
    }));
    const flat = encodeWork(batch);
    // One message (~1,000 names) plus 7 slots per delivery: linear, not 1,000 × 1,000.
    assert.ok(flat.length < 1_000 + 7 * 1_000 + 20, `flat length ${flat.length}`);
    const decoded = decodeWork(flat);
    assert.deepStrictEqual(decoded, batch);
    const first = decoded[0]!;
    const last = decoded[999]!;
    assert.ok(first.kind === 'message' && last.kind === 'message' && first.delivery.message === last.delivery.message);
  });

  it('keeps a user parameter named __proto__ as data, never as the prototype', () => {
    const userParams: Record<string, string> = {};
    Object.defineProperty(userParams, '__proto__', { value: 'x', enumerable: true, writable: true, configurable: true });
    const [w] = decodeWork(encodeWork([delivery({ performative: 'inform', receivers: [], userParams }, 'a', 1)]));
    const got = w!.kind === 'message' ? w!.delivery.message.userParams! : {};
    assert.equal(Object.getPrototypeOf(got), Object.prototype);
    assert.deepStrictEqual(Object.entries(got), [['__proto__', 'x']]);
  });

  it('refuses a record that ends early or has trailing data', () => {
    const flat = encodeWork([delivery({ performative: 'inform', receivers: [{ name: 'a' }], content: 'x' }, 'a', 1)]);
    assert.throws(() => decodeWork(flat.slice(0, -2)), RangeError);
    assert.throws(() => decodeWork([...flat, 'extra']), RangeError);
    const badIndex = [...flat];
    badIndex[badIndex.length - 2] = 7; // the last delivery's message index (the forget count follows)
    assert.throws(() => decodeWork(badIndex), /does not hold/);
    const results = encodeResults([result({ status: 'ok' })]);
    assert.throws(() => decodeResults(results.slice(0, -1)), RangeError);
    const badStatus = [...results];
    badStatus[1] = 9;
    assert.throws(() => decodeResults(badStatus), RangeError);
  });

  describe('wide messages kept across batches (decision 2003)', () => {
    const wide = (tag: string, n = 1000): AclMessage => ({
      performative: 'inform', sender: { name: 'boss@caxton' }, receivers: Array.from({ length: n }, (_, i) => ({ name: `sink-${i}@caxton` })), content: tag,
    });
    const slice = (m: AclMessage, from: number, to: number, tag = m.content!): Work[] => m.receivers.slice(from, to).map((r, i): Work => ({
      kind: 'message', agent: r.name, delivery: { id: `${tag}>${from + i}`, messageId: tag, receiver: r.name, message: m, acceptedAt: 1 },
    }));

    it('sends a wide message to a shard once: later batches carry its key and decode to the same object', () => {
      const sent = new WideMessagesSent();
      const kept = new WideMessagesKept();
      const m = wide('news');
      const first = encodeWork(slice(m, 0, 10), sent);
      const second = encodeWork(slice(m, 10, 20), sent);
      assert.ok(first.length > 1000, `the first batch carries the list (${first.length})`);
      assert.ok(second.length < 100, `a later batch carries the key only (${second.length})`);
      const a = decodeWork(first, kept);
      const b = decodeWork(second, kept);
      assert.deepStrictEqual(a, slice(m, 0, 10));
      assert.deepStrictEqual(b, slice(m, 10, 20));
      assert.ok(a[0]!.kind === 'message' && b[0]!.kind === 'message' && a[0]!.delivery.message === b[0]!.delivery.message);
      assert.equal(kept.size, 1);
    });

    it('keeps a message with at most 16 receivers inline, with or without the store', () => {
      const sent = new WideMessagesSent();
      const kept = new WideMessagesKept();
      const m = wide('small', 16);
      for (let k = 0; k < 3; k++) assert.deepStrictEqual(decodeWork(encodeWork(slice(m, k, k + 1), sent), kept), slice(m, k, k + 1));
      assert.equal(sent.size, 0);
      assert.equal(kept.size, 0);
    });

    it('stays within its bound: the least recently sent is forgotten on both sides, and comes back in full when sent again', () => {
      const sent = new WideMessagesSent({ capacity: 3 });
      const kept = new WideMessagesKept({ capacity: 3 });
      const ms = ['a', 'b', 'c', 'd'].map((t) => wide(t, 40));
      for (const m of ms) assert.deepStrictEqual(decodeWork(encodeWork(slice(m, 0, 2), sent), kept), slice(m, 0, 2));
      assert.equal(sent.size, 3);
      assert.equal(kept.size, 3);
      // 'a' was evicted: sent again in full (a new key), decoded equal.
      const again = encodeWork(slice(ms[0]!, 2, 4), sent);
      assert.ok(again.length > 40);
      assert.deepStrictEqual(decodeWork(again, kept), slice(ms[0]!, 2, 4));
      assert.equal(kept.size, 3);
      // One batch with more distinct wide messages than the bound: whole, and the bound holds after it.
      const many = Array.from({ length: 8 }, (_, i) => wide(`x${i}`, 20));
      const batch = many.flatMap((m) => slice(m, 0, 2));
      assert.deepStrictEqual(decodeWork(encodeWork(batch, sent), kept), batch);
      assert.equal(sent.size, 3);
      assert.ok(kept.size <= 3, `kept ${kept.size}`);
    });

    it('agrees with the worker over any sequence of batches (model check against the messages sent)', () => {
      const pool = Array.from({ length: 6 }, (_, i) => wide(`p${i}`, 17 + i));
      fc.assert(fc.property(fc.array(fc.array(fc.nat({ max: 5 }), { minLength: 1, maxLength: 5 }), { maxLength: 20 }), fc.integer({ min: 1, max: 4 }), (batches, cap) => {
        const sent = new WideMessagesSent({ capacity: cap });
        const kept = new WideMessagesKept({ capacity: cap });
        for (const picks of batches) {
          const batch = picks.flatMap((p, j) => slice(pool[p]!, j, j + 1));
          assert.deepStrictEqual(decodeWork(encodeWork(batch, sent), kept), batch);
          assert.ok(kept.size <= cap && sent.size <= cap);
        }
      }), { numRuns: 200 });
    });

    it('after a failed batch both sides start over: the next batch tells the worker to forget all and carries the list again', () => {
      const sent = new WideMessagesSent();
      const kept = new WideMessagesKept();
      const m = wide('news');
      decodeWork(encodeWork(slice(m, 0, 5), sent), kept);
      sent.resynchronise();
      const next = encodeWork(slice(m, 5, 10), sent);
      assert.equal(next[0], 1);
      assert.ok(next.length > 1000);
      assert.deepStrictEqual(decodeWork(next, kept), slice(m, 5, 10));
      assert.equal(kept.size, 1);
      assert.equal(encodeWork(slice(m, 10, 11), sent)[0], 0);
    });

    it('refuses a key the worker does not keep, a kept entry without a store, and a bad header', () => {
      const sent = new WideMessagesSent();
      const m = wide('news');
      encodeWork(slice(m, 0, 1), sent);
      const later = encodeWork(slice(m, 1, 2), sent);
      assert.throws(() => decodeWork(later, new WideMessagesKept()), /does not keep/);
      assert.throws(() => decodeWork(later), /neither inline nor kept/);
      const bad = [...later];
      bad[0] = 2;
      assert.throws(() => decodeWork(bad, new WideMessagesKept()), /bad header/);
    });
  });
});
