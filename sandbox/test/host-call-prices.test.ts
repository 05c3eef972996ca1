/**
 * Each function of the world is charged its own price (decision 2133), plus the bytes it moves,
 * on both ways of reaching it: straight, and with its lift paid by the binding first (`payLift`).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_HTTP_POLICY, type HttpPolicy } from '@caxton/core';
import { HOST_CALL_COST, HOST_CALL_PRICE, hostBytesFuel, type HostFunction } from '../src/fuel/cost-model.js';
import { FuelMeter } from '../src/fuel/meter.js';
import { HostBridge } from '../src/host/bridge.js';
import { StateView } from '../src/host/state-view.js';
import { resolveLimits } from '../src/limits/limits.js';

function bridge(http?: HttpPolicy) {
  const meter = new FuelMeter();
  meter.begin(1_000_000);
  const state = new StateView();
  const b = new HostBridge({
    agent: 'a@p',
    limits: resolveLimits({}),
    state,
    directory: () => ({ version: 1, byType: { shop: [{ name: 's1@p' }] } }),
    clock: () => 1234,
    newId: () => 'id-1',
    ...(http ? { http } : {}),
  });
  b.meter = meter;
  b.begin();
  b.setMessage({ performative: 'inform', sender: { name: 'c@p' }, receivers: [{ name: 'a@p' }] });
  return { b, meter };
}

/** Each priced call, made once, and the bytes it moves (the fixed price pays the rest). */
const CALLS: readonly { fn: HostFunction; bytes: number; call: (b: HostBridge) => unknown }[] = [
  { fn: 'now', bytes: 0, call: (b) => b.now() },
  { fn: 'new-id', bytes: 'id-1'.length, call: (b) => b.newId() },
  { fn: 'log', bytes: 5, call: (b) => b.log('info', 'hello') },
  { fn: 'set-timer', bytes: 3, call: (b) => b.setTimer(100, 'tok') },
  { fn: 'deregister-service', bytes: 3, call: (b) => b.deregisterService('svc') },
  { fn: 'search-services', bytes: 'shop'.length + 's1@p'.length, call: (b) => b.searchServices('shop') },
  { fn: 'state.get', bytes: 1, call: (b) => b.hosts.state.get('k') },
  { fn: 'state.set', bytes: 2, call: (b) => b.hosts.state.set('k', 'v') },
  { fn: 'state.delete', bytes: 1, call: (b) => b.hosts.state.delete('k') },
  { fn: 'topics.subscribe', bytes: 4, call: (b) => b.hosts.topics.subscribe('news', undefined) },
  { fn: 'topics.unsubscribe', bytes: 4, call: (b) => b.hosts.topics.unsubscribe('news') },
  { fn: 'message-info.receiver-count', bytes: 0, call: (b) => b.hosts.messageInfo.receiverCount() },
];

describe('host call prices', () => {
  it('charges each function its price from the table, plus the bytes it moves', () => {
    for (const c of CALLS) {
      const { b, meter } = bridge();
      c.call(b);
      assert.equal(meter.used(), HOST_CALL_PRICE[c.fn] + hostBytesFuel(c.bytes), c.fn);
    }
  });

  it('charges a send its price once when the binding paid the lift first (the bytes are not paid twice)', () => {
    const { b, meter } = bridge();
    b.payLift(80);
    assert.equal(meter.used(), hostBytesFuel(80), 'the lift pays its bytes only');
    b.send({ performative: 'inform', receivers: [{ name: 'b@p', addresses: [] }], replyTo: [], content: 'hi', userParams: [] });
    assert.equal(meter.used(), hostBytesFuel(80) + HOST_CALL_PRICE.send);
  });

  it('prices the calls it measured above the flat price', () => {
    const measured = Object.entries(HOST_CALL_PRICE)
      .filter(([, price]) => price !== HOST_CALL_COST)
      .map(([fn]) => fn);
    assert.ok(measured.length >= 10, `only ${measured.join(', ')} priced`);
    for (const fn of measured) assert.ok(HOST_CALL_PRICE[fn as HostFunction] > HOST_CALL_COST, fn);
  });

  it('charges a state read its price once, however large the value (its bytes pay per byte)', () => {
    const { b, meter } = bridge();
    b.hosts.state.set('k', 'x'.repeat(800));
    const before = meter.used();
    b.hosts.state.get('k');
    assert.equal(meter.used() - before, HOST_CALL_PRICE['state.get'] + hostBytesFuel(1) + hostBytesFuel(800));
  });

  it('charges a state read or key listing refused for its over-long key the flat price (it is not free)', () => {
    for (const call of [(b: HostBridge) => b.hosts.state.get(''), (b: HostBridge) => b.hosts.state.keys('', undefined, 10)]) {
      const { b, meter } = bridge();
      // What both bindings do for a key or prefix over the limit: refuse from its length alone.
      b.refuseNext(null);
      call(b);
      assert.equal(meter.used(), HOST_CALL_COST);
    }
  });

  it('charges a fetch its price once: the id it makes pays only its bytes', () => {
    const policy: HttpPolicy = { ...DEFAULT_HTTP_POLICY, allow: [{ host: 'api.example.com', methods: ['GET'] }] };
    const { b, meter } = bridge(policy);
    const request = {
      method: 'GET',
      url: 'https://api.example.com/x',
      headers: [] as [string, string][],
      body: undefined,
      context: undefined,
    };
    const r = b.hosts.http.fetch(request);
    assert.deepEqual(r, { tag: 'ok', val: 'id-1' });
    const size = request.method.length + request.url.length;
    assert.equal(meter.used(), HOST_CALL_PRICE['http.fetch'] + hostBytesFuel(size) + hostBytesFuel('id-1'.length));
  });
});
