/**
 * A running test cluster: nodes, their journals, deploying probes and waiting until they answer.
 */
import { readFileSync } from 'node:fs';
import { parseAssignmentLine, partitionOwner, type CaxtonClient } from '@caxton/runtime';
import { Journal, type Observation } from './journal.js';
import type { NodeProcess } from './node-process.js';
import { example } from './paths.js';

export const PROBE = (): Uint8Array => readFileSync(example('cluster/probe', 'cluster-probe.wasm'));

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Deploys `names` (through the given clients in turn, a few at a time). */
export async function deployAll(clients: CaxtonClient[], names: string[], bytes: Uint8Array, config: Record<string, string> = {}, inFlight = 6): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    for (let i = next++; i < names.length; i = next++) await clients[i % clients.length]!.deploy({ name: names[i]!, config }, bytes);
  }));
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
 */
export async function warmUp(client: CaxtonClient, agents: string[], js: Journal[], timeoutMs = 60_000): Promise<void> {
  for (const a of agents) await client.send({ structured: { performative: 'request', receivers: [{ name: a }], content: `${a}:0` } });
  await waitFor('every probe to answer its warm-up request', () => {
    const seen = new Set(allObservations(js).filter((o) => o.seq === 0).map((o) => o.agent));
    return agents.every((a) => seen.has(a));
  }, timeoutMs, 250);
}

/** The partitions a node's stderr says it consumes now (its last assignment line), or undefined before its first. */
export function consumedPartitions(node: NodeProcess): number[] | undefined {
  let last: number[] | undefined;
  for (const line of node.stderr.split('\n')) {
    const a = parseAssignmentLine(line);
    if (a !== undefined && a.nodeId === node.id) last = a.partitions;
  }
  return last;
}

/**
 * Waits until the consumer group has settled on `nodes`: each consumes exactly the partitions the
 * rendezvous gives it among their ids (partition-placement.ts), as its stderr says. Until then a
 * partition can still move, and a delivery handled before the move may be handled again after it
 * (at least once; its effects keep their ids) or an agent be activated where it will not stay.
 */
export async function groupSettled(nodes: readonly NodeProcess[], partitions: number, timeoutMs = 60_000): Promise<void> {
  const ids = nodes.map((n) => n.id);
  await waitFor(`the consumer group to give each of ${ids.join(', ')} its partitions`, () => nodes.every((n) => {
    const expected = Array.from({ length: partitions }, (_, p) => p).filter((p) => partitionOwner(p, ids) === n.id);
    return consumedPartitions(n)?.join(' ') === expected.join(' ');
  }), timeoutMs, 100);
}
