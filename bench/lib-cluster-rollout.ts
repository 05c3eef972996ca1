/**
 * rollout_stateful_lost / rollout_stateful_doubled (`npm run bench -- cluster --only rollout`,
 * decisions 2170, 2171, 2175): rollouts of the AssemblyScript state counter on three `caxton serve`
 * nodes over Kafka and etcd, fed requests at a fixed rate through the first two, the third killed
 * -9 half way. Two shapes: a blue-green rollout of the counter as a named agent on the third node
 * (a handover; its next node starts the rollout again from the registry record), and a canary by
 * key of the counter as a kind (its keys' instances spread over the nodes; the dead node's keys
 * activated again on the survivors, each on its key's version). The new version is the same counter
 * counting by one, so the count is exact whichever version took a request. Once the feed ends and
 * the ledgers settle: each request accepted (a send that answered) against the counters' ledgers
 * (config `ledger`: each request's content counted under its own key in the same commit) — a
 * request with no entry is lost, an entry past one is doubled, so one lost and one doubled do not
 * cancel out as in a total. */
import type { CaxtonClient } from '@caxton/runtime';
import { keyToCandidate } from '@caxton/core';
import { artifact } from './lib-artifacts.js';
import { nameOn, startNodes, waitUntil, type ServeNode } from './lib-cluster.js';

export interface RolloutFigures {
  accepted: number;
  /** The counter's total (each accepted request once: equal to `accepted`). */
  counted: number;
  /** Ledger entries for requests whose send never answered (accepted, its answer lost: not an error). */
  unacknowledged: number;
  lost: number;
  doubled: number;
  /** From the kill to the rollout running again on a survivor (s); NaN where not measured. */
  takeoverS: number;
  /** How long sending the requests took (s): the offered rate is a ceiling, a send is a durable append. */
  sendingS: number;
}

/** Sends in flight at once (each a durable append through a survivor). */
const IN_FLIGHT = 8;
/** Tries of one request before it is given up (and not counted as accepted). */
const SEND_ATTEMPTS = 20;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The agent's ledger (`seen/<content>` → times counted), from whichever survivor holds it; undefined while none answers. */
async function ledgerOf(clients: readonly CaxtonClient[], agent: string): Promise<Map<string, number> | undefined> {
  for (const c of clients) {
    try {
      const seen = new Map<string, number>();
      let after: string | undefined;
      do {
        const page = await c.listState(agent, { prefix: 'seen/', ...(after !== undefined ? { after } : {}), limit: 1000 });
        for (const e of page.entries) seen.set(e.key.slice('seen/'.length), Number(e.value));
        after = page.next;
      } while (after !== undefined);
      return seen;
    } catch {
      // not the node holding it
    }
  }
  return undefined;
}

async function handoverLogged(c: CaxtonClient, agent: string, since: number): Promise<boolean> {
  let seen = false;
  await c
    .logs({ agent, follow: false, limit: 10_000 }, (l) => {
      if (l.at >= since && l.message.includes('holding the state')) seen = true;
    })
    .done.catch(() => undefined);
  return seen;
}

/** What a rollout under load does, step by step: its target, its rollout, how a survivor shows it running again. */
interface RolloutRun {
  /** Who request `i` goes to. */
  receiverOf(i: number): string;
  /** Asked a quarter in, through the first node. */
  start(c: CaxtonClient): Promise<void>;
  /** Whether a survivor shows the rollout running again since the kill (absent: not measured). */
  resumed?(survivors: readonly CaxtonClient[], since: number): Promise<boolean>;
  /** Every request id counted so far and how often, over every ledger the run writes. */
  ledger(survivors: readonly CaxtonClient[]): Promise<Map<string, number>>;
}

/**
 * The feed: `requests` at most `ratePerS`, IN_FLIGHT at once through the first two nodes, each
 * retried under one idempotency key; the rollout asked a quarter in; the third node killed -9 half
 * way. Then, once the ledger settles, each accepted request's entries: none is lost, more than one
 * doubled.
 */
