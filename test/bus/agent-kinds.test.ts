/**
 * Agent kinds on a real node (decision 1980), with the AssemblyScript state counter
 * (examples/as-state-counter) deployed once as the kind `counter`: messages to `counter/<key>`
 * activate one instance per key, each with its own durable count and its key in its init config;
 * an idle instance is passivated and the next message reactivates it on its count; SIGKILL right
 * after a passivation loses no write; an upgrade of the kind reaches a passivated instance at its
 * next activation; a shard at its activation bound refuses typed, and takes the key once a slot frees;
 * a kind's resume wakes its instances; a node stopped while an activation waits keeps that mail.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { CaxtonError, KindCounts } from '@caxton/core';
import { agentArtifact } from './support/artifacts.js';
import { TestNode } from './support/test-node.js';
import { ask, counts, nextRequestId } from './support/kinds.js';
import { spawnCrashChild, untilChild } from './support/crash-child.js';

const nodes: TestNode[] = [];
after(async () => {
  for (const n of nodes) await n.dispose();
});

async function passivated(t: TestNode, n: number): Promise<void> {
  let last: KindCounts | undefined;
  // Generous: a deadline only bounds a failure, and the idle periods below are seconds long.
  const deadline = Date.now() + 30_000;
  for (;;) {
    last = await counts(t);
    if (last.active === 0 && last.passivated >= n) return;
    if (Date.now() > deadline) assert.fail(`not passivated: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('three keys of one kind each count their own, see their key, passivate when idle and reactivate on their count; an upgrade reaches a passivated instance', async () => {
  const t = await TestNode.start();
  nodes.push(t);
  const deployed = await t.control.deploy(
    { name: 'counter', config: {}, limits: {}, kind: { idleMs: 200 } },
    await agentArtifact('as-state-counter'),
  );
  assert.deepEqual(deployed.kind, { idleMs: 200, active: 0, passivated: 0, activations: 0, failed: 0 }, 'a kind starts nothing');

  assert.deepEqual(
    [
      await ask(t, 'counter/alice'),
      await ask(t, 'counter/bob'),
      await ask(t, 'counter/alice'),
      await ask(t, 'counter/carol@caxton'),
      await ask(t, 'counter/alice'),
    ],
    ['1', '1', '2', '1', '3'],
    'one count per key',
  );
  // At least one activation per key (a loaded machine may passivate one between its messages).
  assert.ok((await counts(t)).activations >= 3);
  assert.equal(await t.control.getState('counter/alice', 'count'), '3', 'state keyed by the instance name');
  assert.equal(await t.control.getState('counter/bob', 'count'), '1');
  const init = (await t.storedLogs('counter/bob')).filter((l) => l.includes('resuming at count'));
  assert.deepEqual(
    init,
    ['[bob] resuming at count 0 (key bob)'],
    "the key is in the init config; the line is in the kind's log, marked with it",
  );

  await passivated(t, 3);
  const idle = await t.control.getAgent('counter/alice');
  assert.equal(idle?.state, 'stopped', 'a passivated instance shows stopped');
  assert.equal(await ask(t, 'counter/alice'), '4', 'reactivated on its committed count');
  assert.equal(await ask(t, 'counter/bob'), '2');
  assert.ok((await counts(t)).activations >= 5);
  assert.ok((await t.storedLogs('counter/alice')).includes('[alice] resuming at count 3 (key alice)'));
  await passivated(t, 5);

  // The upgrade stores version 2; carol was passivated on version 1 and runs 2 when next activated.
  const upgraded = await t.control.upgrade({ name: 'counter', limits: {} }, await agentArtifact('as-echo'));
  assert.equal(upgraded.agent.version, 2);
  assert.equal(await ask(t, 'counter/carol', 'echoed'), 'echoed', 'the new version answers');
  assert.equal((await t.control.getAgent('counter/carol'))?.version, 2);
  assert.equal(await t.control.getState('counter/carol', 'count'), '1', 'its state is kept');

  // A kind takes no mail itself; a kind that does not exist is an unknown receiver; a bad key is refused with the rule.
  await assert.rejects(
    t.send({ performative: 'request', receivers: [{ name: 'counter' }] }),
    (e: CaxtonError) => e.code === 'bus.unknown-receiver',
  );
  await assert.rejects(
    t.send({ performative: 'request', receivers: [{ name: 'nokind/alice' }] }),
    (e: CaxtonError) => e.code === 'bus.unknown-receiver',
  );
  await assert.rejects(
    t.send({ performative: 'request', receivers: [{ name: 'counter/bad key' }] }),
    (e: CaxtonError) => e.code === 'api.invalid' && /<kind>\/<key>/.test(e.hint ?? ''),
  );

  const stopped = await t.control.stop('counter', { force: false });
  assert.equal(stopped.state, 'stopped');
  assert.equal(await t.control.getAgent('counter'), undefined);
  await assert.rejects(
    t.send({ performative: 'request', receivers: [{ name: 'counter/alice' }] }),
    (e: CaxtonError) => e.code === 'bus.unknown-receiver',
  );
});

test('a shard at its activation bound refuses a new key typed (nothing accepted), and takes it once an instance passivates', async () => {
  const t = await TestNode.start({ shards: 1, kinds: { maxActivePerShard: 2 } });
  nodes.push(t);
  // Idle long enough that neither a nor b passivates before c is refused (a stall of seconds between
  // two sends on a loaded machine would let one go, and c in).
  await t.control.deploy({ name: 'counter', config: {}, limits: {}, kind: { idleMs: 5_000 } }, await agentArtifact('as-state-counter'));
  assert.equal(await ask(t, 'counter/a'), '1');
  assert.equal(await ask(t, 'counter/b'), '1');
  const before = t.accepted.length;
  await assert.rejects(t.send({ performative: 'request', receivers: [{ name: 'counter/c' }] }), (e: CaxtonError) => {
    assert.equal(e.code, 'bus.activation-limit');
    assert.equal(e.kind, 'resource-exhausted');
    assert.match(e.hint ?? '', /retry after/);
    return true;
  });
  assert.equal(t.accepted.length, before, 'nothing of the refused send was accepted');
  assert.equal(await ask(t, 'counter/a'), '2', 'keys in memory still answer at the bound');
  await passivated(t, 1);
  assert.equal(await ask(t, 'counter/c'), '1', 'a slot freed: the key activates');
});

test('SIGKILL right after a passivation loses no write: a new node on the same data dir reactivates every key on its count', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'caxton-kinds-'));
  let child: ReturnType<typeof spawnCrashChild> | undefined;
  try {
    const keys = ['k1', 'k2', 'k3'];
    const running = spawnCrashChild('kinds-child.js', [dataDir, 'deploy', ...keys]);
    child = running;
    await untilChild(running, 'the keys passivated', () => running.output.includes('passivated\n'), 60_000);
    assert.match(running.output, /answers k1=1 k2=1 k3=1/);
    running.proc.kill('SIGKILL');
    assert.equal((await running.exited).signal, 'SIGKILL');

    const t = await TestNode.start({ dataDir });
    nodes.push(t);
    assert.deepEqual((await counts(t)).active, 0, 'the kind is back from the registry, nothing activated');
    for (const key of keys) assert.equal(await ask(t, `counter/${key}`), '2', `${key} kept its write`);
  } finally {
    // A failure before the kill left the child's node running on the dir: the file never ended.
    child?.proc.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  }
});

/** Resolves once `name`'s mailbox holds at least `n` deliveries (its mail reached the bus). */
async function mailWaiting(t: TestNode, name: string, n = 1): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (((await t.control.getAgent(name))?.mailboxDepth ?? 0) < n) {
    if (Date.now() > deadline) assert.fail(`no mail waiting for ${name}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('resuming a suspended kind wakes its instances in memory; stopping the node while an activation waits dead-letters nothing, and the next start handles that mail', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'caxton-kinds-'));
  try {
    const t = await TestNode.start({ dataDir });
    nodes.push(t);
    await t.control.deploy({ name: 'counter', config: {}, limits: {}, kind: { idleMs: 10_000 } }, await agentArtifact('as-state-counter'));
    assert.equal(await ask(t, 'counter/a'), '1');

    // Suspended: `a` (in memory) is parked by its own name, `b` waits to be activated.
    await t.control.suspend('counter');
    const idA = nextRequestId();
    const idB = nextRequestId();
    await t.send({ performative: 'request', receivers: [{ name: 'counter/a' }], content: 'count', replyWith: idA });
    await t.send({ performative: 'request', receivers: [{ name: 'counter/b' }], content: 'count', replyWith: idB });
    await mailWaiting(t, 'counter/a');
    await mailWaiting(t, 'counter/b');
    assert.equal(
      t.external.find((e) => e.message.inReplyTo === idA),
      undefined,
      'nothing runs while the kind is suspended',
    );
    await t.control.resume('counter');
    const answerA = await t.waitFor("a's answer after the resume", () => t.external.find((e) => e.message.inReplyTo === idA));
    assert.equal(answerA.message.content, '2', "the instance in memory was woken by the kind's resume");
    assert.equal(
      (await t.waitFor("b's answer after the resume", () => t.external.find((e) => e.message.inReplyTo === idB))).message.content,
      '1',
    );

    // Suspended again, mail for `c` waits on its activation when the node stops: kept in the log.
    await t.control.suspend('counter');
    await t.send({ performative: 'request', receivers: [{ name: 'counter/c' }], content: 'count' });
    await mailWaiting(t, 'counter/c');
    await t.stop();

    const again = await TestNode.start({ dataDir });
    nodes.push(again);
    assert.deepEqual(
      await again.control.listDeadLetters({ agent: 'counter/c', includePurged: true, limit: 10 }),
      [],
      'a stopping node dead-letters no mail of a kind',
    );
    await again.control.resume('counter');
    const deadline = Date.now() + 15_000;
    while ((await again.control.getState('counter/c', 'count')) !== '1') {
      if (Date.now() > deadline) assert.fail("c's mail was not handled after the restart");
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
