/**
 * Who may subscribe to a topic (decision 2050), on a real in-process node with the AssemblyScript
 * topic probe: a deployment's `topics` patterns bound its agent's own `subscribe` calls (refused at
 * the call with the WIT's typed error, counted) and the embedder's (`topic.not-allowed`); an
 * upgrade keeps the list unless it names one; a kind's instances subscribe under the kind's list;
 * a deployment without a list may subscribe to every topic, as before. And a stop with
 * `keepQueue` keeps the agent's subscriptions, so what is published while it is absent waits for
 * it and is handled on its return; a plain stop drops them.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CaxtonError, parseTopicPatterns } from '@caxton/core';
import { TestNode } from './support/test-node.js';
import { agentArtifact } from './support/artifacts.js';

let t: TestNode;
const FUEL = { fuelPerMessage: 50_000_000 };

/** Sends `agent` a probe script and waits for its completion (its effects are applied before it). */
async function script(agent: string, lines: string[]): Promise<void> {
  const sent = await t.send({ performative: 'request', receivers: [{ name: agent }], content: lines.join('\n') });
  const handled = await t.waitFor(`${agent} to handle the script`, () => t.handled.find((h) => h.messageId === sent.messageId));
  await t.waitFor('its completion', () => t.completed.has(handled.deliveryId));
}

async function topicsOf(agent: string): Promise<string[]> {
  return (await t.node.topics.list())
    .filter((s) => s.agent === agent)
    .map((s) => s.topic)
    .sort();
}

const line = (agent: string, prefix: string): string => t.logs(agent).findLast((l) => l.startsWith(prefix)) ?? `(no line ${prefix})`;

before(async () => {
  t = await TestNode.start();
  await t.control.deploy(
    { name: 'worker', config: {}, limits: FUEL, topics: parseTopicPatterns(['jobs.*', 'alerts']) },
    await agentArtifact('conformance/topic-probe'),
  );
  await t.control.deploy({ name: 'open', config: {}, limits: FUEL }, await agentArtifact('conformance/topic-probe'));
});

after(async () => {
  await t?.dispose();
});

test('the agent subscribes to what its list allows; anything else is refused at the call, typed and counted', async () => {
  assert.deepEqual((await t.control.getAgent('worker'))?.topics, ['jobs.*', 'alerts']);
  await script('worker', ['sub jobs.delivery', 'sub jobs', 'sub alerts', 'sub alerts.eu', 'sub payments', 'unsub payments']);
  assert.equal(line('worker', 'sub jobs.delivery:'), 'sub jobs.delivery: ok');
  assert.equal(line('worker', 'sub alerts:'), 'sub alerts: ok');
  for (const refused of ['jobs', 'alerts.eu', 'payments']) {
    assert.match(
      line('worker', `sub ${refused}:`),
      new RegExp(
        `^sub ${refused.replace('.', '\\.')}: invalid-name: topic: this agent may not subscribe to "${refused.replace('.', '\\.')}": its deployment allows jobs\\.\\*,alerts \\(.*--topics`,
      ),
    );
  }
  assert.equal(line('worker', 'unsub payments:'), 'unsub payments: ok', 'unsubscribing is never refused by the list');
  assert.deepEqual(await topicsOf('worker'), ['alerts', 'jobs.delivery']);
  // The embedder's API is held to the same list: the node, not only the sandbox, checks it.
  await assert.rejects(t.node.topics.subscribe('worker', 'payments'), (err) => {
    assert.ok(err instanceof CaxtonError);
    assert.equal(err.code, 'topic.not-allowed');
    assert.equal(err.kind, 'permission-denied');
    assert.match(err.message, /worker may not subscribe to "payments"/);
    return true;
  });
  // A publish to a topic outside its list does not reach it.
  const sent = await t.send({ performative: 'inform', receivers: [{ name: 'topic:payments' }], content: 'x' });
  assert.deepEqual(sent.accepted, []);
});

test('a deployment without a list may subscribe to every topic (as before the list existed)', async () => {
  assert.equal((await t.control.getAgent('open'))?.topics, undefined);
  await script('open', ['sub payments', 'sub anything/at.all']);
  assert.equal(line('open', 'sub payments:'), 'sub payments: ok');
  assert.deepEqual(await topicsOf('open'), ['anything/at.all', 'payments']);
});

test('an upgrade keeps the list unless it names one; an empty list allows no topic', async () => {
  const artifact = await agentArtifact('conformance/topic-probe');
  const kept = await t.control.upgrade({ name: 'worker', limits: {} }, artifact);
  assert.deepEqual(kept.agent.topics, ['jobs.*', 'alerts']);
  await script('worker', ['sub jobs.more', 'sub payments']);
  assert.equal(line('worker', 'sub jobs.more:'), 'sub jobs.more: ok');
  assert.match(line('worker', 'sub payments:'), /may not subscribe/);

  assert.deepEqual(await topicsOf('worker'), ['alerts', 'jobs.delivery', 'jobs.more']);
  const narrower = await t.control.upgrade({ name: 'worker', limits: {}, topics: parseTopicPatterns(['jobs.*']) }, artifact);
  assert.deepEqual(narrower.agent.topics, ['jobs.*']);
  assert.deepEqual(await topicsOf('worker'), ['jobs.delivery', 'jobs.more'], 'a subscription outside the new list went with the upgrade');
  const none = await t.control.upgrade({ name: 'worker', limits: {}, topics: parseTopicPatterns([]) }, artifact);
  assert.deepEqual(none.agent.topics, []);
  assert.deepEqual(await topicsOf('worker'), []);
  assert.ok((await t.storedLogs('worker')).some((l) => l.includes('2 topic subscriptions outside its allowed topics removed')));
  await script('worker', ['sub alerts']);
  assert.match(line('worker', 'sub alerts:'), /^sub alerts: invalid-name: .*its deployment allows no topic/);
});

