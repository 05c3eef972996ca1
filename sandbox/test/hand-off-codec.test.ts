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
    badIndex[badIndex.length - 1] = 7;
    assert.throws(() => decodeWork(badIndex), /does not hold/);
    const results = encodeResults([result({ status: 'ok' })]);
    assert.throws(() => decodeResults(results.slice(0, -1)), RangeError);
    const badStatus = [...results];
    badStatus[1] = 9;
    assert.throws(() => decodeResults(badStatus), RangeError);
  });
});
