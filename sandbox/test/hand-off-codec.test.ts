/**
 * The flat hand-off between the bus thread and the shards (hand-off-codec.ts): every message,
 * delivery and result survives the round trip exactly, a message shared by many deliveries is
 * encoded once, and a damaged record is refused instead of read as something else.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { messageTextUnits, type AclMessage, type AgentId, type HttpCall, type StateWrite } from '@caxton/core';
import { decodeResults, decodeWork, encodeResults, encodeWork } from '../src/shard/hand-off-codec.js';
import { WideMessagesKept, WideMessagesSent } from '../src/shard/wide-messages.js';
import { NONE, type Work, type WorkResult } from '../src/results.js';
import { SandboxError } from '../src/errors.js';
import { MESSAGE_INFO_LIMITS } from '@caxton/core';

const text = fc.string({ maxLength: 12 });
const agentId: fc.Arbitrary<AgentId> = fc.oneof(
  fc.record({ name: text }, { noNullPrototype: true }),
  fc.record({ name: text, addresses: fc.array(text, { maxLength: 2 }) }, { requiredKeys: ['name'], noNullPrototype: true }),
  fc.record({ name: text, userParams: fc.dictionary(text, text, { maxKeys: 2, noNullPrototype: true }) }, { noNullPrototype: true }),
);
const message: fc.Arbitrary<AclMessage> = fc.record(
  {
    performative: fc.constantFrom('inform', 'request', 'cfp', 'propose'),
    sender: agentId,
    receivers: fc.array(agentId, { maxLength: 4 }),
    replyTo: fc.array(agentId, { maxLength: 2 }),
    content: text,
    language: text,
    encoding: text,
    ontology: text,
    protocol: text,
    conversationId: text,
    replyWith: text,
    inReplyTo: text,
    replyBy: fc.integer({ min: 0, max: 2 ** 40 }),
    userParams: fc.dictionary(
      fc.string({ minLength: 1, maxLength: 6 }).map((k) => `X-${k}`),
      text,
      { maxKeys: 3, noNullPrototype: true },
    ),
  },
  { requiredKeys: ['performative', 'receivers'], noNullPrototype: true },
) as fc.Arbitrary<AclMessage>;

// Keys and values of any text (reserved keys begin with U+0000), deletes as null.
const stateWrite: fc.Arbitrary<StateWrite> = fc.record(
  { key: fc.string({ maxLength: 10 }), value: fc.option(fc.string({ maxLength: 20 }), { nil: null }) },
  { noNullPrototype: true },
);
const httpCall: fc.Arbitrary<HttpCall> = fc.record(
  {
    id: text,
    request: fc.record(
      {
        method: fc.constantFrom('GET', 'POST', 'DELETE'),
        url: text,
        headers: fc.array(fc.tuple(text, text), { maxLength: 3 }),
        body: text,
        timeoutMs: fc.integer({ min: 1, max: 60_000 }),
        context: text,
        // An A2A call's answer form (decision 2193) crosses the hand-off with the call.
        a2a: fc.constantFrom('a2a' as const, 'a2a-stream' as const),
      },
      { requiredKeys: ['method', 'url', 'headers'], noNullPrototype: true },
    ),
  },
  { noNullPrototype: true },
);

const delivery = (m: AclMessage, receiver: string, i: number): Work => ({
  kind: 'message',
  agent: `${receiver}@caxton`,
  delivery: { id: `m${i}>${receiver}`, messageId: `m${i}`, receiver, message: m, acceptedAt: 1_700_000_000_000 + i },
});

function result(extra: Partial<WorkResult> & Pick<WorkResult, 'status'>): WorkResult {
  return {
    agent: 'echo@caxton',
    workId: 'm1>echo',
    messageId: 'm1',
    fuelUsed: 1234,
    initFuelUsed: 0,
    durationUs: 17,
    state: 'running',
    restarts: 0,
    outbox: [],
    timers: [],
    directory: [],
    stateWrites: [],
    http: [],
    logs: [],
    droppedLogLines: 0,
    ...extra,
  } as WorkResult;
}

describe('hand-off codec', () => {
  it('round-trips any batch of deliveries and timers exactly', () => {
    fc.assert(
      fc.property(fc.array(message, { maxLength: 6 }), fc.boolean(), (messages, withTimer) => {
        const batch: Work[] = messages.map((m, i) => delivery(m, `r${i}`, i));
        if (withTimer) batch.push({ kind: 'timer', agent: 'clock@caxton', id: 'timer:t1', token: 'tok' });
        assert.deepStrictEqual(decodeWork(encodeWork(batch)), batch);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips results of every status, with outbox, timers, logs and directory operations', () => {
    fc.assert(
      fc.property(fc.array(message, { maxLength: 3 }), (outbox) => {
        const results: WorkResult[] = [
          result({
            status: 'ok',
            outbox,
            timers: [{ delayMs: 250, token: 'again' }],
            logs: [{ level: 'info', message: 'hi', source: 'agent', at: 5 }],
          }),
          result({
            status: 'ok',
            directory: [
              {
                kind: 'register-service',
                service: { name: 'quotes', type: 'pricing', protocols: [], ontologies: [], languages: [], properties: {} },
              },
              { kind: 'deregister-service', serviceName: 'old' },
            ],
          }),
          result({ status: 'rejected', reason: 'bad request', outbox, droppedLogLines: 3 }),
          result({
            status: 'crashed',
            kind: 'out-of-fuel',
            message: 'fuel exhausted',
            restartHistory: [1, 2],
            state: 'idle',
            restarts: 2,
            error: {
              code: 'sandbox.agent.out-of-fuel',
              message: 'fuel exhausted',
              hint: 'raise fuelPerMessage',
              context: { agent: 'echo', fuel: 10 },
            },
          }),
          result({ status: 'not-running', reason: 'agent is failed', state: 'failed', messageId: null, workId: 'timer:x' }),
          result({ status: 'skipped', reason: 'not run: an earlier item crashed' }),
        ];
        assert.deepStrictEqual(decodeResults(encodeResults(results)), results);
      }),
      { numRuns: 100 },
    );
  });

  it('round-trips the state writes and HTTP calls of results exactly (deletes, reserved keys, optional request fields)', () => {
    fc.assert(
      fc.property(
        fc.array(stateWrite, { maxLength: 5 }),
        fc.array(httpCall, { maxLength: 3 }),
        fc.array(message, { maxLength: 2 }),
        (stateWrites, http, outbox) => {
          const results: WorkResult[] = [
            result({ status: 'ok', stateWrites, http, outbox }),
            result({ status: 'rejected', reason: 'no', stateWrites, http }),
            result({ status: 'ok' }),
          ];
          assert.deepStrictEqual(decodeResults(encodeResults(results)), results);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("carries a handling's first clock read back to the bus, and none where it read none (decision 2178)", () => {
    const results: WorkResult[] = [
      result({ status: 'ok', clockAt: 1_790_000_000_123 }),
      result({ status: 'ok' }),
      result({ status: 'rejected', reason: 'no', clockAt: 0 }),
    ];
    const decoded = decodeResults(encodeResults(results));
    assert.deepStrictEqual(decoded, results);
    assert.ok(!('clockAt' in decoded[1]!), 'absent, not undefined: the result keeps the shape of one that read no clock');
  });

  it('names a result by its work item when it answers that item, and carries none of its three strings (decision 2108)', () => {
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 4 }), fc.array(message, { maxLength: 2 }), (messages, outbox) => {
        const batch: Work[] = messages.map((m, i) => delivery(m, `echo-${i}`, i));
        batch.push({ kind: 'timer', agent: 'clock@caxton', id: 'timer:tick-7', token: 'tick' });
        const results = batch.map(
          (w, i): WorkResult =>
            result({
              status: i % 2 === 0 ? 'ok' : 'rejected',
              ...(i % 2 === 0 ? {} : { reason: 'no' }),
              outbox,
              agent: w.agent,
              workId: w.kind === 'message' ? w.delivery.id : w.id,
              messageId: w.kind === 'message' ? w.delivery.messageId : null,
            } as Partial<WorkResult> & Pick<WorkResult, 'status'>),
        );
        const flat = encodeResults(results, batch);
        for (const w of batch) {
          assert.ok(!flat.includes(w.agent), `the agent ${w.agent} crossed`);
          assert.ok(!flat.includes(w.kind === 'message' ? w.delivery.id : w.id), 'a work id crossed');
        }
        assert.deepStrictEqual(decodeResults(flat, batch), results);
      }),
      { numRuns: 100 },
    );
  });

  it('carries the names of a result that does not answer the item at its index, and refuses an item it cannot see', () => {
    const batch: Work[] = [
      delivery({ performative: 'inform', receivers: [{ name: 'a' }] }, 'a', 1),
      delivery({ performative: 'inform', receivers: [{ name: 'b' }] }, 'b', 2),
    ];
    // Swapped, another agent's name, a message id that differs, and one result more than the batch has.
    const results: WorkResult[] = [
      result({ status: 'ok', agent: 'b@caxton', workId: 'm2>b', messageId: 'm2' }),
      result({ status: 'skipped', reason: 'x', agent: 'b@caxton', workId: 'm2>b', messageId: null }),
      result({ status: 'not-running', reason: 'gone', agent: 'c@caxton', workId: 'm3>c', messageId: 'm3', state: 'stopped' }),
    ];
    assert.deepStrictEqual(decodeResults(encodeResults(results, batch), batch), results);
    const byItem = encodeResults([result({ status: 'ok', agent: 'a@caxton', workId: 'm1>a', messageId: 'm1' })], batch);
    assert.throws(() => decodeResults(byItem), /does not hold/);
    assert.throws(() => encodeResults([result({ status: 'ok', state: 'lost' as WorkResult['state'] })]), /unknown agent state/);
    // The records are written into one reused list (decision 2150): one abandoned half-way by a
    // throw leaves nothing behind in the next, and each record returned is a list of its own.
    const first = encodeResults(results, batch);
    const second = encodeResults(results.slice(0, 1), batch);
    assert.deepStrictEqual(decodeResults(second, batch), results.slice(0, 1));
    assert.deepStrictEqual(decodeResults(first, batch), results, 'an earlier record is not changed by the next encode');
    assert.notEqual(first, second);
  });

  it("carries a timer's due time, and none for one not given or not a time (decision 2174)", () => {
    const batch: Work[] = [
      { kind: 'timer', agent: 'clock@caxton', id: 'timer:a', token: 'a', dueAt: 1_795_865_306_705 },
      { kind: 'timer', agent: 'clock@caxton', id: 'timer:b', token: 'b' },
      { kind: 'timer', agent: 'clock@caxton', id: 'timer:c', token: 'c', dueAt: Number.NaN },
      { kind: 'timer', agent: 'clock@caxton', id: 'timer:d', token: 'd', dueAt: -5 },
    ];
    const decoded = decodeWork(encodeWork(batch));
    assert.deepStrictEqual(decoded, [
      batch[0],
      batch[1],
      { kind: 'timer', agent: 'clock@caxton', id: 'timer:c', token: 'c' },
      { kind: 'timer', agent: 'clock@caxton', id: 'timer:d', token: 'd' },
    ]);
  });

  it('names a result by its item only when agent, work id and message id all match (each compared on its own)', () => {
    // Two timers of one agent differ only in their work id; a replica differs from its item only
    // in the agent. Answered out of order, each result must come back with its own names.
    const batch: Work[] = [
      { kind: 'timer', agent: 'clock@caxton', id: 'timer:a', token: 'a' },
      { kind: 'timer', agent: 'clock@caxton', id: 'timer:b', token: 'b' },
      delivery({ performative: 'inform', receivers: [{ name: 'x' }] }, 'x', 3),
    ];
    const results: WorkResult[] = [
      result({ status: 'ok', agent: 'clock@caxton', workId: 'timer:b', messageId: null }),
      result({ status: 'ok', agent: 'clock@caxton', workId: 'timer:a', messageId: null }),
      result({ status: 'ok', agent: 'x#r2@caxton', workId: 'm3>x', messageId: 'm3' }),
    ];
    assert.equal(batch[2]!.kind === 'message' && batch[2]!.delivery.id, 'm3>x');
    assert.deepStrictEqual(decodeResults(encodeResults(results, batch), batch), results);
  });

  it('encodes a message shared by many deliveries once, and the decoded deliveries share it', () => {
    const receivers = Array.from({ length: 1000 }, (_, i) => ({ name: `sink-${i}@caxton` }));
    const shared: AclMessage = { performative: 'inform', sender: { name: 'boss@caxton' }, receivers, content: 'news' };
    const batch = receivers.map(
      (r, i): Work => ({
        kind: 'message',
        agent: r.name,
        delivery: { id: `m>${i}`, messageId: 'm', receiver: `sink-${i}`, message: shared, acceptedAt: 1 },
      }),
    );
    const flat = encodeWork(batch);
    // One message (~1,000 names) plus 7 slots per delivery: linear, not 1,000 × 1,000.
    assert.ok(flat.length < 1_000 + 7 * 1_000 + 20, `flat length ${flat.length}`);
    const decoded = decodeWork(flat);
    assert.deepStrictEqual(decoded, batch);
    const first = decoded[0]!;
    const last = decoded[999]!;
    assert.ok(first.kind === 'message' && last.kind === 'message' && first.delivery.message === last.delivery.message);
  });

  it('shares a message published to a topic across its deliveries; one to a single agent is written with its delivery (decision 2150)', () => {
    const published: AclMessage = {
      performative: 'inform',
      sender: { name: 'boss@caxton' },
      receivers: [{ name: 'topic:news' }],
      content: 'n',
    };
    const direct: AclMessage = {
      performative: 'request',
      sender: { name: 'boss@caxton' },
      receivers: [{ name: 'echo@caxton' }],
      content: 'd',
    };
    const subscribers = Array.from(
      { length: 50 },
      (_, i): Work => ({
        kind: 'message',
        agent: `sub-${i}@caxton`,
        delivery: { id: `t>${i}`, messageId: 't', receiver: `sub-${i}`, message: published, acceptedAt: 1 },
      }),
    );
    const one: Work = {
      kind: 'message',
      agent: 'echo@caxton',
      delivery: { id: 'd>echo', messageId: 'd', receiver: 'echo', message: direct, acceptedAt: 2 },
    };
    const batch = [...subscribers.slice(0, 25), one, ...subscribers.slice(25)];
    const flat = encodeWork(batch);
    assert.equal(flat[1], 2, 'two messages in the table: the published one once, the direct one');
    const decoded = decodeWork(flat);
    assert.deepStrictEqual(decoded, batch);
    const firstSub = decoded[0]!;
    const lastSub = decoded[50]!;
    assert.ok(firstSub.kind === 'message' && lastSub.kind === 'message' && firstSub.delivery.message === lastSub.delivery.message);
    // The reused item cells keep nothing of a batch once it is encoded, and the next batch is its own.
    const again = decodeWork(encodeWork([one]));
    assert.deepStrictEqual(again, [one]);
  });

  it('refuses a record begun while another is being encoded, and the outer record is unharmed by the attempt', () => {
    // A message whose content getter tries to encode: the only way to nest, and a bug if it ever happens.
    let inner: unknown;
    const nested: AclMessage = { performative: 'inform', receivers: [{ name: 'a@caxton' }] };
    Object.defineProperty(nested, 'content', {
      enumerable: true,
      get: () => {
        try {
          encodeWork([delivery({ performative: 'inform', receivers: [{ name: 'b@caxton' }] }, 'b', 2)]);
        } catch (err) {
          inner = err;
        }
        return 'outer';
      },
    });
    const flat = encodeWork([delivery(nested, 'a', 1)]);
    assert.match(String(inner), /begun while another was being encoded/);
    const [w] = decodeWork(flat);
    assert.equal(w!.kind === 'message' && w!.delivery.message.content, 'outer');
    assert.equal(
      decodeWork(encodeWork([delivery({ performative: 'inform', receivers: [{ name: 'c@caxton' }] }, 'c', 3)])).length,
      1,
      'and encoding goes on after it',
    );
  });

  it('keeps a user parameter named __proto__ as data, never as the prototype', () => {
    const userParams: Record<string, string> = {};
    Object.defineProperty(userParams, '__proto__', { value: 'x', enumerable: true, writable: true, configurable: true });
    const [w] = decodeWork(encodeWork([delivery({ performative: 'inform', receivers: [], userParams }, 'a', 1)]));
    const got = w!.kind === 'message' ? w!.delivery.message.userParams! : {};
    assert.equal(Object.getPrototypeOf(got), Object.prototype);
    assert.deepStrictEqual(Object.entries(got), [['__proto__', 'x']]);
  });

  it('decodes a list the call left empty as the shared frozen NONE, and a filled one as a list of its own (decision 2119)', () => {
    const m: AclMessage = { performative: 'inform', receivers: [{ name: 'a' }], content: 'x' };
    const [echo, logger, other] = decodeResults(
      encodeResults([
        result({ status: 'ok', outbox: [m] }),
        result({ status: 'ok', logs: [{ level: 'info', message: 'hi', source: 'agent', at: 5 }], timers: [{ delayMs: 1, token: 't' }] }),
        result({ status: 'ok', outbox: [m] }),
      ]),
    );
    for (const list of [echo!.timers, echo!.logs, echo!.stateWrites, echo!.http, echo!.directory, logger!.outbox]) {
      assert.equal(list, NONE);
      assert.ok(Object.isFrozen(list));
      assert.throws(() => (list as unknown[]).push(1), TypeError);
    }
    // Filled lists are fresh: nothing one result holds is another's.
    assert.ok(!Object.isFrozen(echo!.outbox) && !Object.isFrozen(logger!.logs) && !Object.isFrozen(logger!.timers));
    assert.notEqual(echo!.outbox, other!.outbox);
    assert.deepStrictEqual(echo!.outbox, [m]);
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
      performative: 'inform',
      sender: { name: 'boss@caxton' },
      receivers: Array.from({ length: n }, (_, i) => ({ name: `sink-${i}@caxton` })),
      content: tag,
    });
    const slice = (m: AclMessage, from: number, to: number, tag = m.content!): Work[] =>
      m.receivers.slice(from, to).map(
        (r, i): Work => ({
          kind: 'message',
          agent: r.name,
          delivery: { id: `${tag}>${from + i}`, messageId: tag, receiver: r.name, message: m, acceptedAt: 1 },
        }),
      );

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
      fc.assert(
        fc.property(
          fc.array(fc.array(fc.nat({ max: 5 }), { minLength: 1, maxLength: 5 }), { maxLength: 20 }),
          fc.integer({ min: 1, max: 4 }),
          (batches, cap) => {
            const sent = new WideMessagesSent({ capacity: cap });
            const kept = new WideMessagesKept({ capacity: cap });
            for (const picks of batches) {
              const batch = picks.flatMap((p, j) => slice(pool[p]!, j, j + 1));
              assert.deepStrictEqual(decodeWork(encodeWork(batch, sent), kept), batch);
              assert.ok(kept.size <= cap && sent.size <= cap);
            }
          },
        ),
        { numRuns: 200 },
      );
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

    it('refuses a key the worker does not keep (typed, with the shard and key), a kept entry without a store, and a bad header', () => {
      const sent = new WideMessagesSent();
      const m = wide('news');
      encodeWork(slice(m, 0, 1), sent);
      const later = encodeWork(slice(m, 1, 2), sent);
      assert.throws(
        () => decodeWork(later, new WideMessagesKept({ shard: 3 })),
        (err: unknown) => {
          assert.ok(err instanceof SandboxError);
          assert.equal(err.code, 'sandbox.shard.hand-off');
          assert.match(err.message, /does not keep/);
          assert.deepEqual(err.context, { shard: 3, key: 1 });
          assert.match(err.hint ?? '', /disagreed about kept wide messages/);
          return true;
        },
      );
      assert.throws(() => decodeWork(later), /neither inline nor kept/);
      const bad = [...later];
      bad[0] = 2;
      assert.throws(() => decodeWork(bad, new WideMessagesKept()), /bad header/);
    });

    it('bounds what is kept by size: 64 wide messages of 250k content stay within the budget on the bus side and twice it on the worker', () => {
      const sent = new WideMessagesSent();
      const kept = new WideMessagesKept();
      const budget = MESSAGE_INFO_LIMITS.keptWideMessageCodeUnits;
      const big = Array.from({ length: 64 }, (_, i) => ({ ...wide(`big${i}`, 40), content: `${i}:`.padEnd(250_000, 'x') }));
      assert.ok(messageTextUnits(big[0]!) > 250_000 && messageTextUnits(big[0]!) <= budget / 8, 'each is kept, not inline');
      for (const m of big) {
        // The worker's guard refuses (throws) past twice the budget, so decoding every batch is the check "throughout".
        assert.deepStrictEqual(decodeWork(encodeWork(slice(m, 0, 3), sent), kept), slice(m, 0, 3));
        assert.ok(sent.units <= budget, `bus side ${sent.units} ≤ ${budget}`);
        assert.ok(kept.units <= 2 * budget, `worker ${kept.units} ≤ 2 × ${budget}`);
        assert.equal(kept.units, sent.units, 'both sides measure alike and agree after each batch');
      }
      assert.ok(sent.size < 64, `the size bound evicted (${sent.size} kept)`);
      // One batch holding all 64: whole, and both sides back within the budget after it.
      const all = big.flatMap((m) => slice(m, 3, 4));
      assert.deepStrictEqual(decodeWork(encodeWork(all, sent), kept), all);
      assert.ok(sent.units <= budget && kept.units === sent.units);
    });

    it('sends a message over an eighth of the budget inline, never kept', () => {
      const sent = new WideMessagesSent({ codeUnits: 8_000 });
      const kept = new WideMessagesKept({ codeUnits: 8_000 });
      const m = { ...wide('huge', 40), content: 'y'.repeat(1_001) };
      assert.ok(messageTextUnits(m) > 1_000);
      for (let k = 0; k < 3; k++) {
        const flat = encodeWork(slice(m, k, k + 1), sent);
        assert.ok(flat.length > 40, 'carried in full every time');
        assert.deepStrictEqual(decodeWork(flat, kept), slice(m, k, k + 1));
      }
      assert.equal(sent.size, 0);
      assert.equal(kept.size, 0);
    });

    it('the worker refuses, typed, to keep past twice the count or the size', () => {
      const byCount = new WideMessagesKept({ capacity: 2, shard: 1 });
      for (let k = 1; k <= 4; k++) byCount.keep(k, wide(`c${k}`, 17));
      assert.throws(
        () => byCount.keep(5, wide('c5', 17)),
        (err: unknown) => err instanceof SandboxError && err.code === 'sandbox.shard.hand-off' && err.context.key === 5,
      );
      const m = wide('s', 17);
      const bySize = new WideMessagesKept({ codeUnits: messageTextUnits(m), shard: 1 });
      bySize.keep(1, m);
      bySize.keep(2, m);
      assert.throws(
        () => bySize.keep(3, m),
        (err: unknown) => err instanceof SandboxError && err.code === 'sandbox.shard.hand-off',
      );
      bySize.forget(1);
      bySize.keep(3, m);
      assert.equal(bySize.units, 2 * messageTextUnits(m));
    });

    it('never reuses a key: one issued after clear() or resynchronise() is new', () => {
      const sent = new WideMessagesSent();
      const m = wide('news', 20);
      const keys: number[] = [];
      encodeWork(slice(m, 0, 1), sent);
      keys.push(sent.keyOf(m)!);
      sent.clear();
      encodeWork(slice(m, 1, 2), sent);
      keys.push(sent.keyOf(m)!);
      sent.resynchronise();
      encodeWork(slice(m, 2, 3), sent);
      keys.push(sent.keyOf(m)!);
      assert.deepEqual(keys, [1, 2, 3]);
    });

    it('model check: batches in flight, failures, drops, resets, narrow messages and timers never misread, and a key names one message', () => {
      // Narrow (3 receivers) and wide messages of several sizes; pick 8 is a timer.
      const pool = [3, 3, 17, 20, 30, 45, 60, 80].map((n, i) => wide(`p${i}`, n));
      const work = (picks: number[]): Work[] =>
        picks.map(
          (p, j): Work =>
            p === 8
              ? { kind: 'timer', agent: `a${j}`, id: `t${j}`, token: 'tok' }
              : {
                  kind: 'message',
                  agent: `a${j}`,
                  delivery: { id: `${p}/${j}`, messageId: `m${p}`, receiver: `r${j}`, message: pool[p]!, acceptedAt: 1 },
                },
        );
      const picks = fc.array(fc.nat({ max: 8 }), { minLength: 1, maxLength: 6 });
      const action = fc.oneof(
        { weight: 4, arbitrary: fc.record({ t: fc.constant('encode' as const), picks }) },
        { weight: 4, arbitrary: fc.record({ t: fc.constant('work' as const), fail: fc.boolean() }) },
        { weight: 3, arbitrary: fc.record({ t: fc.constant('reply' as const) }) },
        { weight: 1, arbitrary: fc.record({ t: fc.constant('reset' as const) }) },
        { weight: 1, arbitrary: fc.record({ t: fc.constant('drop' as const), picks }) },
      );
      fc.assert(
        fc.property(
          fc.array(action, { maxLength: 80 }),
          fc.integer({ min: 1, max: 4 }),
          fc.integer({ min: 600, max: 3_000 }),
          (acts, capacity, codeUnits) => {
            // Every key either side ever binds, over the whole run (resets included): to one message only.
            const owner = new Map<number, AclMessage>();
            const bind = (key: number, m: AclMessage): void => {
              const o = owner.get(key);
              assert.ok(o === undefined || o === m || JSON.stringify(o) === JSON.stringify(m), `key ${key} names two messages`);
              owner.set(key, m);
            };
            class Watched extends WideMessagesKept {
              override keep(key: number, m: AclMessage): void {
                bind(key, m);
                super.keep(key, m);
              }
            }
            const sent = new WideMessagesSent({ capacity, codeUnits });
            let kept = new Watched({ capacity, codeUnits });
            // What Shard does: post in encode order, the worker takes them in that order; a batch whose
            // post throws ("drop") resynchronises at once; an error reply resynchronises; a reset
            // starts both sides empty and answers everything in flight.
            let toWorker: Array<{ id: number; flat: unknown[]; batch: Work[]; epoch: number }> = [];
            let replies: Array<{ id: number; ok: boolean }> = [];
            const pending = new Set<number>();
            let id = 0;
            // Bumped by every resynchronise: a batch encoded in the current epoch was encoded against what the worker will hold.
            let epoch = 0;
            const encode = (batch: Work[]): unknown[] => {
              const flat = encodeWork(batch, sent);
              for (const w of batch) {
                const key = w.kind === 'message' ? sent.keyOf(w.delivery.message) : undefined;
                if (key !== undefined && w.kind === 'message') bind(key, w.delivery.message);
              }
              assert.ok(sent.size <= capacity && sent.units <= codeUnits);
              return flat;
            };
            for (const a of acts) {
              if (a.t === 'encode') {
                const batch = work(a.picks);
                toWorker.push({ id: ++id, flat: encode(batch), batch, epoch });
                pending.add(id);
              } else if (a.t === 'drop') {
                encode(work(a.picks));
                sent.resynchronise();
                epoch++;
              } else if (a.t === 'work' && toWorker.length > 0) {
                const { id: bid, flat, batch, epoch: encodedIn } = toWorker.shift()!;
                // With the resync at once on a failed post, the worker never refuses: every batch decodes whole.
                assert.deepStrictEqual(decodeWork(flat, kept), batch);
                assert.ok(kept.size <= 2 * capacity && kept.units <= 2 * codeUnits);
                // Nothing else in flight and no resync since: the worker holds exactly what the bus side believes.
                if (toWorker.length === 0 && encodedIn === epoch)
                  assert.ok(
                    kept.size === sent.size && kept.units === sent.units,
                    `worker ${kept.size}/${kept.units}, bus ${sent.size}/${sent.units}`,
                  );
                replies.push({ id: bid, ok: !a.fail });
              } else if (a.t === 'reply' && replies.length > 0) {
                const r = replies.shift()!;
                if (pending.delete(r.id) && !r.ok) {
                  sent.resynchronise();
                  epoch++;
                }
              } else if (a.t === 'reset') {
                kept = new Watched({ capacity, codeUnits });
                toWorker = [];
                replies = [];
                pending.clear();
                sent.clear();
                epoch++;
              }
            }
          },
        ),
        { numRuns: 2_000 },
      );
    });
  });
});