async function underKill(
  nodes: readonly ServeNode[],
  run: RolloutRun,
  o: { requests: number; ratePerS: number; say: (line: string) => void; tag: string },
): Promise<RolloutFigures> {
  const clients = nodes.map((n) => n.client!);
  const survivors = clients.slice(0, 2);
  const acceptedIds = new Set<string>();
  let killedAt = 0;
  let takeover: Promise<number> | undefined;
  const gapMs = 1000 / o.ratePerS;
  const t0 = performance.now();
  const send = async (i: number): Promise<void> => {
    // Paced: request i leaves at t0 + i × gap, IN_FLIGHT senders side by side (one send is a durable append).
    const wait = t0 + i * gapMs - performance.now();
    if (wait > 0) await sleep(wait);
    // Retried under one idempotency key (decision 1700): a send refused around the kill is sent
    // again, and one accepted before its answer was lost is accepted once, so the count is exact.
    const message = {
      structured: {
        performative: 'request' as const,
        receivers: [{ name: run.receiverOf(i) }],
        content: `r${i}`,
        conversationId: `bench-${i}`,
      },
    };
    for (let attempt = 1; attempt <= SEND_ATTEMPTS; attempt++) {
      const sent = await survivors[i % 2]!.send(message, { idempotencyKey: `bench-${o.tag}-${i}` }).then(
        () => true,
        () => false,
      );
      if (sent) {
        acceptedIds.add(`r${i}`);
        break;
      }
      await sleep(250);
    }
  };
  const phases = [0, Math.floor(o.requests / 4), Math.floor(o.requests / 2), o.requests];
  for (let p = 0; p < 3; p++) {
    if (p === 1) await run.start(clients[0]!);
    if (p === 2) {
      killedAt = Date.now();
      nodes[2]!.kill();
      o.say(`${o.tag}: the third node killed -9`);
      const resumed = run.resumed?.bind(run);
      takeover = (async () => {
        if (resumed === undefined) return Number.NaN;
        for (;;) {
          if (await resumed(survivors, killedAt)) return (Date.now() - killedAt) / 1000;
          if (Date.now() - killedAt > 120_000) return Number.NaN;
          await sleep(100);
        }
      })();
    }
    let next = phases[p]!;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        for (let i = next++; i < phases[p + 1]!; i = next++) await send(i);
      }),
    );
  }
  const accepted = acceptedIds.size;
  const sendingS = (performance.now() - t0) / 1000;
  const takeoverS = await takeover!;
  o.say(
    `${o.tag}: ${accepted} of ${o.requests} accepted in ${sendingS.toFixed(1)} s${Number.isNaN(takeoverS) ? '' : `; running again ${takeoverS.toFixed(1)} s after the kill`}`,
  );
  // Settled: the ledger's total no longer moves for two seconds and is at least what was accepted, or two minutes passed.
  let ledger = new Map<string, number>();
  let counted = -1;
  let stableSince = Date.now();
  const deadline = Date.now() + 120_000;
  for (;;) {
    ledger = await run.ledger(survivors);
    let now = 0;
    for (const times of ledger.values()) now += times;
    if (now !== counted) {
      counted = now;
      stableSince = Date.now();
    }
    if ((counted >= accepted && Date.now() - stableSince > 2_000) || Date.now() > deadline) break;
    await sleep(500);
  }
  let lost = 0;
  for (const id of acceptedIds) if ((ledger.get(id) ?? 0) === 0) lost += 1;
  let doubled = 0;
  let unacknowledged = 0;
  for (const [id, times] of ledger) {
    doubled += Math.max(0, times - 1);
    if (!acceptedIds.has(id)) unacknowledged += 1;
  }
  return { accepted, counted, unacknowledged, lost, doubled, takeoverS, sendingS };
}