test("an upgrade that widens the list lets the new version's init subscribe to the newly allowed topics", async () => {
  const artifact = await agentArtifact('conformance/topic-probe');
  await t.control.deploy({ name: 'widen', config: { subscribe: 'a' }, limits: FUEL, topics: parseTopicPatterns(['a']) }, artifact);
  assert.deepEqual(await topicsOf('widen'), ['a']);
  // The init runs before the upgrade returns: it is judged by the new record, not the replaced one.
  await t.control.upgrade({ name: 'widen', limits: {}, config: { subscribe: 'a,b' }, topics: parseTopicPatterns(['a', 'b']) }, artifact);
  assert.deepEqual(await topicsOf('widen'), ['a', 'b']);
  assert.ok(!(await t.storedLogs('widen')).some((l) => l.includes('refused')), 'no refused effect on its log');
});

test("a kind's instances subscribe under the kind's list", async () => {
  await t.control.deploy(
    { name: 'pk', config: {}, limits: FUEL, kind: {}, topics: parseTopicPatterns(['k.*']) },
    await agentArtifact('conformance/topic-probe'),
  );
  assert.deepEqual((await t.control.getAgent('pk'))?.topics, ['k.*']);
  await script('pk/one', ['sub k.one', 'sub other']);
  assert.equal(line('pk/one', 'sub k.one:'), 'sub k.one: ok');
  assert.match(line('pk/one', 'sub other:'), /^sub other: invalid-name: .*its deployment allows k\.\*/);
  // (The registry keeps no subscription of an instance yet — a name with "/" is refused when the
  // effect is applied, decision 1980 — so the list is what the call is judged by, here and below.)
  await assert.rejects(t.node.topics.subscribe('pk/one', 'other'), (err) => err instanceof CaxtonError && err.code === 'topic.not-allowed');
});

test('stop --keep-queue keeps the subscriptions: a publish while it is absent waits and is handled on its return; a plain stop drops them', async () => {
  await t.control.deploy({ name: 'away', config: {}, limits: FUEL }, await agentArtifact('conformance/topic-probe'));
  await t.node.topics.subscribe('away', 'news');
  await t.control.stop('away', { force: false, keepQueue: true });
  assert.deepEqual(await topicsOf('away'), ['news'], 'kept while it is absent');
  const sent = await t.send({ performative: 'inform', receivers: [{ name: 'topic:news' }], content: 'while-away' });
  assert.deepEqual(sent.accepted, ['away'], 'the publish is queued for the absent subscriber');
  assert.equal((await t.control.getAgent('away'))?.absentQueue?.queued, 1);
  assert.ok(!t.logs('away').some((l) => l.includes('while-away')), 'nothing handled while it is stopped');

  await t.control.deploy({ name: 'away', config: {}, limits: FUEL }, await agentArtifact('conformance/topic-probe'));
  await t.waitFor('the queued publish to be handled on return', () =>
    t.logs('away').includes('got inform via topic:news content=while-away'),
  );
  assert.deepEqual(await topicsOf('away'), ['news'], 'still subscribed after the redeploy');

  await t.control.stop('away', { force: false });
  assert.deepEqual(await topicsOf('away'), [], 'a plain stop drops them');
  const after = await t.send({ performative: 'inform', receivers: [{ name: 'topic:news' }], content: 'gone' });
  assert.deepEqual(after.accepted, []);
});

test('a redeploy over a name stopped with its queue kept, with a narrower list, drops the kept subscriptions outside it', async () => {
  await t.control.deploy({ name: 'away3', config: {}, limits: FUEL }, await agentArtifact('conformance/topic-probe'));
  await t.node.topics.subscribe('away3', 'news3');
  await t.node.topics.subscribe('away3', 'jobs.3');
  await t.control.stop('away3', { force: false, keepQueue: true });
  await t.control.deploy(
    { name: 'away3', config: {}, limits: FUEL, topics: parseTopicPatterns(['jobs.*']) },
    await agentArtifact('conformance/topic-probe'),
  );
  assert.deepEqual(await topicsOf('away3'), ['jobs.3']);
});

test('a plain stop of an agent stopped with its queue kept drops its subscriptions with the queue', async () => {
  await t.control.deploy({ name: 'away2', config: {}, limits: FUEL }, await agentArtifact('conformance/topic-probe'));
  await t.node.topics.subscribe('away2', 'news2');
  await t.control.stop('away2', { force: false, keepQueue: true });
  assert.deepEqual(await topicsOf('away2'), ['news2']);
  await t.control.stop('away2', { force: false });
  assert.deepEqual(await topicsOf('away2'), []);
  await assert.rejects(
    t.send({ performative: 'inform', receivers: [{ name: 'away2' }], content: 'x' }),
    (err) => err instanceof CaxtonError && err.code === 'bus.unknown-receiver',
  );
});
