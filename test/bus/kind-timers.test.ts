/**
 * Timers of passivated instances wake them (decision 1980, issue 30): the AssemblyScript timer
 * counter (examples/as-timer-counter) deployed as the kind `ticker`; a `tick <ms>` request arms a
 * timer, the instance passivates before it is due, and when it falls due the node activates the
 * instance (no message sent to it) and its on-timer handling counts and informs. The same after a
 * restart of the node: the registry's timers tell the new node which passivated instances to wake.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { agentArtifact } from './support/artifacts.js';
import { TestNode } from './support/test-node.js';
import { counts as kindCounts } from './support/kinds.js';

const nodes: TestNode[] = [];
after(async () => {
  for (const n of nodes) await n.dispose();
});

/** The ticker kind's counts. */
const counts = (t: TestNode): ReturnType<typeof kindCounts> => kindCounts(t, 'ticker');

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Arms a `delayMs` timer on `ticker/<key>`; resolves with the request's reply-with once agreed. */
async function tick(t: TestNode, key: string, delayMs: number): Promise<string> {
  const id = `tick-${key}`;
  await t.send({ performative: 'request', receivers: [{ name: `ticker/${key}` }], content: `tick ${delayMs}`, replyWith: id });
  const agreed = await t.waitFor(`the agree from ticker/${key}`, () => t.external.find((e) => e.message.inReplyTo === id));
  assert.equal(agreed.message.performative, 'agree');
  return id;
}

const informOf = (t: TestNode, id: string) => t.external.find((e) => e.message.inReplyTo === id && e.message.performative === 'inform');

test('a passivated instance is activated when its timer is due, and handles it on its state', async () => {
  const t = await TestNode.start();
  nodes.push(t);
  await t.control.deploy({ name: 'ticker', config: {}, limits: {}, kind: { idleMs: 150 } }, await agentArtifact('as-timer-counter'));
  const id = await tick(t, 'alice', 2_500);
  await until('ticker/alice to passivate', async () => {
    const c = await counts(t);
    return c.active === 0 && c.passivated >= 1;
  });
  assert.equal(informOf(t, id), undefined, 'passivated before its timer was due');
  assert.equal((await t.control.getAgent('ticker/alice'))?.state, 'stopped');
  assert.equal((await counts(t)).activations, 1);

  const inform = await t.waitFor("the timer's inform from ticker/alice", () => informOf(t, id));
  assert.equal(inform.message.content, '1', 'the on-timer handling counted once');
  assert.equal((await counts(t)).activations, 2, 'the timer activated it, no message did');
  assert.equal(await t.control.getState('ticker/alice', 'count'), '1');
  assert.equal(await t.control.getState('ticker/alice', 'armed'), '1', 'on the state its first activation committed');
  // Handled and idle again: it passivates, and with no timer left nothing wakes it.
  await until('ticker/alice to passivate again', async () => (await counts(t)).active === 0);
  await new Promise((r) => setTimeout(r, 400));
  assert.equal((await counts(t)).activations, 2);
});

test("after a restart, the registry's timers wake passivated instances when due", async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'caxton-kind-timers-'));
  try {
    const first = await TestNode.start({ dataDir });
    await first.control.deploy({ name: 'ticker', config: {}, limits: {}, kind: { idleMs: 150 } }, await agentArtifact('as-timer-counter'));
    const id = await tick(first, 'bob', 2_500);
    await until('ticker/bob to passivate', async () => (await counts(first)).active === 0);
    await first.stop();

    const t = await TestNode.start({ dataDir });
    nodes.push(t);
    assert.equal((await counts(t)).active, 0, 'nothing activated at start');
    const inform = await t.waitFor("the timer's inform from ticker/bob", () => informOf(t, id));
    assert.equal(inform.message.content, '1');
    assert.equal((await counts(t)).activations, 1, 'woken by its timer on the new node');
    assert.equal(await t.control.getState('ticker/bob', 'count'), '1');
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test("stopping a kind deletes its passivated instances' timers: a kind redeployed under its name is not woken for them, after a restart either", async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'caxton-kind-timers-'));
  try {
    const first = await TestNode.start({ dataDir });
    await first.control.deploy({ name: 'ticker', config: {}, limits: {}, kind: { idleMs: 150 } }, await agentArtifact('as-timer-counter'));
    const id = await tick(first, 'carol', 1_500);
    await until('ticker/carol to passivate', async () => (await counts(first)).active === 0);
    await first.control.stop('ticker', { force: false });
    await first.control.deploy({ name: 'ticker', config: {}, limits: {}, kind: { idleMs: 150 } }, await agentArtifact('as-timer-counter'));
    await first.stop();

    const t = await TestNode.start({ dataDir });
    nodes.push(t);
    // Past the old timer's due time (and a refill): nothing of the stopped deployment fires.
    await new Promise((r) => setTimeout(r, 2_000));
    assert.equal(informOf(t, id), undefined, "the stopped kind's timer did not fire");
    assert.equal(informOf(first, id), undefined);
    assert.equal((await counts(t)).activations, 0, 'no instance of the new deployment was woken');
    assert.equal(await t.control.getState('ticker/carol', 'count'), undefined, 'nothing counted');
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
