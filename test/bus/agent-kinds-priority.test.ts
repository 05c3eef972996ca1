/**
 * Priority classes of kinds on a real node (decision 2187), with the AssemblyScript state counter
 * (examples/as-state-counter) deployed as a low-class kind `batch` and a high-class kind `urgent`
 * on one shard of two slots: a high key takes the slot of a low one (the low instance passivated
 * with its count kept), a low key finding only higher classes is refused typed as before, and the
 * preempted key answers on its count once a slot frees. The counts show the classes and preemptions.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { CaxtonError } from '@caxton/core';
import { agentArtifact } from './support/artifacts.js';
import { TestNode } from './support/test-node.js';
import { ask, counts } from './support/kinds.js';

const nodes: TestNode[] = [];
after(async () => {
  for (const n of nodes) await n.dispose();
});

test('a high-class key preempts a low-class one at the bound; the low key keeps its count and comes back when a slot frees', async () => {
  const t = await TestNode.start({ shards: 1, kinds: { maxActivePerShard: 2 } });
  nodes.push(t);
  const counter = await agentArtifact('as-state-counter');
  // Idle periods long enough that nothing passivates on its own before the test says so, however loaded the machine.
  await t.control.deploy({ name: 'batch', config: {}, limits: {}, kind: { idleMs: 600_000, priorityClass: 'low' } }, counter);
  const urgent = await t.control.deploy(
    { name: 'urgent', config: {}, limits: {}, kind: { idleMs: 1_000, priorityClass: 'high' } },
    counter,
  );
  assert.equal(urgent.kind?.priorityClass, 'high');
  assert.equal(await ask(t, 'batch/a'), '1');
  assert.equal(await ask(t, 'batch/b'), '1');
  assert.equal(await ask(t, 'batch/a'), '2');

  // The shard is full of low instances: a high key is accepted and takes batch/b's slot (the least recently used).
  assert.equal(await ask(t, 'urgent/x'), '1');
  const batch = await counts(t, 'batch');
  assert.equal(batch.priorityClass, 'low');
  assert.equal(batch.preempted, 1);
  assert.equal(batch.active, 1);
  assert.equal((await t.control.getAgent('batch/b'))?.state, 'stopped', 'batch/b was passivated');

  // A low key finds a low and a high instance: it may preempt neither, and is refused as at any bound.
  await assert.rejects(t.send({ performative: 'request', receivers: [{ name: 'batch/c' }], content: 'count' }), (e: CaxtonError) => {
    assert.equal(e.code, 'bus.activation-limit');
    assert.match(e.hint ?? '', /retry after/);
    return true;
  });

  // urgent/x idles out (1 s): its slot frees, and batch/b answers on its kept count.
  for (let deadline = Date.now() + 60_000; (await counts(t, 'urgent')).active > 0; ) {
    if (Date.now() > deadline) assert.fail('urgent/x was not passivated within 60 s of idling');
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(await ask(t, 'batch/b'), '2', 'the preempted key kept its count');
  assert.equal(await t.control.getState('batch/b', 'count'), '2');

  // A kind's costs are its instances' handlings here, passivated ones included (decision 2184).
  await t.settle();
  const batchStatus = (await t.control.getAgent('batch'))!;
  const handledByBatch = t.handled.filter((h) => h.agent.startsWith('batch/') && h.outcome.status === 'ok');
  assert.equal(batchStatus.costs?.handled, handledByBatch.length);
  assert.equal(batchStatus.messagesHandled, handledByBatch.length);
  assert.equal(
    batchStatus.costs?.fuel,
    handledByBatch.reduce((sum, h) => sum + h.fuelUsed, 0),
  );
  assert.ok((batchStatus.costs?.stateBytesWritten ?? 0) > 0, 'the counter wrote its count');
});
