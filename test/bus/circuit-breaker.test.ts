/**
 * Circuit breakers on a real node (decision 1921): as-poison traps on every message containing its
 * poison word. Two failed deliveries in a row open its breaker: new sends are refused at once with
 * `bus.circuit-open` and a retry-after (an agent sender gets a `failure`), `caxton agents` shows it,
 * the event stream and the agent's log carry each transition. After the cool-down one probe goes
 * through; handled, it closes the breaker. Opened again, an upgrade that fixes the agent closes it
 * at once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { BusEvent } from '@caxton/runtime';
import { TestNode, local } from './support/test-node.js';
import { agentArtifact } from './support/artifacts.js';

// Long enough for the steps taken while the breaker is open to finish inside it on a loaded machine.
const COOL_DOWN_MS = 2_500;
let t: TestNode;
const transitions: string[] = [];

before(async () => {
  // Two attempts per message and two failures to open: the restart policy (5 per minute) never
  // fails the agent during the test.
  t = await TestNode.start({ maxAttempts: 2, traffic: { breakerFailures: 2, breakerCoolDownMs: COOL_DOWN_MS } });
  t.node.events.on(
    (e: BusEvent) => {
      if (e.type === 'breaker') transitions.push(`${e.agent}:${e.from}>${e.to}:${e.reason}`);
    },
    ['breaker'],
  );
  await t.deploy('fragile', 'hostile/as-poison', { poison: 'boom' });
  await t.deploy('asker', 'conformance/puppet');
});

after(async () => {
  await t?.dispose();
});

const to = (content: string) => t.send({ performative: 'request', receivers: [{ name: 'fragile' }], content });
type Refusal = { code?: string; context?: Record<string, unknown>; hint?: string };

async function breakOpen(tag: string): Promise<void> {
  const before = transitions.length;
  await to(`${tag} boom`);
  await t.waitFor('the breaker to open', () => transitions.slice(before).includes('fragile:closed>open:failures'));
}

test('a receiver that crashes on every message: open (fast typed refusals), half-open probe, closed', { timeout: 60_000 }, async () => {
  await breakOpen('first');
  let refusal: Refusal | undefined;
  await assert.rejects(to('are you there?'), (err: Refusal) => {
    refusal = err;
    return err.code === 'bus.circuit-open';
  });
  const retryAfterMs = Number(refusal!.context?.['retryAfterMs']);
  assert.ok(retryAfterMs > 0 && retryAfterMs <= COOL_DOWN_MS, `retry-after ${retryAfterMs}`);
  assert.match(String(refusal!.context?.['agent']), /^fragile/);
  assert.equal(refusal!.context?.['breaker'], 'open');
  assert.match(refusal!.hint ?? '', /retry after \d+ ms/);
  const status = await t.control.getAgent('fragile');
  assert.equal(status?.breaker?.state, 'open');
  assert.equal(status?.breaker?.failures, 2);

  // After the cool-down the next send is the probe; handled, it closes the breaker.
  await new Promise((r) => setTimeout(r, retryAfterMs + 20));
  const probe = await to('a harmless probe');
  await t.waitFor('the probe answered', () => t.external.some((e) => e.message.content === 'a harmless probe'));
  await t.waitFor('the breaker to close', () => transitions.some((x) => x.endsWith(':half-open>closed:handled')));
  assert.ok(probe.accepted.length === 1);
  assert.equal((await t.control.getAgent('fragile'))?.breaker, undefined);
  assert.ok(transitions.some((x) => x.endsWith(':open>half-open:cool-down')));
  const log = await t.storedLogs('fragile');
  assert.ok(
    log.some((l) => l.includes('circuit breaker closed -> open')),
    "the opening is in the agent's log",
  );
  assert.ok(log.some((l) => l.includes('circuit breaker half-open -> closed')));
  assert.equal(local((await to('after')).accepted[0]), 'fragile');
  // Handled before the next test counts the agent's handlings (it once counted this one late: 6, not 5).
  await t.waitFor('the last message answered', () => t.external.some((e) => e.message.content === 'after'));
});

test('an upgrade that fixes the agent closes an open breaker at once', { timeout: 60_000 }, async () => {
  const handledBefore = t.handled.filter((h) => h.agent === 'fragile').length;
  await breakOpen('second');
  await assert.rejects(to('still broken?'), (err: Refusal) => err.code === 'bus.circuit-open');
  // An agent sending to it gets a failure (it cannot catch an exception).
  await t.puppet('asker', { performative: 'request', to: 'fragile', content: 'from-asker', count: 1 });
  await t.waitFor('the asker told its send was refused', () =>
    t.logs('asker').some((l) => l.startsWith('got failure from ams@caxton') && l.includes('keep failing')),
  );
  assert.equal(t.handled.filter((h) => h.agent === 'fragile').length, handledBefore + 2, 'nothing new reached the agent while it was open');
  await t.control.upgrade({ name: 'fragile', limits: {}, config: { poison: 'never-sent' } }, await agentArtifact('hostile/as-poison'));
  assert.ok(transitions.at(-1)?.endsWith(':open>closed:reset'), transitions.join(', '));
  await to('fixed boom');
  await t.waitFor('the fixed agent answers', () => t.external.some((e) => e.message.content === 'fixed boom'));
  assert.equal((await t.control.getAgent('fragile'))?.breaker, undefined);
});
