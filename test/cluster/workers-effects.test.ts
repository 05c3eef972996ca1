/**
 * Stateless workers across nodes have timers, topics and HTTP calls (issue 55, decision 2163): three
 * nodes on one Kafka and one etcd, replicas across nodes on, the AssemblyScript worker
 * (examples/as-worker: every answer says `replica=<n> count=<k> <answer>`) scaled to 3, its units
 * placed on three different nodes.
 *
 * - A timer set by worker k fires to worker k (its own id `X#r<k>`), once: "set <c>" and "timer <c>"
 *   come from the same worker, for conversations covering every worker.
 * - An HTTP call made by worker k is answered to worker k, by id: calls sent without a conversation
 *   (spread by message id, so the answer could not follow them by hash) each come back to the worker
 *   that made them, once.
 * - A subscription made by a worker is the deployment's: each publication is handled by exactly one
 *   worker — the one its conversation hashes to, as for any send to the agent — never by every unit.
 * - State stays refused, at the scale: an agent whose component imports state writes (the replica
 *   echo) is refused a scale to 2 across nodes with `agent.replicas-stateful` and its hint, though
 *   it has written nothing yet.
 * "Once" is one answer message per request, told by its id (support/replica-answers.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { partitionFor, partitionOwner, type CaxtonClient } from '@caxton/runtime';
import { replicaFor, replicaUnitName } from '@caxton/core';
import { uniqueCluster } from './support/servers.js';
import { useCluster } from './support/fixture.js';
import { groupSettled, placement, waitFor } from './support/cluster.js';
import { example } from './support/paths.js';
import { answerLines, replicaAnswers, type ReplicaAnswer } from './support/replica-answers.js';

const WORKER = (): Uint8Array => readFileSync(example('as-worker', 'as-worker.wasm'));
/** The deliveries topic's partitions of a fresh cluster (options.ts: created with 12). */
const PARTITIONS = 12;
const NODE_IDS = ['n1', 'n2', 'n3'];

const fixture = useCluster();
const nodes = fixture.nodes;

function unitNodes(agent: string): string[] {
  return [1, 2, 3].map((k) => partitionOwner(partitionFor(replicaUnitName(agent, k), PARTITIONS), NODE_IDS)!);
}

/** `contents` each answered exactly once; their answers (one each), else fails with the journals' lines. */
function once(contents: readonly string[]): Map<string, ReplicaAnswer> {
  const { byContent } = replicaAnswers(nodes);
  const out = new Map<string, ReplicaAnswer>();
  for (const c of contents) {
    const list = byContent.get(c) ?? [];
    if (list.length !== 1) assert.fail(`${c}: ${list.length} answer messages, expected one; the journals say:\n${answerLines(nodes, c)}`);
    out.set(c, list[0]!);
  }
  return out;
}

/** Waits until every one of `contents` has at least one answer. */
function answered(contents: readonly string[], timeoutMs: number): Promise<unknown> {
  return waitFor(
    `${contents.length} answers`,
    () => {
      const { byContent } = replicaAnswers(nodes);
      return contents.every((c) => byContent.has(c)) || undefined;
    },
    timeoutMs,
    100,
  );
}

let http: Server | undefined;

