/**
 * A running test cluster: nodes, their journals, deploying probes and waiting until they answer.
 */
import { readFileSync } from 'node:fs';
import { parseAssignmentLine, partitionOwner, type CaxtonClient } from '@caxton/runtime';
import { Journal, type Observation } from './journal.js';
import type { NodeProcess } from './node-process.js';
import { example } from './paths.js';

export const PROBE = (): Uint8Array => readFileSync(example('cluster/probe', 'cluster-probe.wasm'));

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Deploys `names` (through the given clients in turn, a few at a time). */
export async function deployAll(
  clients: CaxtonClient[],
  names: string[],
  bytes: Uint8Array,
  config: Record<string, string> = {},
  inFlight = 6,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      for (let i = next++; i < names.length; i = next++) await clients[i % clients.length]!.deploy({ name: names[i]!, config }, bytes);
    }),
  );
}

/** Which node runs which agent, from one node's `status` (etcd membership + claims). */
export async function placement(client: CaxtonClient): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const n of (await client.status()).nodes) for (const a of n.agents) out.set(a, n.id);
  return out;
}

export function journals(nodes: NodeProcess[]): Journal[] {
  return nodes.map((n) => new Journal(n.id, n.journal!));
}

export function allObservations(js: Journal[]): Observation[] {
  return js.flatMap((j) => j.refresh().observations);
}

export function completionsByNode(js: Journal[]): Map<string, Map<string, number>> {
  return new Map(js.map((j) => [j.nodeId, j.refresh().completions]));
}

/**
 * Sends `<agent>:0` to every probe and waits until each answered: then every probe runs on some
 * node and the routing between nodes works.
 *
 * Call it once the consumer group has settled (`groupSettled`): a stateful probe's completion is
 * durable in its state commit before its offset commit, so if its partition moves between the
 * two, the commit is refused on the old owner and the new owner skips the delivery as done (the
 * state topic says so) — durable, yet no node ever reports its completion, and the wait below
 * would run out (seen once in CI, in absent-queues' warm-up).
 */
export async function warmUp(client: CaxtonClient, agents: string[], js: Journal[], timeoutMs = 60_000): Promise<void> {
  const ids: string[] = [];
  for (const a of agents)
    ids.push(
      `${(await client.send({ structured: { performative: 'request', receivers: [{ name: a }], content: `${a}:0` } })).messageId}>${a}`,
    );
  await waitFor(
    'every probe to answer its warm-up request',
    () => {
      const seen = new Set(
        allObservations(js)
          .filter((o) => o.seq === 0)
          .map((o) => o.agent),
      );
      return agents.every((a) => seen.has(a));
    },
    timeoutMs,
    250,
  );
  // And its completion committed: a probe reports while handling, before the commit point, so a
  // stop or a kill right after an answer could still find the warm-up pending (it would be queued
  // for the absent agent, or handled again elsewhere) — a test's counts start after it, not during.
  await waitFor(
    "every warm-up request's completion committed",
    () => {
      const done = new Set(js.flatMap((j) => [...j.refresh().completions.keys()]));
      return ids.every((id) => done.has(id));
    },
    timeoutMs,
    250,
  ).catch((err: unknown) => {
    // Which completions never showed, and where each was handled: what to look at in the nodes' logs.
    const done = new Set(js.flatMap((j) => [...j.refresh().completions.keys()]));
    const handled = allObservations(js).filter((o) => o.seq === 0);
    const missing = ids
      .filter((id) => !done.has(id))
      .map((id) => {
        const agent = id.slice(id.lastIndexOf('>') + 1);
        const where = handled.filter((o) => o.agent === agent).map((o) => `${o.node} (journal ${o.journal})`);
        return `${id} (handled on ${where.join(', ') || 'no node'})`;
      });
    throw new Error(`${(err as Error).message}: ${missing.join('; ')}`);
  });
}

/** What a node's stderr says it consumes now (its last assignment line), or undefined before its first. */
export function consumedPartitions(node: NodeProcess): { partitions: number[]; of: number } | undefined {
  let last: { partitions: number[]; of: number } | undefined;
  for (const line of node.stderr.split('\n')) {
    const a = parseAssignmentLine(line);
    if (a !== undefined && a.nodeId === node.id) last = a;
  }
  return last;
}

/**
 * Waits until the consumer group has settled on the live nodes among `nodes` (the latest process of
 * each id, so a test that killed or restarted one can call it again): each consumes exactly the
 * partitions the rendezvous gives it among their ids (partition-placement.ts), as its stderr says.
 * Until then a partition can still move, and a delivery handled before the move may be handled
 * again after it (at least once; its effects keep their ids) or an agent be activated where it will
 * not stay. On timeout, says each node's last line against what it should be.
 */
export async function groupSettled(nodes: readonly NodeProcess[], timeoutMs = 60_000): Promise<void> {
  const latest = new Map<string, NodeProcess>();
  for (const n of nodes) latest.set(n.id, n); // started in order: a restart comes after its first process
  const live = [...latest.values()].filter((n) => n.alive);
  const ids = live.map((n) => n.id);
  const expected = (n: NodeProcess, of: number): number[] =>
    Array.from({ length: of }, (_, p) => p).filter((p) => partitionOwner(p, ids) === n.id);
  const settled = (n: NodeProcess): boolean => {
    const now = consumedPartitions(n);
    return now !== undefined && now.partitions.join(' ') === expected(n, now.of).join(' ');
  };
  await waitFor(`the consumer group to give each of ${ids.join(', ')} its partitions`, () => live.every(settled), timeoutMs, 100).catch(
    (err: unknown) => {
      const say = live.map((n) => {
        const now = consumedPartitions(n);
        return `${n.id}: consumes ${now === undefined ? '(no line yet)' : now.partitions.join(' ') || 'none'}${now === undefined ? '' : `, should ${expected(n, now.of).join(' ') || 'none'}`}`;
      });
      throw new Error(`${(err as Error).message}\n${say.join('\n')}`);
    },
  );
}
