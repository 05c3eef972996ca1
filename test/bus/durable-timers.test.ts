/**
 * Agent timers are durable (decision 0960): a reminder agreed before the node stopped is delivered
 * after it starts again — by a fresh instance that remembers nothing, from what the timer kept — and
 * one that fell due while the node was down fires as soon as it is back. A timer is forgotten once
 * handled, and undeploying an agent removes its pending timers. Real node, real AS agent
 * (examples/as-reminder), real embedded registry.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { rm } from 'node:fs/promises';
import { EmbeddedRegistry } from '@caxton/runtime';
import type { TimerRecord } from '@caxton/runtime';
import { TestNode, OPERATOR } from './support/test-node.js';

function remind(node: TestNode, delayMs: number, text: string, cid: string) {
  return node.send({
    performative: 'request',
    receivers: [{ name: 'reminder' }],
    protocol: 'fipa-request',
    conversationId: cid,
    replyWith: `${cid}-q`,
    content: `${delayMs} ${text}`,
  });
}

/** The registry's view of pending timers, read with the node stopped (one registry per directory). */
async function persistedTimers(dataDir: string, agent: string): Promise<TimerRecord[]> {
  const registry = new EmbeddedRegistry({ dir: path.join(dataDir, 'registry') });
  await registry.open();
  try {
    return await registry.listTimers(agent);
  } finally {
    await registry.close();
  }
}

const toOperator = (node: TestNode, cid: string, performative: string) =>
  node.external.find((e) => e.to === OPERATOR && e.message.conversationId === cid && e.message.performative === performative);

test('reminders agreed before a restart fire after it: one still pending at its time, one that fell due at once', async () => {
  const first = await TestNode.start();
  const dataDir = first.dataDir;
  try {
    await first.deploy('reminder', 'as-reminder');
    await remind(first, 400, 'overdue by the time we are back', 'r-overdue');
    await remind(first, 4000, 'still pending after the restart', 'r-pending');
    await first.waitFor('both agrees', () => toOperator(first, 'r-overdue', 'agree') && toOperator(first, 'r-pending', 'agree'));
    await first.settle(200);
    await first.stop();
    assert.deepEqual((await persistedTimers(dataDir, 'reminder')).length, 2, 'both timers persisted');
    await new Promise((r) => setTimeout(r, 600)); // the first one falls due while the node is down

    const restartedAt = Date.now();
    const second = await TestNode.start({ dataDir });
    try {
      const overdue = await second.waitFor('the overdue reminder', () => toOperator(second, 'r-overdue', 'inform'), 10_000);
      assert.equal(overdue.message.content, 'reminder: overdue by the time we are back');
      assert.equal(overdue.message.inReplyTo, 'r-overdue-q');
      assert.equal(toOperator(second, 'r-pending', 'inform'), undefined, 'the pending one waits for its time');
      const pending = await second.waitFor('the pending reminder', () => toOperator(second, 'r-pending', 'inform'), 15_000);
      assert.equal(pending.message.content, 'reminder: still pending after the restart');
      assert.ok(pending.at - restartedAt >= 2000, `fired ${pending.at - restartedAt} ms after the restart, not at once`);
      await second.settle(300);
      await second.stop();
      assert.deepEqual(await persistedTimers(dataDir, 'reminder'), [], 'handled timers are forgotten');
      const informs = second.external.filter((e) => e.message.performative === 'inform');
      assert.equal(informs.length, 2, 'each reminder delivered once');
    } finally {
      await second.stop();
    }
  } finally {
    await first.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('stopping (undeploying) an agent removes its pending timers; they never fire for a new deployment', async () => {
  const node = await TestNode.start();
  try {
    await node.deploy('reminder', 'as-reminder');
    await remind(node, 1500, 'never', 'r-undeployed');
    await node.waitFor('the agree', () => toOperator(node, 'r-undeployed', 'agree'));
    await node.settle(200);
    await node.control.stop('reminder', { force: false });
    await node.deploy('reminder', 'as-reminder');
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(toOperator(node, 'r-undeployed', 'inform'), undefined, 'no reminder from an undeployed agent');
    await node.stop();
    assert.deepEqual(await persistedTimers(node.dataDir, 'reminder'), []);
  } finally {
    await node.dispose();
  }
});