test('workers across nodes: a timer fires to the worker that set it, an HTTP answer comes back to the caller, a publication goes to one worker', {
  timeout: 240_000,
}, async (t) => {
  http = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`ok ${req.url}`);
  });
  await new Promise<void>((resolve) => http!.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    http?.close();
  });
  const port = (http.address() as AddressInfo).port;
  const agent = Array.from({ length: 200 }, (_, i) => `wk${i}`).find((a) => new Set(unitNodes(a)).size === 3)!;
  await fixture.start(NODE_IDS, { name: uniqueCluster('xworkers') });
  const clients: CaxtonClient[] = [];
  for (const n of nodes) clients.push(await n.client());
  await clients[0]!.deploy(
    { name: agent, http: { timeoutMs: 20_000, allow: [{ host: 'localhost', ports: [port], allowPrivate: true }] } },
    WORKER(),
  );
  await waitFor(`${agent} to run on a node`, async () => (await placement(clients[0]!)).get(agent), 60_000);
  await clients[1]!.scale(agent, 3);
  for (const c of clients)
    await waitFor('every node to see the count', async () => (await c.getAgent(agent)).replicas?.replicas === 3, 15_000);
  await groupSettled(nodes);
  t.diagnostic(`${agent}'s workers are placed on ${unitNodes(agent).join(', ')}`);
  const send = (i: number, content: string, conversationId?: string): Promise<unknown> =>
    clients[i % clients.length]!.send({
      structured: {
        performative: 'request',
        receivers: [{ name: agent }],
        content,
        ...(conversationId !== undefined ? { conversationId } : {}),
      },
    });

  // Timers: conversations covering every worker (by the jump hash every node computes).
  const timerConversations = Array.from({ length: 12 }, (_, i) => `t-${i}`);
  assert.deepEqual([...new Set(timerConversations.map((c) => replicaFor({ conversationId: c, messageId: '' }, 3)))].sort(), [1, 2, 3]);
  await Promise.all(timerConversations.map((c, i) => send(i, `timer 300 ${c}`, c)));
  const timerContents = timerConversations.flatMap((c) => [`set ${c}`, `timer ${c}`]);
  await answered(timerContents, 60_000);
  const timers = once(timerContents);
  for (const c of timerConversations) {
    const set = timers.get(`set ${c}`)!;
    const fired = timers.get(`timer ${c}`)!;
    assert.equal(set.replica, replicaFor({ conversationId: c, messageId: '' }, 3), `${c} set on the worker its conversation hashes to`);
    assert.deepEqual(
      [fired.replica, fired.node],
      [set.replica, set.node],
      `${c}: the timer fired to worker ${set.replica} on ${set.node}, which set it`,
    );
  }

  // HTTP: calls without a conversation, spread by message id; each answer back to its caller.
  const calls = Array.from({ length: 12 }, (_, i) => `/call-${i}`);
  await Promise.all(calls.map((path, i) => send(i, `http http://localhost:${port}${path}`)));
  // Two calls by one worker give one content ("http from=<k> 200"): counted by answer messages.
  const httpAnswers = (): number =>
    [...replicaAnswers(nodes).byContent].reduce((n, [c, list]) => n + (c.startsWith('http from=') ? list.length : 0), 0);
  await waitFor(`${calls.length} http answers`, () => httpAnswers() >= calls.length || undefined, 60_000, 100);
  const byCaller = new Map<number, number>();
  for (const [content, list] of replicaAnswers(nodes).byContent) {
    const m = /^http from=(\d+) (.*)$/.exec(content);
    if (m === null) continue;
    assert.equal(m[2], '200', `the call was answered: ${content}`);
    for (const a of list) {
      assert.equal(a.replica, Number(m[1]), `the answer to worker ${m[1]}'s call was handled by worker ${a.replica}`);
      byCaller.set(a.replica, (byCaller.get(a.replica) ?? 0) + 1);
    }
  }
  assert.equal(
    [...byCaller.values()].reduce((a, b) => a + b, 0),
    calls.length,
    `one answer per call: ${JSON.stringify([...byCaller])}`,
  );
  assert.ok(
    [...byCaller.keys()].some((k) => k >= 2),
    `workers 2 and 3 made calls too: ${JSON.stringify([...byCaller])}`,
  );
  t.diagnostic(`http calls answered per worker: ${JSON.stringify([...byCaller])}`);

  // Topics: worker 2 subscribes; the subscription is the deployment's, each publication goes to one worker.
  const subscriber = Array.from({ length: 50 }, (_, i) => `s-${i}`).find((c) => replicaFor({ conversationId: c, messageId: '' }, 3) === 2)!;
  await send(0, 'subscribe cluster.work', subscriber);
  await answered(['subscribed cluster.work'], 30_000);
  assert.equal(once(['subscribed cluster.work']).get('subscribed cluster.work')!.replica, 2);
  // The reply is sent before the subscription is in the registry, and each node reads a topic's
  // subscribers from its own watched copy: publish only once every node lists it.
  await waitFor(
    'every node to list the subscription',
    async () => {
      for (const c of clients) {
        if (!(await c.listSubscriptions('cluster.work')).some((s) => s.agent === agent || s.agent.startsWith(`${agent}@`)))
          return undefined;
      }
      return true;
    },
    30_000,
    100,
  );
  const publications = Array.from({ length: 12 }, (_, i) => `p-${i}`);
  await Promise.all(
    publications.map((c, i) =>
      clients[i % clients.length]!.send({
        structured: { performative: 'inform', receivers: [{ name: 'topic:cluster.work' }], content: `pub ${c}`, conversationId: c },
      }),
    ),
  );
  await answered(
    publications.map((c) => `pub ${c}`),
    60_000,
  );
  const pubs = once(publications.map((c) => `pub ${c}`));
  for (const c of publications)
    assert.equal(
      pubs.get(`pub ${c}`)!.replica,
      replicaFor({ conversationId: c, messageId: '' }, 3),
      `pub ${c}: handled by the one worker its conversation hashes to`,
    );
  assert.ok(new Set([...pubs.values()].map((a) => a.replica)).size > 1, 'publications went to more than one worker');

  // State: refused when scaled, not when a unit first writes.
  await clients[0]!.deploy({ name: 'stateful' }, readFileSync(example('as-replica-echo', 'as-replica-echo.wasm')));
  for (const c of clients) {
    await assert.rejects(c.scale('stateful', 2), (err: { code?: string; hint?: string; message?: string }) => {
      assert.equal(err.code, 'agent.replicas-stateful', err.message);
      assert.match(err.message ?? '', /imports durable state writes/);
      assert.match(err.hint ?? '', /one replica|agent kind/);
      return true;
    });
  }
  assert.equal((await clients[2]!.getAgent('stateful')).replicas, undefined, 'nothing recorded');
});
