/** Host functions: effects are collected (never applied), validated and bounded; fuel is charged. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OutOfFuel } from '../src/errors.js';
import { hostCallFuel } from '../src/fuel/cost-model.js';
import { FuelMeter } from '../src/fuel/meter.js';
import { HostBridge } from '../src/host/bridge.js';
import type { WitAclMessage } from '../src/host/wit-values.js';
import { resolveLimits } from '../src/limits/limits.js';
import { DEFAULT_ACL_LIMITS } from '@caxton/core';

function bridge(limits = {}) {
  const meter = new FuelMeter();
  meter.begin(1_000_000);
  const b = new HostBridge({
    agent: 'a@p',
    limits: resolveLimits(limits),
    directory: () => ({ version: 3, byType: { shop: [{ name: 's1@p' }, { name: 's2@p', addresses: ['x'] }] } }),
    clock: () => 1234,
    newId: () => 'fixed-id',
  });
  b.meter = meter;
  b.begin();
  return { b, meter };
}

const msg = (over: Partial<WitAclMessage> = {}): WitAclMessage => ({
  performative: 'inform',
  sender: { name: 'impostor@p', addresses: [] },
  receivers: [{ name: 'b@p', addresses: [] }],
  replyTo: [],
  content: 'hi',
  userParams: [['X-k', 'v']],
  ...over,
});

describe('HostBridge', () => {
  it('leaves room in the size check for the @platform the bus adds to bare names (it re-checks only addresses)', () => {
    const meter = new FuelMeter();
    meter.begin(1_000_000);
    const acl = { ...DEFAULT_ACL_LIMITS, maxMessageBytes: 200 };
    const b = new HostBridge({
      agent: 'a@p',
      acl,
      limits: resolveLimits({}),
      directory: () => ({ version: 0, byType: {} }),
      clock: () => 0,
      newId: () => 'id',
    });
    b.meter = meter;
    b.begin();
    // Room: 200 − 3 (the sender 'a@p' the bus stamps) − 10 × 2 (each bare name becomes `x@p`) = 177.
    // Content 171 + ten 1-byte names = 181: over (it would have passed without the 20 bytes of room);
    // content 161 = 171: fits; the same with names already qualified: 161 + 30 = 191 ≤ 197.
    const receivers = 'bcdefghijk'.split('').map((name) => ({ name, addresses: [] }));
    const sized = (content: string, names = receivers) => msg({ receivers: names, content, userParams: [] });
    assert.match((b.send(sized('x'.repeat(171))) as { val: string }).val, /holds at least 181 bytes of text, the limit is 177/);
    assert.equal(b.send(sized('x'.repeat(161))), undefined, 'with room for the qualified names it fits');
    const qualified = receivers.map((r) => ({ ...r, name: `${r.name}@p` }));
    assert.equal(b.send(sized('x'.repeat(161), qualified)), undefined, 'names already qualified need no room');
  });

  it("drops a guest's own trace context from what it sends, in any case or folding, on both lift paths (decision 2202)", () => {
    const { b } = bridge();
    const params: [string, string][] = [
      ['X-k', 'v'],
      ['X-traceparent', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
      ['x-TRACESTATE', 'k=v'],
      ['X-tracepArent', 'look-alike'],
      ['X-tracepaRent\u017f', 'not a trace key: kept'],
    ];
    assert.equal(b.send(msg({ userParams: params })), undefined);
    assert.equal(
      b.sendLifted({ performative: 'inform', receivers: [{ name: 'b@p' }], userParams: Object.fromEntries(params) }, 10),
      undefined,
    );
    assert.equal(b.send(msg({ userParams: [['X-traceparent', 'only']] })), undefined);
    const [viaWit, lifted, only] = b.take().outbox;
    const want = { 'X-k': 'v', 'X-tracepaRent\u017f': 'not a trace key: kept' };
    assert.deepEqual(viaWit!.userParams, want);
    assert.deepEqual(lifted!.userParams, want);
    assert.equal(only!.userParams, undefined, 'nothing left: no parameters at all');
  });

  it("collects sends into the outbox, dropping the guest's claimed sender", () => {
    const { b } = bridge();
    assert.equal(b.send(msg()), undefined);
    const e = b.take();
    assert.equal(e.outbox.length, 1);
    assert.equal(e.outbox[0]!.sender, undefined);
    assert.deepEqual(e.outbox[0]!.userParams, { 'X-k': 'v' });
    assert.equal(b.take().outbox.length, 0, 'take() starts a new collection');
  });

  it('rejects invalid messages and a full outbox with an error the guest sees', () => {
    const { b } = bridge({ maxOutbox: 2, maxMessageBytes: 100 });
    assert.deepEqual(b.send(msg({ receivers: [] })), {
      tag: 'err',
      val: 'invalid ACL message: receivers: a message being sent needs at least one receiver',
    });
    assert.match((b.send(msg({ content: 'x'.repeat(200) })) as { val: string }).val, /too large/);
    b.send(msg());
    b.send(msg());
    assert.match((b.send(msg()) as { val: string }).val, /outbox full/);
    assert.equal(b.take().outbox.length, 2);
  });

  it('collects timers, directory changes and logs, within limits', () => {
    const { b } = bridge({ maxTimers: 1, maxLogLines: 2, maxLogLineLength: 5 });
    b.setTimer(50, 'a');
    assert.deepEqual(
      b.registerService({ name: 'svc', type: 'shop', protocols: [], ontologies: [], languages: ['sl'], properties: [['k', 'v']] }),
      undefined,
    );
    assert.deepEqual(b.registerService({ name: '', type: 'shop', protocols: [], ontologies: [], languages: [], properties: [] }), {
      tag: 'err',
      val: 'the service has no name',
    });
    b.deregisterService('old');
    b.log('info', 'a long line');
    b.log('debug', 'two');
    const e = b.take();
    assert.deepEqual(e.timers, [{ delayMs: 50, token: 'a' }]);
    assert.deepEqual(e.directory, [
      {
        kind: 'register-service',
        service: { name: 'svc', type: 'shop', protocols: [], ontologies: [], languages: ['sl'], properties: { k: 'v' } },
      },
      { kind: 'deregister-service', serviceName: 'old' },
    ]);
    assert.deepEqual(
      e.logs.map((l) => l.message),
      ['a lon…', 'two'],
      'lines are truncated',
    );
    assert.equal(e.droppedLogLines, 0);
  });

  it('answers now, new-id and search synchronously, search from the pushed snapshot', () => {
    const { b } = bridge();
    assert.equal(b.now(), 1234n);
    assert.equal(b.newId(), 'fixed-id');
    assert.deepEqual(b.searchServices('shop'), [
      { name: 's1@p', addresses: [] },
      { name: 's2@p', addresses: ['x'] },
    ]);
    assert.deepEqual(b.searchServices('toString'), [], 'no prototype lookups');
  });

  it('charges every host call by the data it moves, and stops the guest when the budget is gone', () => {
    const { b, meter } = bridge();
    b.log('info', 'x'.repeat(80));
    assert.equal(meter.used(), hostCallFuel(80, 'log'));
    meter.begin(10);
    assert.throws(() => b.now(), OutOfFuel);
  });
});
