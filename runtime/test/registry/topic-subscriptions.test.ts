/**
 * Topic subscriptions (decision 1960) in both registries, with the same assertions: keyed by agent
 * and topic, replaced on re-subscribe, listed by topic then agent, bounded per agent, dropped per
 * agent; durable across reopen (embedded: through the journal and a compaction) and shared by every
 * node (etcd, a real server).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { TOPIC_LIMITS, type TopicSubscription } from '@caxton/core';
import { EmbeddedRegistry } from '../../src/registry/embedded/embedded-registry.js';
import { EtcdRegistry } from '../../src/registry/etcd/etcd-registry.js';
import type { TopicStore } from '../../src/storage/ports.js';
import { startEtcd, type EtcdHandle } from './helpers/etcd.js';
import { tempDir } from './helpers/tmp.js';

let root: { path: string; remove: () => Promise<void> };
let etcd: EtcdHandle;
let n = 0;
const toClose: { close(): Promise<void> }[] = [];

before(async () => {
  root = await tempDir('topic-subscriptions');
  etcd = await startEtcd();
});
after(async () => {
  for (const r of toClose) await r.close().catch(() => undefined);
  await etcd.stop();
  await root.remove();
});

const filtered: TopicSubscription = {
  agent: 'b',
  topic: 'market/prices',
  filter: { all: [{ field: 'ontology', match: { prefix: 'fx.' } }] },
};

async function exercise(store: TopicStore): Promise<void> {
  await store.putSubscription({ agent: 'ab', topic: 'market/prices' });
  await store.putSubscription({ agent: 'a', topic: 'market/prices', filter: { all: [] } });
  await store.putSubscription(filtered);
  await store.putSubscription({ agent: 'a', topic: 'news' });
  // Re-subscribing replaces the filter.
  await store.putSubscription({ agent: 'a', topic: 'market/prices' });
  assert.deepEqual(await store.listSubscriptions('market/prices'), [
    { agent: 'a', topic: 'market/prices' },
    { agent: 'ab', topic: 'market/prices' },
    filtered,
  ]);
  assert.deepEqual(
    (await store.listSubscriptions()).map((s) => `${s.topic} ${s.agent}`),
    ['market/prices a', 'market/prices ab', 'market/prices b', 'news a'],
  );
  assert.deepEqual(await store.listSubscriptions('market'), [], 'a topic is not a prefix of another');
  await store.deleteSubscription('ab', 'market/prices');
  await store.deleteSubscription('ab', 'market/prices'); // gone already: not an error
  await store.deleteSubscriptions('a');
  assert.deepEqual(await store.listSubscriptions(), [filtered], 'deleteSubscriptions(a) left b alone');

  // Refused on the way in: a bad topic, a bad filter, one subscription past the bound.
  await assert.rejects(store.putSubscription({ agent: 'c', topic: 'no spaces' }), { code: 'topic.invalid-name' });
  await assert.rejects(
    store.putSubscription({
      agent: 'c',
      topic: 't',
      filter: { all: [{ field: 'body', match: { equals: 'x' } }] },
    } as unknown as TopicSubscription),
    { code: 'topic.invalid-filter' },
  );
  for (let i = 0; i < TOPIC_LIMITS.maxSubscriptionsPerAgent; i++) await store.putSubscription({ agent: 'busy', topic: `t${i}` });
  await store.putSubscription({ agent: 'busy', topic: 't0' }); // a replacement is not one more
  await assert.rejects(store.putSubscription({ agent: 'busy', topic: 'one-more' }), { code: 'topic.too-many-subscriptions' });
}

test('embedded: subscriptions survive close and reopen, through the journal and a snapshot', async () => {
  const dir = join(root.path, `r${n++}`);
  const r = new EmbeddedRegistry({ dir, compactAfterBytes: 2_000 });
  await r.open();
  await exercise(r);
  const before = await r.listSubscriptions();
  await r.close();
  const again = new EmbeddedRegistry({ dir });
  await again.open();
  toClose.push(again);
  assert.deepEqual(await again.listSubscriptions(), before);
  await assert.rejects(
    again.putSubscription({ agent: 'busy', topic: 'one-more' }),
    { code: 'topic.too-many-subscriptions' },
    'the per-agent count is rebuilt too',
  );
});

test('etcd: every node reads the same subscriptions at once, and they outlive the node that made them', async () => {
  const prefix = `/topics${n++}/`;
  const a = new EtcdRegistry({ endpoints: [etcd.endpoint], prefix });
  const b = new EtcdRegistry({ endpoints: [etcd.endpoint], prefix });
  await a.open();
  await b.open();
  toClose.push(b);
  await exercise(a);
  const made = await a.listSubscriptions();
  await a.close();
  assert.deepEqual(await b.listSubscriptions(), made);
  // A damaged value, or one whose content disagrees with its key, counts as absent.
  await b.connection.client.put(`${prefix}store/topics/news/x`).value('{not json').exec();
  await b.connection.client
    .put(`${prefix}store/topics/news/y`)
    .value(JSON.stringify({ agent: 'z', topic: 'news' }))
    .exec();
  assert.deepEqual(await b.listSubscriptions('news'), []);
});

test("etcd: the per-agent bound holds when two nodes subscribe one agent at once (one transaction on the agent's own keys)", async () => {
  const prefix = `/topics${n++}/`;
  const a = new EtcdRegistry({ endpoints: [etcd.endpoint], prefix });
  const b = new EtcdRegistry({ endpoints: [etcd.endpoint], prefix });
  await a.open();
  await b.open();
  toClose.push(a, b);
  // Another agent's subscriptions are not counted (nor read) for this one.
  await a.putSubscription({ agent: 'other', topic: 'shared' });
  for (let i = 0; i < TOPIC_LIMITS.maxSubscriptionsPerAgent - 1; i++)
    await (i % 2 === 0 ? a : b).putSubscription({ agent: 'race', topic: `t${i}` });
  assert.equal((await a.listSubscriptions()).filter((s) => s.agent === 'race').length, TOPIC_LIMITS.maxSubscriptionsPerAgent - 1);
  const outcomes = await Promise.allSettled([
    a.putSubscription({ agent: 'race', topic: 'last-a' }),
    b.putSubscription({ agent: 'race', topic: 'last-b' }),
  ]);
  assert.deepEqual(
    outcomes.map((o) => o.status).sort(),
    ['fulfilled', 'rejected'],
    'one place left: exactly one of two racing subscribes gets it',
  );
  const refused = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected')!;
  assert.equal((refused.reason as { code?: string }).code, 'topic.too-many-subscriptions');
  assert.equal((await b.listSubscriptions()).filter((s) => s.agent === 'race').length, TOPIC_LIMITS.maxSubscriptionsPerAgent);
  // An unsubscribe frees a place; undeploying drops the subscriptions and their index.
  await b.deleteSubscription('race', 't0');
  await a.putSubscription({ agent: 'race', topic: 'again' });
  await a.deleteSubscriptions('race');
  assert.deepEqual(await b.listSubscriptions(), [{ agent: 'other', topic: 'shared' }]);
  assert.deepEqual(
    Object.keys(await b.connection.client.getAll().prefix(`${prefix}store/topic-agents/race`).strings()),
    [],
    'no index left behind',
  );
});
