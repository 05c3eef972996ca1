/**
 * Queues for absent agents (decision 1990) on a real node with the embedded log and real
 * AssemblyScript echo agents: messages to an agent stopped with its queue kept are accepted and
 * wait, bounded (the one past its `absentQueue` refused, typed; an agent sender gets a failure),
 * through a restart of the node;
 * the next deploy of the name handles each once, in the order sent. Messages that wait past the
 * TTL — for a stopped or a suspended agent — are dead-lettered with reason `absent-ttl` and listed
 * by `dlq list`. A name never deployed, or stopped without keeping its queue, is still refused.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { CaxtonError, parseIdempotencyKey, type AgentLimitsSpec } from '@caxton/core';
import { TestNode } from './support/test-node.js';
import { agentArtifact } from './support/artifacts.js';

const nodes: TestNode[] = [];
after(async () => {
  for (const n of nodes.reverse()) await n.dispose();
});

async function start(options: Parameters<typeof TestNode.start>[0] = {}): Promise<TestNode> {
  const t = await TestNode.start({ absentSweepMs: 25, ...options });
  nodes.push(t);
  return t;
}

async function deploy(t: TestNode, name: string, limits: Partial<AgentLimitsSpec> = {}): Promise<void> {
  await t.control.deploy({ name, config: {}, limits }, await agentArtifact('as-echo'));
}

const codeOf = (err: unknown): string => (err instanceof CaxtonError ? err.code : String(err));

test('a stopped agent keeps its queue: bounded, durable across a restart, delivered once and in order on redeploy', async () => {
  const t = await start();
  await deploy(t, 'echo', { absentQueue: 3 });
  await t.deploy('asker', 'conformance/puppet');
  // A name never deployed has no queue: anyone could otherwise fill the disk with queues for made-up names.
  await assert.rejects(
    t.send({ performative: 'inform', receivers: [{ name: 'nobody' }], content: 'x' }),
    (err) => codeOf(err) === 'bus.unknown-receiver',
  );

  const stopped = await t.control.stop('echo', { force: false, keepQueue: true });
  assert.equal(stopped.state, 'stopped');
  assert.deepEqual(stopped.absentQueue, { queued: 0, limit: 3, ttlMs: 86_400_000 });

  const sent: string[] = [];
  for (const content of ['one', 'two', 'three']) {
    const idempotency = { caller: 'test', key: parseIdempotencyKey(`key-${content}`)! };
    const r = await t.control.send({ performative: 'request', receivers: [{ name: 'echo' }], content }, { idempotency });
    assert.deepEqual(r.accepted, ['echo']);
    sent.push(`${r.messageId}>echo`);
    // A retry of the same send is that message again, not one more in the queue.
    const retry = await t.control.send({ performative: 'request', receivers: [{ name: 'echo' }], content }, { idempotency });
    assert.equal(retry.messageId, r.messageId);
  }
  // The fourth is past its absent queue: refused, typed, with a hint; nothing of it accepted.
  await assert.rejects(t.send({ performative: 'request', receivers: [{ name: 'echo' }], content: 'four' }), (err) => {
    assert.ok(err instanceof CaxtonError);
    assert.equal(err.code, 'bus.absent-queue-full');
    assert.equal(err.kind, 'resource-exhausted');
    assert.match(err.hint ?? '', /--absent-queue/);
    return true;
  });
  // An agent cannot catch a refusal: it gets a failure saying why.
  await t.puppet('asker', { performative: 'request', to: 'echo', content: 'from-asker', count: 1 });
  await t.waitFor('the asker told its send was refused', () =>
    t.logs('asker').some((l) => l.startsWith('got failure from ams@caxton') && l.includes('is absent (stopped or suspended)')),
  );
  const shown = await t.control.getAgent('echo');
  assert.equal(shown?.state, 'stopped');
  assert.deepEqual(shown?.absentQueue, { queued: 3, limit: 3, ttlMs: 86_400_000 });
  assert.equal(t.handled.filter((h) => h.agent === 'echo').length, 0, 'nothing handled while stopped');
  // A stopped name is not deployed: an upgrade is refused, naming the way back.
  await assert.rejects(
    t.control.upgrade({ name: 'echo', limits: {} }, await agentArtifact('as-echo')),
    (err) => codeOf(err) === 'agent.conflict',
  );

  // The node restarts: the name is still stopped, its queue still there (pending in the log).
  await t.stop();
  const again = await start({ dataDir: t.dataDir });
  const restored = await again.control.getAgent('echo');
  assert.equal(restored?.state, 'stopped');
  assert.equal(restored?.absentQueue?.queued, 3);

  // The name comes back: its queue is handled first, once each, in the order it was sent.
  await deploy(again, 'echo');
  await again.waitFor('the queue to be handled', () => sent.every((id) => again.completed.has(id)));
  await again.settle();
  const handled = again.handled.filter((h) => h.agent === 'echo');
  assert.deepEqual(
    handled.map((h) => h.deliveryId),
    sent,
    'each once, in order',
  );
  assert.deepEqual(
    again.external.filter((e) => e.message.performative === 'inform').map((e) => e.message.content),
    ['one', 'two', 'three'],
  );
  const back = await again.control.getAgent('echo');
  assert.equal(back?.state, 'running');
  assert.equal(back?.absentQueue, undefined);
  assert.equal(back?.mailboxDepth, 0);
});

test('messages past the TTL are dead-lettered absent-ttl (stopped or suspended); a plain stop frees the name', async () => {
  // The bus clock is injected: time passes when the test says so, so the last step's message
  // cannot expire on a loaded machine before the stop it is about (it did with a real 200 ms TTL).
  let skew = 0;
  const t = await start({ busClock: () => Date.now() + skew });
  await deploy(t, 'late', { absentTtlMs: 60_000 });
  await deploy(t, 'napping', { absentTtlMs: 60_000 });

  await t.control.stop('late', { force: false, keepQueue: true });
  const toStopped = await t.send({ performative: 'request', receivers: [{ name: 'late' }], content: 'waits too long' });
  await t.control.suspend('napping');
  const toSuspended = await t.send({ performative: 'request', receivers: [{ name: 'napping' }], content: 'sleeps through it' });
  assert.equal((await t.control.getAgent('napping'))?.absentQueue?.queued, 1);

  skew = 61_000; // past both TTLs
  await t.waitFor('both to expire', () => t.deadLettered.length === 2, 10_000);
  const letters = await t.control.listDeadLetters({ includePurged: false, limit: 10 });
  assert.deepEqual(letters.map((l) => l.id).sort(), [`${toStopped.messageId}>late`, `${toSuspended.messageId}>napping`].sort());
  for (const l of letters) {
    assert.match(l.reason, /^absent-ttl: /);
    assert.equal(l.attempts, 0);
  }
  // Each sender is told its message will get no answer.
  await t.waitFor('the failures to the operator', () => t.external.filter((e) => e.message.performative === 'failure').length === 2);
  assert.equal((await t.control.getAgent('late'))?.absentQueue?.queued, 0);

  // Back: nothing expired is handled; what arrives now is.
  await t.control.resume('napping');
  const fresh = await t.send({ performative: 'request', receivers: [{ name: 'napping' }], content: 'awake' });
  await t.waitFor('the fresh one', () => t.completed.has(`${fresh.messageId}>napping`));
  await t.settle();
  assert.deepEqual(
    t.handled.filter((h) => h.agent === 'napping').map((h) => h.deliveryId),
    [`${fresh.messageId}>napping`],
  );

  // A stop without --keep-queue of a stopped name dead-letters what waits and frees the name.
  const waiting = await t.send({ performative: 'request', receivers: [{ name: 'late' }], content: 'left behind' });
  await t.control.stop('late', { force: false });
  const left = await t.control.getDeadLetter(`${waiting.messageId}>late`);
  assert.match(left.reason, /was stopped before handling it/);
  assert.equal(await t.control.getAgent('late'), undefined);
  await assert.rejects(
    t.send({ performative: 'request', receivers: [{ name: 'late' }], content: 'gone' }),
    (err) => codeOf(err) === 'bus.unknown-receiver',
  );
});

test('a message waits an hour of (injected) time for a redeploy and is handled; one past the TTL is dead-lettered', async () => {
  let skew = 0;
  const t = await start({ busClock: () => Date.now() + skew });
  await deploy(t, 'slow-return', { absentTtlMs: 2 * 3_600_000 });
  await deploy(t, 'never-back', { absentTtlMs: 2 * 3_600_000 });
  await t.control.stop('slow-return', { force: false, keepQueue: true });
  await t.control.stop('never-back', { force: false, keepQueue: true });
  const waits = await t.send({ performative: 'request', receivers: [{ name: 'slow-return' }], content: 'an hour later' });
  const expires = await t.send({ performative: 'request', receivers: [{ name: 'never-back' }], content: 'three hours later' });

  skew = 3_600_000; // an hour passes: inside the two-hour TTL
  await new Promise((r) => setTimeout(r, 150)); // several sweeps run (every 25 ms here)
  assert.equal(t.deadLettered.length, 0, 'nothing expired within the TTL');
  await deploy(t, 'slow-return');
  await t.waitFor('the hour-old message handled', () => t.completed.has(`${waits.messageId}>slow-return`));

  skew = 3 * 3_600_000; // past the TTL of what still waits
  await t.waitFor('the three-hour-old message dead-lettered', () =>
    t.deadLettered.some((d) => d.deliveryId === `${expires.messageId}>never-back`),
  );
  await t.settle();
  assert.deepEqual(
    t.handled.filter((h) => h.agent === 'slow-return').map((h) => h.deliveryId),
    [`${waits.messageId}>slow-return`],
    'handled once',
  );
  assert.equal(t.deadLettered.length, 1);
  assert.match((await t.control.getDeadLetter(`${expires.messageId}>never-back`)).reason, /^absent-ttl: never-back was absent/);
});

test('an absent queue does not hold outside clients off the node: its deliveries leave edge admission until the agent is back', async () => {
  // Edge admission fixed at four outside deliveries in flight, the least its row takes (review of issue 27, finding 2).
  const t = await start({ edgeAdmission: { minLimit: 4, maxLimit: 4, operatorReserve: 0, operatorMinSlots: 0 } });
  await deploy(t, 'away', { absentQueue: 10 });
  await deploy(t, 'here');
  await t.control.stop('away', { force: false, keepQueue: true });
  const waiting: string[] = [];
  for (let i = 0; i < 6; i++) {
    const r = await t.send({ performative: 'request', receivers: [{ name: 'away' }], content: `waits ${i}` });
    assert.deepEqual(r.accepted, ['away']);
    waiting.push(`${r.messageId}>away`);
  }
  // Six wait for an absent agent, past the edge limit of four: a client is still admitted.
  const through = await t.send({ performative: 'request', receivers: [{ name: 'here' }], content: 'not locked out' });
  await t.waitFor('the present agent answers', () => t.completed.has(`${through.messageId}>here`));

  // Suspended with a backlog: it stops counting once the sweeper looks (every 25 ms here).
  await t.control.suspend('here');
  for (let i = 0; i < 4; i++) await t.send({ performative: 'request', receivers: [{ name: 'here' }], content: `held ${i}` });
  await t.control.resume('here');
  await deploy(t, 'away');
  await t.waitFor('the kept queue handled', () => waiting.every((id) => t.completed.has(id)));
  await t.waitFor('the suspended backlog handled', () => t.handled.filter((h) => h.agent === 'here').length === 5);
  await t.settle();
  // Everything finished: the edge holds nothing, four more are admitted at once.
  const again = await Promise.all(
    [0, 1, 2, 3].map((i) => t.send({ performative: 'request', receivers: [{ name: 'here' }], content: `after ${i}` })),
  );
  assert.equal(again.length, 4);
  assert.equal(t.deadLettered.length, 0);
});

test('a batch running when its agent is suspended is handled, never also dead-lettered by the absent TTL', async () => {
  const t = await start();
  // A slow agent with a TTL far shorter than one handling (review of issue 27, finding 1).
  await t.control.deploy(
    { name: 'slowpoke', config: { 'spin-ms': '800' }, limits: { absentTtlMs: 100, fuelPerMessage: 50_000_000_000 } },
    await agentArtifact('conformance/puppet'),
  );
  const running = await t.send({ performative: 'inform', receivers: [{ name: 'slowpoke' }], content: 'takes a while' });
  // No event marks the start of a handling: 150 ms is well inside the 800 ms spin and well past
  // the dispatch of an idle agent's only message.
  await new Promise((r) => setTimeout(r, 150));
  await t.control.suspend('slowpoke'); // returns once the running handling is done: sweeps ran meanwhile
  await t.waitFor('the running handling completed', () => t.completed.has(`${running.messageId}>slowpoke`) || t.deadLettered.length > 0);
  await t.settle();
  assert.ok(t.completed.has(`${running.messageId}>slowpoke`), `handled: ${JSON.stringify(t.handled.map((h) => h.outcome.status))}`);
  assert.deepEqual(t.deadLettered, [], 'not dead-lettered too');
  assert.equal(t.handled.filter((h) => h.agent === 'slowpoke').length, 1);
  await t.control.resume('slowpoke');
});

test('while its receiver is absent an agent sender gets a share of the absent queue, not of the mailbox', async () => {
  const t = await start();
  await deploy(t, 'echo', { absentQueue: 8 }); // a quarter of 8: two slots per agent sender
  await t.deploy('asker', 'conformance/puppet');
  await t.control.stop('echo', { force: false, keepQueue: true });
  await t.puppet('asker', { performative: 'request', to: 'echo', content: 'storm', count: 5 });
  await t.waitFor(
    'three sends refused to the asker',
    () => t.logs('asker').filter((l) => l.startsWith('got failure from ams@caxton')).length === 3,
  );
  assert.equal((await t.control.getAgent('echo'))?.absentQueue?.queued, 2);
  // The operator still gets in.
  const r = await t.send({ performative: 'request', receivers: [{ name: 'echo' }], content: 'operator' });
  assert.deepEqual(r.accepted, ['echo']);
});

test('nothing of a suspended agent expires during a node freeze', async () => {
  const t = await start();
  await deploy(t, 'backlog', { absentTtlMs: 300 });
  // A frozen node keeps accepting: a message waits past the agent's TTL before it is suspended.
  await t.control.freeze('node');
  const old = await t.send({ performative: 'request', receivers: [{ name: 'backlog' }], content: 'older than the TTL' });
  // Real time must pass (the TTL counts on the clock); sweeps run every 25 ms meanwhile.
  await new Promise((r) => setTimeout(r, 400));
  const suspendedAt = Date.now();
  await t.control.suspend('backlog');
  await new Promise((r) => setTimeout(r, 400)); // past the TTL from the suspension too, still frozen
  assert.equal(t.deadLettered.length, 0, 'nothing expires during a freeze');
  await t.control.thaw('node');
  await t.waitFor('the message dead-lettered once thawed', () => t.deadLettered.length === 1, 10_000);
  assert.equal(t.deadLettered[0]!.deliveryId, `${old.messageId}>backlog`);
  assert.ok(Date.now() - suspendedAt >= 300, 'not before its TTL from the suspension');
  await t.control.resume('backlog');
});

test('suspending an agent with a backlog older than its TTL keeps the backlog for the TTL from the suspension', async () => {
  const t = await start();
  await deploy(t, 'backlog', { absentTtlMs: 300 });
  await t.control.freeze('node'); // the backlog builds up: accepted, not handled
  const old = await t.send({ performative: 'request', receivers: [{ name: 'backlog' }], content: 'older than the TTL' });
  await new Promise((r) => setTimeout(r, 400)); // the message is now older than the TTL
  const suspendedAt = Date.now();
  await t.control.suspend('backlog');
  await t.control.thaw('node');
  await t.waitFor('the TTL from the suspension', () => t.deadLettered.length === 1, 10_000);
  assert.ok(Date.now() - suspendedAt >= 300, 'kept for its TTL from the suspension, not dropped at once');
  assert.equal(t.deadLettered[0]!.deliveryId, `${old.messageId}>backlog`);
  await t.control.resume('backlog');
});
