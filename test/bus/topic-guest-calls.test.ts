/**
 * caxton:agent/topics called by a real sandboxed agent on a real in-process node (decision 1961),
 * through examples/conformance/topic-probe (AssemblyScript): a subscription made while handling a
 * message is applied with that handling and reaches the registry the embedder's API uses; every
 * refusal comes back to the agent as the WIT's typed error (invalid name, invalid filter, a name
 * over its cap refused from its length, the per-call quota); a handling that crashes applies none
 * of its subscriptions; unsubscribe removes one; the registry's per-agent bound is reported in the
 * agent's log, not dropped.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TOPIC_LIMITS } from '@caxton/core';
import { TestNode } from './support/test-node.js';

let t: TestNode;

/** Sends the probe a script and waits for its completion (its effects are applied before it). */
async function script(lines: string[]): Promise<void> {
  const sent = await t.send({ performative: 'request', receivers: [{ name: 'probe' }], content: lines.join('\n') });
  const handled = await t.waitFor('the probe to handle the script', () => t.handled.find((h) => h.messageId === sent.messageId));
  await t.waitFor('its completion', () => t.completed.has(handled.deliveryId));
}

async function topicsOf(agent: string): Promise<string[]> {
  return (await t.node.topics.list())
    .filter((s) => s.agent === agent)
    .map((s) => s.topic)
    .sort();
}

before(async () => {
  t = await TestNode.start();
  await t.deploy('probe', 'conformance/topic-probe', { subscribe: 'boot.a, boot.b' }, { fuelPerMessage: 50_000_000 });
});

after(async () => {
  await t?.dispose();
});

test('subscriptions made at init are in the registry, and a publish to one reaches the agent with the topic as receiver', async () => {
  assert.deepEqual(await topicsOf('probe'), ['boot.a', 'boot.b']);
  const sent = await t.send({ performative: 'inform', receivers: [{ name: 'topic:boot.a' }], content: 'hello' });
  assert.deepEqual(sent.accepted, ['probe']);
  await t.waitFor('the probe to log it', () => t.logs('probe').includes('got inform via topic:boot.a content=hello'));
});

test('each refusal is the typed WIT error; accepted calls are applied with the handling', async () => {
  await script([
    'sub jobs {"all":[{"field":"performative","match":{"equals":"cfp"}}]}',
    'sub bad!name',
    'sub topic:jobs',
    'sub jobs2 {"all":[{"field":"content","match":{"equals":"x"}}]}',
    'sub jobs3 not json',
    `sub-long ${TOPIC_LIMITS.maxTopicNameLength + 1}`,
    'unsub boot.b',
    'unsub no@such',
  ]);
  const logs = t.logs('probe');
  const line = (prefix: string): string => logs.find((l) => l.startsWith(prefix)) ?? `(no line ${prefix})`;
  assert.equal(line('sub jobs:'), 'sub jobs: ok');
  assert.match(
    line('sub bad!name:'),
    /^sub bad!name: invalid-name: topic: "bad!name" is not a valid topic name \(a topic name is 1\.\.200 characters/,
  );
  assert.match(line('sub topic:jobs:'), /^sub topic:jobs: invalid-name: .*not a valid topic name/);
  assert.match(line('sub jobs2:'), /^sub jobs2: invalid-filter: filter\.all\[0\]\.field: "content" is not a filterable field/);
  assert.match(line('sub jobs3:'), /^sub jobs3: invalid-filter: the filter is not JSON/);
  assert.match(line('sub-long 201:'), /^sub-long 201: invalid-name: the topic name has 201 code units; at most 200$/);
  assert.equal(line('unsub boot.b:'), 'unsub boot.b: ok');
  assert.match(line('unsub no@such:'), /^unsub no@such: invalid-name: /);
  const subs = await t.node.topics.list();
  assert.deepEqual(
    subs.filter((s) => s.agent === 'probe').map((s) => [s.topic, s.filter]),
    [
      ['boot.a', undefined],
      ['jobs', { all: [{ field: 'performative', match: { equals: 'cfp' } }] }],
    ],
    'the one valid subscribe and the unsubscribe were applied; nothing refused was',
  );
});

test('a handling that crashes applies none of its subscriptions', async () => {
  const sent = await t.send({ performative: 'request', receivers: [{ name: 'probe' }], content: 'sub crashed.one\ncrash' });
  const crashed = await t.waitFor('the handling to crash', () => t.handled.find((h) => h.messageId === sent.messageId));
  assert.equal(crashed.outcome.status, 'crashed');
  await t.settle();
  assert.ok(!(await topicsOf('probe')).includes('crashed.one'), 'the trap discarded the subscription with the handling');
});

test('the registry bound of 100 subscriptions is applied with the handling and reported in the agent log, not dropped', async () => {
  // Filled up to the bound through the embedder's API (the same registry path the agent's calls take).
  for (let i = 0; (await topicsOf('probe')).length < TOPIC_LIMITS.maxSubscriptionsPerAgent; i++)
    await t.node.topics.subscribe('probe', `fill${i}`);
  await script(['sub one.more']);
  assert.ok(t.logs('probe').includes('sub one.more: ok'), 'the call itself cannot see the bound');
  const refusal = await t.waitFor('the refusal in the agent log', () => t.logs('probe').find((l) => l.includes('topic changes refused')));
  // (The probe's instance was replaced after the crash above: its init ran again and re-subscribed
  // to boot.b with this handling, which the full registry refuses too.)
  assert.match(
    refusal,
    /^\[caxton\] effects not applied: topic changes refused: .*subscribe one\.more: topic: probe already has 100 subscriptions$/,
  );
  assert.ok(!(await topicsOf('probe')).includes('one.more'));
});

test('the per-call quota of directory changes is a typed quota-exceeded', async () => {
  await script(['sub-many q 101']);
  const report = t.logs('probe').find((l) => l.startsWith('sub-many q:')) ?? '';
  const m = /^sub-many q: (\d+) ok, (\d+) refused \(quota-exceeded\)$/.exec(report);
  assert.ok(m, report);
  assert.equal(Number(m[1]) + Number(m[2]), 101);
  assert.ok(Number(m[1]) <= 100 && Number(m[2]) >= 1, '100 changes per call at most (fewer when the per-second bucket is lower)');
});
