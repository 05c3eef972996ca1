/**
 * Per-agent quotas and the bus's message rules, applied by the host bridge: each refusal is an
 * error the agent sees where the world has a `result`, a typed crash that the guest cannot swallow
 * where it has none, and a counter — never a silent drop.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { excerpt, DEFAULT_ACL_LIMITS, parseAclMessage } from '@caxton/core';
import { FuelMeter } from '../src/fuel/meter.js';
import { HostBridge } from '../src/host/bridge.js';
import { LiftBudget } from '../src/host/lift-budget.js';
import { HostArgumentRefused, LiftLimitExceeded, QuotaExceeded } from '../src/host/refusals.js';
import type { WitAclMessage, WitServiceDescription } from '../src/host/wit-values.js';
import type { AgentLimits } from '../src/limits/limits.js';
import { resolveLimits } from '../src/limits/limits.js';

function bridge(limits: Partial<AgentLimits> = {}) {
  const clock = { now: 1_000_000 };
  const meter = new FuelMeter();
  meter.begin(100_000_000);
  const b = new HostBridge({
    agent: 'a@p',
    limits: resolveLimits(limits),
    directory: () => ({ version: 1, byType: {} }),
    clock: () => clock.now,
    newId: () => 'id',
  });
  b.meter = meter;
  b.begin();
  return { b, clock, meter };
}

const msg = (over: Partial<WitAclMessage> = {}): WitAclMessage => ({
  performative: 'inform',
  receivers: [{ name: 'b@p', addresses: [] }],
  replyTo: [],
  content: 'hi',
  userParams: [],
  ...over,
});
const service = (name: string): WitServiceDescription => ({
  name,
  type: 'shop',
  protocols: [],
  ontologies: [],
  languages: [],
  properties: [],
});
const err = (r: unknown): string => (r as { tag: 'err'; val: string }).val;

describe("the bus's rules, applied at send", () => {
  it('refuses in the agent what the bus would drop, naming the rule', () => {
    const { b } = bridge();
    assert.match(err(b.send(msg({ receivers: [{ name: 'b p', addresses: [] }] }))), /receivers\[0\]\.name: "b p" contains whitespace/);
    assert.match(
      err(b.send(msg({ content: 'x'.repeat(DEFAULT_ACL_LIMITS.maxContentBytes + 1) }))),
      /content: is \d+ bytes, the limit is 262144/,
    );
    assert.match(err(b.send(msg({ protocol: 'not a word' }))), /protocol: "not a word" is not a FIPA word/);
    assert.match(err(b.send(msg({ userParams: [['Y-k', 'v']] }))), /must start with "X-"/);
    assert.match(
      err(b.send(msg({ receivers: Array.from({ length: 1025 }, (_, i) => ({ name: `r${i}@p`, addresses: [] })) }))),
      /1025 entries, the limit is 1024/,
    );
    assert.match(err(b.send(msg({ replyBy: 2n ** 60n }))), /replyBy: .* is not a whole number of milliseconds/);
    assert.equal(b.counters.invalidMessage, 6);
    assert.equal(b.take().outbox.length, 0);
  });

  it('quotes at most a short excerpt of a hostile value in the reason', () => {
    const { b } = bridge();
    const reason = err(b.send(msg({ receivers: [{ name: `${'x'.repeat(5000)} y`, addresses: [] }] })));
    assert.ok(reason.length < 300, `reason of ${reason.length} characters`);
    assert.match(reason, /x… \(\d+ more\)" contains whitespace/);
  });
});

describe('excerpts of hostile input in error messages', () => {
  it('keeps short text, cuts long text with the count left out, never halves a surrogate pair', () => {
    assert.equal(excerpt('short'), 'short');
    assert.equal(excerpt('x'.repeat(100), 10), `${'x'.repeat(10)}… (90 more)`);
    assert.equal(excerpt(`${'a'.repeat(9)}😀tail`, 10), `${'a'.repeat(9)}… (6 more)`);
  });

  it('ACL errors built from a 1 MiB value quote at most a short excerpt of it', () => {
    const huge = `${'p'.repeat(1 << 20)} x`;
    for (const value of [
      { performative: huge, receivers: [] },
      { performative: 'inform', receivers: [{ name: huge }] },
      { performative: 'inform', receivers: [], protocol: huge },
      { performative: 'inform', receivers: [], userParams: { [huge]: 'v' } },
    ]) {
      assert.throws(
        () => parseAclMessage(value, { ...DEFAULT_ACL_LIMITS, maxFieldBytes: 4 << 20, maxMessageBytes: 8 << 20, maxContentBytes: 1 }),
        (e: Error) => {
          assert.ok(e.message.length < 400, `${e.message.length} characters: ${e.message.slice(0, 120)}`);
          return true;
        },
      );
    }
  });
});

describe('per-agent quotas', () => {
  it('sends per second: a token bucket per agent, refused sends are counted and the agent sees why', () => {
    const { b, clock } = bridge({ sendsPerSecond: 3 });
    for (let i = 0; i < 3; i++) assert.equal(b.send(msg()), undefined);
    assert.equal(err(b.send(msg())), 'quota exceeded: at most 3 sends per second');
    assert.equal(b.counters.sendsPerSecond, 1);
    b.take();
    b.begin();
    assert.match(err(b.send(msg())), /quota exceeded/, 'the bucket outlives the call');
    clock.now += 334;
    assert.equal(b.send(msg()), undefined, 'a third of a second later: one more');
  });

  it('the first send of a handled message passes on what the bus admitted: no send token, its bytes still paid', () => {
    const { b } = bridge({ sendsPerSecond: 2, sendBytesPerSecond: 5000 });
    const delivered = { performative: 'request' as const, sender: { name: 'c@p' }, receivers: [{ name: 'a@p' }], content: 'q' };
    for (let i = 0; i < 50; i++) {
      b.begin();
      b.setMessage(delivered);
      assert.equal(b.send(msg()), undefined, `handled message ${i}: its answer`);
      b.take();
    }
    assert.equal(b.counters.sendsPerSecond, 0, 'fifty answers in one instant, under a quota of two a second');
    b.begin();
    b.setMessage(delivered);
    assert.equal(b.send(msg()), undefined, 'the answer');
    assert.equal(b.send(msg()), undefined, 'a second send: the first token');
    assert.equal(b.send(msg()), undefined, 'a third: the second token');
    assert.equal(err(b.send(msg())), 'quota exceeded: at most 2 sends per second', 'a fourth: the bucket is empty');
    b.take();
    b.begin();
    b.setMessage(null);
    assert.equal(err(b.send(msg())), 'quota exceeded: at most 2 sends per second', 'a timer passes nothing on: its first send pays too');
    b.take();
    b.begin();
    b.setMessage(delivered);
    const two = [
      { name: 'b@p', addresses: [] },
      { name: 'c@p', addresses: [] },
    ];
    assert.equal(
      err(b.send(msg({ receivers: two }))),
      'quota exceeded: at most 2 sends per second',
      'a first send to two receivers multiplies: it pays',
    );
    assert.equal(
      err(b.send(msg({ receivers: [{ name: 'topic:prices', addresses: [] }] }))),
      'quota exceeded: at most 2 sends per second',
      'a first send to a topic (one delivery per subscriber) pays',
    );
    b.take();
    b.begin();
    b.setMessage(delivered);
    assert.equal(
      err(b.send(msg({ content: 'x'.repeat(6000) }))),
      'quota exceeded: at most 5000 bytes sent per second',
      "the answer's bytes are counted",
    );
    assert.deepEqual([b.counters.sendsPerSecond, b.counters.sendBytesPerSecond], [4, 1]);
  });

  it('bytes sent per second, counted in code units of the message text', () => {
    const { b } = bridge({ sendBytesPerSecond: 1000 });
    assert.equal(b.send(msg({ content: 'x'.repeat(600) })), undefined);
    assert.equal(err(b.send(msg({ content: 'x'.repeat(600) }))), 'quota exceeded: at most 1000 bytes sent per second');
    assert.equal(b.counters.sendBytesPerSecond, 1);
    assert.equal(b.send(msg({ content: 'x'.repeat(100) })), undefined, 'a smaller message still fits');
  });

  it('directory changes per call and per second: register returns the error, deregister ends the call', () => {
    const { b, clock } = bridge({ maxDirectoryOps: 2, directoryChangesPerSecond: 3 });
    assert.equal(b.registerService(service('s1')), undefined);
    assert.equal(b.registerService(service('s2')), undefined);
    assert.equal(err(b.registerService(service('s3'))), 'quota exceeded: at most 2 directory changes per call');
    assert.throws(
      () => b.deregisterService('s1'),
      (e: unknown) => e instanceof QuotaExceeded && /2 directory changes per call/.test(e.message),
    );
    b.take();
    b.begin();
    assert.equal(b.registerService(service('s4')), undefined);
    assert.equal(err(b.registerService(service('s5'))), 'quota exceeded: at most 3 directory changes per second');
    clock.now += 1000;
    assert.equal(b.registerService(service('s5')), undefined);
    assert.equal(b.counters.directoryChanges, 3);
  });

  it('directory text per second: a subscription filter is charged by its length, so registry writes are bounded in bytes', () => {
    const { b, clock } = bridge({ directoryBytesPerSecond: 1_000 });
    const filter = JSON.stringify({ all: [{ field: 'ontology', match: { in: ['x'.repeat(150), 'y'.repeat(150)] } }] });
    assert.ok(filter.length > 300 && 3 * (4 + filter.length) > 1_000);
    assert.equal(b.hosts.topics.subscribe('jobs', filter), undefined);
    assert.equal(b.hosts.topics.subscribe('jobs', filter), undefined);
    const refused = b.hosts.topics.subscribe('jobs', filter);
    assert.equal(refused?.tag, 'err');
    assert.equal(refused?.val.kind, 'quota-exceeded');
    assert.equal(
      refused?.val.message,
      `quota exceeded: at most 1000 code units of directory changes per second (this one is ${4 + filter.length})`,
    );
    assert.equal(b.hosts.topics.unsubscribe('jobs'), undefined, 'a short change still fits what is left');
    assert.equal(b.counters.directoryChanges, 1);
    clock.now += 1000;
    assert.equal(b.hosts.topics.subscribe('jobs', filter), undefined, 'the budget refills');
    assert.equal(b.take().directory.length, 4, 'the refused change is not among the effects');
  });

  it('timers: beyond the per-call count the call ends with quota-exceeded; short delays are raised to the minimum', () => {
    const { b } = bridge({ maxTimers: 2, minTimerDelayMs: 25 });
    b.setTimer(0, 'a');
    b.setTimer(100, 'b');
    assert.throws(
      () => b.setTimer(5, 'c'),
      (e: unknown) => e instanceof QuotaExceeded && e.code === 'sandbox.quota-exceeded',
    );
    assert.deepEqual(b.take().timers, [
      { delayMs: 25, token: 'a' },
      { delayMs: 100, token: 'b' },
    ]);
    assert.equal(b.counters.timers, 1);
    assert.throws(() => b.setTimer(5, 'x'.repeat(1025)), HostArgumentRefused);
  });

  it('a refusal that ended the call cannot be swallowed: checkFault throws it again after the guest caught it', () => {
    const { b } = bridge({ maxTimers: 1 });
    b.setTimer(10, 'a');
    try {
      b.setTimer(10, 'b');
    } catch {
      /* a guest's catch_all */
    }
    assert.throws(() => b.checkFault(), QuotaExceeded);
    b.take();
    b.begin();
    assert.doesNotThrow(() => b.checkFault(), 'the next call starts clean');
  });

  it('log bytes per call: lines beyond the byte budget are dropped and counted', () => {
    const { b } = bridge({ maxLogBytes: 100, maxLogLineLength: 60 });
    b.log('info', 'x'.repeat(60));
    b.log('info', 'y'.repeat(60));
    b.output('stdout', 'short');
    const e = b.take();
    assert.deepEqual(
      e.logs.map((l) => l.message.length),
      [60, 5],
    );
    assert.equal(e.droppedLogLines, 1);
    assert.equal(b.counters.logLinesDropped, 1);
  });

  it('lift refusals: the next send returns the reason without reading its value, charged for what was counted up to the cap', () => {
    const { b, meter } = bridge();
    const budget = new LiftBudget('send', b.liftCaps.send);
    assert.throws(() => {
      for (let i = 0; i < 64; i++) budget.string(256 * 1024);
    }, LiftLimitExceeded);
    const before = meter.used();
    b.refuseNext(b.liftRefusal(new LiftLimitExceeded('send', b.liftCaps.send.units, 'units'), budget.bytes()));
    // Charged for what was counted, up to the cap: not for the part of a claimed length past it
    // (a guest claiming a 1 GiB string must get the refusal, not an out-of-fuel crash).
    const charged = meter.used() - before;
    assert.ok(charged >= b.liftCaps.send.units / 8 && charged < budget.bytes() / 8, `charged ${charged}`);
    assert.match(err(b.send(msg())), /^send: more than 1048576 code units/);
    assert.equal(b.send(msg()), undefined, 'only the next call is refused');
    assert.equal(b.counters.liftLimit, 1);
  });
});