/** The blue-green rollout of a named stateful agent on the third node, a handover (decision 2170). */
export async function statefulRolloutUnderKill(
  ids: readonly string[],
  kafka: string,
  etcd: string,
  o: { requests: number; ratePerS: number; say: (line: string) => void },
): Promise<RolloutFigures> {
  const nodes: ServeNode[] = await startNodes([...ids], kafka, etcd, { cluster: 'bench-rollout' });
  try {
    const clients = nodes.map((n) => n.client!);
    const agent = nameOn('ledger', ids[2]!, [...ids]);
    const counter = (await artifact('as-state-counter')).bytes;
    await clients[0]!.deploy({ name: agent, config: { ledger: '1' } }, counter);
    await waitUntil(`${agent} to run`, async () => (await clients[0]!.getAgent(agent)).state === 'running', 60_000);
    o.say(`rollout: ${agent} on ${ids[2]}, ${o.requests} requests at ${o.ratePerS}/s through ${ids[0]} and ${ids[1]}`);
    return await underKill(
      nodes,
      {
        receiverOf: () => agent,
        async start(c) {
          await c.upgrade(
            {
              name: agent,
              config: { generation: '2', ledger: '1' },
              rollout: { strategy: { kind: 'blue-green' }, thresholds: { bakeMs: 600_000 } },
            },
            counter,
          );
          o.say('rollout: blue-green asked through the first node');
        },
        async resumed(survivors, since) {
          for (const c of survivors) if (await handoverLogged(c, agent, since)) return true;
          return false;
        },
        ledger: async (survivors) => (await ledgerOf(survivors, agent)) ?? new Map<string, number>(),
      },
      { ...o, tag: 'rollout' },
    );
  } finally {
    await Promise.allSettled(nodes.map((n) => n.stop()));
  }
}

/** Keys of the kind the canary's requests go to (request i to key i mod KEYS). */
const KIND_KEYS = 24;

export interface KindCanaryFigures extends RolloutFigures {
  /** Keys the split gave the new version. */
  keysOnNew: number;
}

/**
 * The canary of a stateful kind, by key (decision 2175): the state counter deployed as a kind, its
 * keys' instances spread over the three nodes by partition; a canary of 50 % of the keys (the same
 * counter, counting by one) asked a quarter in; the third node killed -9 half way, its keys
 * activated again on the survivors, each on the version its key resolves to. Each key's ledger
 * counts the requests it took; over all keys, a request with no entry is lost, one past one doubled.
 */
export async function kindCanaryUnderKill(
  ids: readonly string[],
  kafka: string,
  etcd: string,
  o: { requests: number; ratePerS: number; say: (line: string) => void },
): Promise<KindCanaryFigures> {
  const nodes: ServeNode[] = await startNodes([...ids], kafka, etcd, { cluster: 'bench-kind-canary' });
  try {
    const clients = nodes.map((n) => n.client!);
    const kind = 'ledgers';
    const keys = Array.from({ length: KIND_KEYS }, (_, k) => `k${k}`);
    const strategy = { kind: 'canary' as const, percent: 50 };
    const counter = (await artifact('as-state-counter')).bytes;
    await clients[0]!.deploy({ name: kind, config: { ledger: '1' }, kind: { idleMs: 600_000 } }, counter);
    await waitUntil(
      `every node to know ${kind}`,
      async () => {
        for (const c of clients) if ((await c.getAgent(kind).catch(() => undefined)) === undefined) return false;
        return true;
      },
      60_000,
    );
    o.say(`kind canary: ${kind} with ${keys.length} keys, ${o.requests} requests at ${o.ratePerS}/s through ${ids[0]} and ${ids[1]}`);
    const keysOnNew = keys.filter((k) => keyToCandidate(kind, k, 2, strategy)).length;
    const figures = await underKill(
      nodes,
      {
        receiverOf: (i) => `${kind}/${keys[i % keys.length]!}`,
        async start(c) {
          await c.upgrade(
            { name: kind, config: { generation: '2', ledger: '1' }, rollout: { strategy, thresholds: { bakeMs: 600_000 } } },
            counter,
          );
          o.say(`kind canary: canary:50 by key asked through the first node (${keysOnNew} of ${keys.length} keys on the new version)`);
        },
        async ledger(survivors) {
          const all = new Map<string, number>();
          for (const k of keys)
            for (const [id, times] of (await ledgerOf(survivors, `${kind}/${k}`)) ?? []) all.set(id, (all.get(id) ?? 0) + times);
          return all;
        },
      },
      { ...o, tag: 'kind-canary' },
    );
    return { ...figures, keysOnNew };
  } finally {
    await Promise.allSettled(nodes.map((n) => n.stop()));
  }
}
