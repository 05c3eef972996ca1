/**
 * A kind's own cap of instances in memory (`--max-active`, decision 1980): past it the least
 * recently used idle instance is passivated early to make room, and with none idle the send is
 * refused `bus.activation-limit` with nothing accepted. The AssemblyScript state counter as the
 * kind `counter`; an idle period long enough that no instance passivates on its own here.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { CaxtonError } from '@caxton/core';
import { agentArtifact } from './support/artifacts.js';
import { TestNode } from './support/test-node.js';
import { until } from '../e2e/support/wait.js';
import { ask, counts } from './support/kinds.js';

const nodes: TestNode[] = [];
after(async () => {
  for (const n of nodes) await n.dispose();
});

test('at its cap a kind passivates its least recently used idle instance early; the passivated key keeps its count', async () => {
  const t = await TestNode.start();
  nodes.push(t);
  const deployed = await t.control.deploy(
    { name: 'counter', config: {}, limits: {}, kind: { idleMs: 60_000, maxActive: 2 } },
    await agentArtifact('as-state-counter'),
  );
  assert.deepEqual(deployed.kind, { idleMs: 60_000, maxActive: 2, evicted: 0, active: 0, passivated: 0, activations: 0, failed: 0 });
  assert.equal(await ask(t, 'counter/a'), '1');
  assert.equal(await ask(t, 'counter/b'), '1');
  assert.equal(await ask(t, 'counter/a'), '2'); // a is now the more recently used: b goes first
  assert.equal(await ask(t, 'counter/c'), '1', 'a third key is taken at the cap');
  const c = await counts(t);
  assert.equal(c.evicted, 1);
  assert.equal(c.active, 2, 'the cap holds');
  assert.equal((await t.control.getAgent('counter/b'))?.state, 'stopped', 'the least recently used (b) was passivated');
  assert.equal((await t.control.getAgent('counter/a'))?.state, 'running');
  assert.equal(await ask(t, 'counter/b'), '2', 'b reactivates on its committed count (a, now the least recently used, makes room)');
  assert.equal((await counts(t)).evicted, 2);
  assert.equal((await counts(t)).active, 2);
});

test('at its cap with no idle instance, a send to a new key is refused typed and nothing is accepted; a bad cap is refused at deploy', async () => {
  const t = await TestNode.start();
  nodes.push(t);
  await t.control.deploy(
    { name: 'counter', config: {}, limits: {}, kind: { idleMs: 60_000, maxActive: 1 } },
    await agentArtifact('as-state-counter'),
  );
  // Suspending the kind holds its instance with its mail: in memory, not idle.
  assert.equal(await ask(t, 'counter/a'), '1');
  await t.control.suspend('counter');
  await t.send({ performative: 'request', receivers: [{ name: 'counter/a' }], content: 'count', replyWith: 'held' });
  const before = t.accepted.length;
  await assert.rejects(t.send({ performative: 'request', receivers: [{ name: 'counter/b' }] }), (e: CaxtonError) => {
    assert.equal(e.code, 'bus.activation-limit');
    assert.equal(e.kind, 'resource-exhausted');
    // The kind's own cap refused, not its shard: the refusal says so and what to do.
    assert.match(e.message, /its kind holds 1 active instances \(its --max-active\) and none is idle/);
    assert.match(e.hint ?? '', /larger --max-active/);
    return true;
  });
  assert.equal(t.accepted.length, before, 'nothing of the refused send was accepted');
  assert.equal((await counts(t)).evicted, 0, 'an instance with mail waiting is not idle');
  await t.control.resume('counter');
  await t.waitFor("the held request's answer", () => t.external.find((e) => e.message.inReplyTo === 'held'));
  // Its answer is out before its handling is done with; a is idle once its mailbox is empty.
  await until(async () => {
    const a = await t.control.getAgent('counter/a');
    return a?.state === 'running' && a.mailboxDepth === 0;
  }, 'counter/a to be idle again');
  assert.equal(await ask(t, 'counter/b'), '1', 'with a idle again, b is taken');

  await assert.rejects(
    t.control.deploy({ name: 'big', config: {}, limits: {}, kind: { maxActive: 12_001 } }, await agentArtifact('as-state-counter')),
    // A row of core's KIND_LIMIT_TABLE (decision 2153): the tables' one refusal, named by the wire field.
    (e: CaxtonError) =>
      e.code === 'limits.out-of-range' && e.message.startsWith('header.kind.max_active: ') && /1\.\.12,000/.test(e.hint ?? ''),
  );
  await assert.rejects(
    t.control.deploy({ name: 'lazy', config: {}, limits: {}, kind: { idleMs: 99 } }, await agentArtifact('as-state-counter')),
    (e: CaxtonError) =>
      e.code === 'limits.out-of-range' && e.message.startsWith('header.kind.idle_ms: ') && /100\.\.86,400,000/.test(e.hint ?? ''),
  );
});
