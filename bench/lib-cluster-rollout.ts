/**
 * rollout_stateful_lost / rollout_stateful_doubled (`npm run bench -- cluster --only rollout`,
 * decisions 2170, 2171): the AssemblyScript state counter on three `caxton serve` nodes over Kafka
 * and etcd, named onto the third node, fed requests at a fixed rate through the other two. A
 * quarter in, a blue-green rollout of it (the same counter, counting by one, so the count is exact
 * whichever version took a request) is asked through the first node; the third node runs it as a
 * handover. Half way, the third node is killed -9; the agent's next node starts the rollout again
 * from the registry record. Once the feed ends and the count settles: each request accepted (a send
 * that answered) against the counter's ledger (config `ledger`: each request's content counted
 * under its own key in the same commit) — a request with no entry is lost, an entry past one is
 * doubled, so one lost and one doubled do not cancel out as in the total — and from the kill to
 * the rollout running again on a survivor. (A canary of a stateful single is refused by design,
 * decision 2170: blue-green is the rollout such an agent has.)
 */
import type { CaxtonClient } from '@caxton/runtime';
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
  /** From the kill to the rollout's handover logged on a survivor (s). */
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

/** The agent's committed count, from whichever survivor holds it; undefined while none answers. */
async function countOf(clients: readonly CaxtonClient[], agent: string): Promise<number | undefined> {
  for (const c of clients) {
    try {
      return Number((await c.getState(agent, 'count')).value);
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

export async function statefulRolloutUnderKill(
  ids: readonly string[],
  kafka: string,
  etcd: string,
  o: { requests: number; ratePerS: number; say: (line: string) => void },
): Promise<RolloutFigures> {
  const nodes: ServeNode[] = await startNodes([...ids], kafka, etcd, { cluster: 'bench-rollout' });
  try {
    const clients = nodes.map((n) => n.client!);
    const survivors = clients.slice(0, 2);
    const agent = nameOn('ledger', ids[2]!, [...ids]);
    const counter = (await artifact('as-state-counter')).bytes;
    await clients[0]!.deploy({ name: agent, config: { ledger: '1' } }, counter);
    await waitUntil(`${agent} to run`, async () => (await clients[0]!.getAgent(agent)).state === 'running', 60_000);
    o.say(`rollout: ${agent} on ${ids[2]}, ${o.requests} requests at ${o.ratePerS}/s through ${ids[0]} and ${ids[1]}`);
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
        structured: { performative: 'request' as const, receivers: [{ name: agent }], content: `r${i}`, conversationId: `bench-${i}` },
      };
      for (let attempt = 1; attempt <= SEND_ATTEMPTS; attempt++) {
        const sent = await survivors[i % 2]!.send(message, { idempotencyKey: `bench-rollout-${i}` }).then(
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
      if (p === 1) {
        await clients[0]!.upgrade(
          {
            name: agent,
            config: { generation: '2', ledger: '1' },
            rollout: { strategy: { kind: 'blue-green' }, thresholds: { bakeMs: 600_000 } },
          },
          counter,
        );
        o.say('rollout: blue-green asked through the first node');
      }
      if (p === 2) {
        killedAt = Date.now();
        nodes[2]!.kill();
        o.say(`rollout: ${ids[2]} killed -9`);
        takeover = (async () => {
          for (;;) {
            for (const c of survivors) if (await handoverLogged(c, agent, killedAt)) return (Date.now() - killedAt) / 1000;
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
      `rollout: ${accepted} of ${o.requests} accepted in ${sendingS.toFixed(1)} s; handed over again ${takeoverS.toFixed(1)} s after the kill`,
    );
    // Settled: the count no longer moves for two seconds and is at least what was accepted, or two minutes passed.
    let counted = -1;
    let stableSince = Date.now();
    const deadline = Date.now() + 120_000;
    for (;;) {
      const now = (await countOf(survivors, agent)) ?? -1;
      if (now !== counted) {
        counted = now;
        stableSince = Date.now();
      }
      if ((counted >= accepted && Date.now() - stableSince > 2_000) || Date.now() > deadline) break;
      await sleep(250);
    }
    const ledger = (await ledgerOf(survivors, agent)) ?? new Map<string, number>();
    let lost = 0;
    for (const id of acceptedIds) if ((ledger.get(id) ?? 0) === 0) lost += 1;
    let doubled = 0;
    let unacknowledged = 0;
    for (const [id, times] of ledger) {
      doubled += Math.max(0, times - 1);
      if (!acceptedIds.has(id)) unacknowledged += 1;
    }
    return { accepted, counted, unacknowledged, lost, doubled, takeoverS, sendingS };
  } finally {
    await Promise.allSettled(nodes.map((n) => n.stop()));
  }
}
