/**
 * The circuit breaker state machine (decision 1921), on an injected clock: opens after N failures
 * in a row, refuses with the cool-down left, lets one probe through half-open, closes on a handled
 * delivery, opens again when the probe fails, re-probes a probe that never ran, resets on upgrade.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CircuitBreaker, CircuitBreakers, type BreakerTransition } from '../../src/bus/circuit-breaker.js';

const LIMITS = { failures: 3, coolDownMs: 1_000 };

test('closed: failures below the threshold and a success in between keep it closed', () => {
  const b = new CircuitBreaker('x', LIMITS);
  assert.equal(b.record(false, 0), undefined);
  assert.equal(b.record(false, 1), undefined);
  assert.equal(b.record(true, 2), undefined);
  assert.equal(b.failures, 0);
  assert.equal(b.record(false, 3), undefined);
  assert.equal(b.record(false, 4), undefined);
  assert.deepEqual(b.admit(5), { admitted: true, probe: false });
  assert.equal(b.state, 'closed');
});

test('opens at N failures in a row; refuses with the cool-down left; one probe half-open; success closes', () => {
  const b = new CircuitBreaker('x', LIMITS);
  b.record(false, 0);
  b.record(false, 10);
  const opened = b.record(false, 100);
  assert.deepEqual(opened, { agent: 'x', from: 'closed', to: 'open', failures: 3, at: 100, reason: 'failures' });
  assert.deepEqual(b.admit(400), { admitted: false, state: 'open', retryAfterMs: 700, failures: 3 });
  assert.deepEqual(b.view(400), { state: 'open', failures: 3, retryAfterMs: 700 });
  const heard: BreakerTransition[] = [];
  assert.deepEqual(
    b.admit(1_100, (t) => heard.push(t)),
    { admitted: true, probe: true },
  );
  assert.deepEqual(
    heard.map((t) => `${t.from}>${t.to}:${t.reason}`),
    ['open>half-open:cool-down'],
  );
  assert.equal(b.state, 'half-open');
  // Only the probe: the next sends wait for its outcome.
  assert.deepEqual(b.admit(1_200), { admitted: false, state: 'half-open', retryAfterMs: 900, failures: 3 });
  const closed = b.record(true, 1_300);
  assert.equal(closed?.to, 'closed');
  assert.equal(closed?.reason, 'handled');
  assert.deepEqual(b.admit(1_301), { admitted: true, probe: false });
});

test('a failed probe opens it again for a whole cool-down', () => {
  const b = new CircuitBreaker('x', LIMITS);
  for (let i = 0; i < 3; i++) b.record(false, 0);
  assert.equal(b.admit(1_000).admitted, true);
  const t = b.record(false, 1_050);
  assert.equal(t?.from, 'half-open');
  assert.equal(t?.to, 'open');
  assert.equal(t?.reason, 'probe-failed');
  assert.deepEqual(b.admit(1_100), { admitted: false, state: 'open', retryAfterMs: 950, failures: 4 });
  assert.equal(b.admit(2_050).admitted, true);
});

test('a probe with no outcome after a cool-down lets a new probe through', () => {
  const b = new CircuitBreaker('x', LIMITS);
  for (let i = 0; i < 3; i++) b.record(false, 0);
  assert.deepEqual(b.admit(1_000), { admitted: true, probe: true });
  assert.equal(b.admit(1_999).admitted, false);
  assert.deepEqual(b.admit(2_000), { admitted: true, probe: true });
});

test('reset (an upgrade) closes it at once and forgets the failures', () => {
  const b = new CircuitBreaker('x', LIMITS);
  for (let i = 0; i < 3; i++) b.record(false, 0);
  assert.equal(b.reset(10)?.reason, 'reset');
  assert.equal(b.state, 'closed');
  assert.equal(b.failures, 0);
  assert.equal(b.reset(11), undefined);
});

test('the registry keeps state only for failing agents and reports every transition', () => {
  const heard: string[] = [];
  const all = new CircuitBreakers(LIMITS, (t) => heard.push(`${t.agent}:${t.from}>${t.to}`));
  all.record('ok', true, 0);
  assert.deepEqual(all.view('ok', 0), { state: 'closed', failures: 0 });
  for (let i = 0; i < 3; i++) all.record('bad', false, i);
  assert.equal(all.admit('bad', 500).admitted, false);
  assert.equal(all.admit('ok', 500).admitted, true);
  assert.deepEqual(
    [...all.notClosed()].map((b) => b.agent),
    ['bad'],
  );
  assert.equal(all.admit('bad', 1_002).admitted, true);
  all.record('bad', true, 1_010);
  assert.deepEqual(heard, ['bad:closed>open', 'bad:open>half-open', 'bad:half-open>closed']);
  assert.deepEqual([...all.notClosed()], []);
  for (let i = 0; i < 3; i++) all.record('bad', false, 2_000);
  all.reset('bad', 2_001);
  assert.equal(heard.at(-1), 'bad:open>closed');
  assert.deepEqual(all.view('bad', 2_002), { state: 'closed', failures: 0 });
});

test('open: a queued delivery handled meanwhile closes it; one failing meanwhile does not extend the cool-down', () => {
  const b = new CircuitBreaker('x', LIMITS);
  for (let i = 0; i < 3; i++) b.record(false, 0);
  assert.equal(b.record(false, 500), undefined, 'no transition while open');
  assert.deepEqual(b.admit(600), { admitted: false, state: 'open', retryAfterMs: 400, failures: 4 });
  const t = b.record(true, 700);
  assert.equal(t?.from, 'open');
  assert.equal(t?.to, 'closed');
  assert.equal(t?.reason, 'handled');
  assert.deepEqual(b.admit(701), { admitted: true, probe: false });
});
