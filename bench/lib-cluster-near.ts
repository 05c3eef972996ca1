/**
 * colocated_hop_fraction (`npm run bench -- cluster --only colocation`, issue 61, decision 2189):
 * pinger/echo pairs chatting in request → inform chains on the three nodes, deployed twice — each
 * agent placed by its own name (the baseline), then each pinger `--near` its echo — and, for each
 * deployment, the fraction of the hops between the two whose sender and receiver ran on the same
 * node. The names are not picked (unlike the throughput phase's, which are chosen to cross nodes):
 * placed by their own names, a pair shares a node by chance, about one time in three.
 *
 * Measured, not assumed: each agent's node is what the nodes' listings say (AgentInfo node_id,
 * from the etcd claims) before and after the chains, and its hops are the handled counts of the
 * node running it — an echo handles only its pinger's requests, a pinger its echo's answers plus
 * the one request that started its chains. A pair whose placement changed during the run is left
 * out and said.
 */
import type { CaxtonClient } from '@caxton/runtime';
import { artifact } from './lib-artifacts.js';
import { waitUntil, type ServeNode } from './lib-cluster.js';

export interface HopFigures {
  /** Hops between the agents of a pair that stayed on one node, over all counted hops. */
  fraction: number;
  hops: number;
  pairs: number;
  /** Pairs whose two agents ran on one node. */
  together: number;
  /** Pairs left out: their placement moved during the run. */
  moved: number;
  seconds: number;
}

interface Shape {
  pairs: number;
  chains: number;
  rounds: number;
  say: (line: string) => void;
}

/** Both deployments, one after the other, on the same running nodes: the baseline, then `--near`. */
export async function colocatedHops(nodes: ServeNode[], shape: Shape): Promise<{ baseline: HopFigures; near: HopFigures }> {
  const baseline = await runPairs(nodes, shape, 'own');
  const near = await runPairs(nodes, shape, 'near');
  return { baseline, near };
}

async function runPairs(nodes: ServeNode[], s: Shape, variant: 'own' | 'near'): Promise<HopFigures> {
  const pairs = Array.from({ length: s.pairs }, (_, i) => ({ ping: `co-${variant}-ping-${i}`, pong: `co-${variant}-pong-${i}` }));
  const pinger = (await artifact('conformance/pinger')).bytes;
  const echo = (await artifact('as-echo')).bytes;
  const c = nodes[0]!.client!;
  for (const p of pairs) await c.deploy({ name: p.pong }, echo);
  for (const p of pairs)
    await c.deploy(
      {
        name: p.ping,
        config: { peer: p.pong, rounds: String(s.rounds), report: 'operator' },
        ...(variant === 'near' ? { near: p.pong } : {}),
      },
      pinger,
    );
  const names = pairs.flatMap((p) => [p.ping, p.pong]);
  await waitUntil(`the ${variant} pairs to run`, async () => (await placed(nodes, names)).size === names.length, 120_000);
  const before = await placed(nodes, names);

  let done = 0;
  const tails = nodes.map((n) =>
    n.client!.tail({ agent: 'operator', performatives: ['inform'] }, (e) => {
      if (e.message.content?.startsWith('done ') && e.message.sender?.name.startsWith(`co-${variant}-ping-`)) done += 1;
    }),
  );
  await new Promise((r) => setTimeout(r, 500));
  const t0 = performance.now();
  await Promise.all(
    pairs.map((p, i) =>
      nodes[i % nodes.length]!.client!.send({
        structured: { performative: 'request', receivers: [{ name: p.ping }], content: String(s.chains) },
      }),
    ),
  );
  await waitUntil(`every ${variant} chain to finish`, () => done >= s.pairs * s.chains, 600_000);
  const seconds = (performance.now() - t0) / 1000;
  for (const t of tails) t.cancel();
  // The last answers' completions are committed a moment after the reports: counted once every agent of the run has nothing pending.
  await waitUntil(`the ${variant} agents' mailboxes to drain`, async () => (await pending(nodes, names)) === 0, 60_000);
  const after = await placed(nodes, names);

  let hops = 0;
  let local = 0;
  let together = 0;
  let moved = 0;
  for (const p of pairs) {
    const [ping, pong] = [after.get(p.ping)!, after.get(p.pong)!];
    if (before.get(p.ping)!.node !== ping.node || before.get(p.pong)!.node !== pong.node) {
      moved += 1;
      continue;
    }
    const pairHops = pong.handled + ping.handled - 1; // the start request is no hop between the two
    hops += pairHops;
    if (ping.node === pong.node) {
      together += 1;
      local += pairHops;
    }
  }
  if (moved > 0) s.say(`${variant}: ${moved} pair(s) moved during the run, left out`);
  s.say(
    `${variant}: ${together} of ${s.pairs - moved} pairs on one node; ${local} of ${hops} hops local; chains ran ${seconds.toFixed(1)} s`,
  );
  return { fraction: hops === 0 ? Number.NaN : local / hops, hops, pairs: s.pairs, together, moved, seconds };
}

/** Each agent's node (from the claims every node lists) and its handled count (the running node's: others list zeros). */
async function placed(nodes: ServeNode[], names: string[]): Promise<Map<string, { node: string; handled: number }>> {
  const wanted = new Set(names);
  const out = new Map<string, { node: string; handled: number }>();
  for (const listing of await Promise.all(nodes.map((n) => (n.client as CaxtonClient).listAgents()))) {
    for (const a of listing) {
      if (!wanted.has(a.name) || a.state !== 'running' || a.nodeId === '') continue;
      const seen = out.get(a.name);
      out.set(a.name, { node: a.nodeId, handled: Math.max(seen?.handled ?? 0, a.messagesHandled) });
    }
  }
  return out;
}

async function pending(nodes: ServeNode[], names: string[]): Promise<number> {
  const wanted = new Set(names);
  let total = 0;
  for (const listing of await Promise.all(nodes.map((n) => (n.client as CaxtonClient).listAgents())))
    for (const a of listing) if (wanted.has(a.name)) total += a.mailboxDepth;
  return total;
}
