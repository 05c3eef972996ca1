/**
 * One partition's shared count of absent queues (decision 2157), as every node reads and writes it
 * in etcd: for each absent agent, the delivery ids its claim holder last published it holds; and
 * the places sends took since, not yet in a holder's list. An agent's fill is the two together.
 * Pure: what a send may take (`takePlaces`), and what a holder's publication makes of the record
 * (`publishHeld`). Stored as arrays (names and ids are data, never object keys), read hostile.
 */
import { absentBound, type AbsentBound } from '../../node/absent-bound.js';

/** What an absent agent's claim holder holds for it. */
export interface HeldQueue {
  /** The agent's own bound (its deployment's `absentQueue`, else its holder's default). */
  queue: number;
  /** The deliveries waiting or completing in its mailbox there. */
  ids: string[];
  /** The node that published it. */
  node: string;
}

/** A place a send took in its receiver's queue, until the receiver's holder lists the delivery. */
export interface TakenPlace {
  agent: string;
  /** When (ms since the epoch, the taking node's clock). */
  at: number;
}

export interface AbsentCountRecord {
  held: Map<string, HeldQueue>;
  /** By delivery id. */
  taken: Map<string, TakenPlace>;
}

/** One delivery to an absent agent asking for a place; `own`: the agent's own bound, from its registry record. */
export interface PlaceRequest {
  id: string;
  agent: string;
  own: number;
}

/** What a holder publishes for one absent agent it holds. */
export interface HeldPublication {
  agent: string;
  queue: number;
  ids: readonly string[];
}

export function emptyCount(): AbsentCountRecord {
  return { held: new Map(), taken: new Map() };
}

/**
 * A stored record; what does not parse, or an entry that is not well formed, counts as absent
 * (a foreign or damaged value: the holder's next publication writes the record anew).
 */
export function parseAbsentCount(text: string | undefined): AbsentCountRecord {
  const record = emptyCount();
  if (text === undefined) return record;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return record;
  }
  const { held, taken } = (raw ?? {}) as { held?: unknown; taken?: unknown };
  if (Array.isArray(held)) {
    for (const h of held as Partial<HeldQueue & { agent: string }>[]) {
      if (
        typeof h?.agent !== 'string' ||
        !isCount(h.queue) ||
        typeof h.node !== 'string' ||
        !Array.isArray(h.ids) ||
        !h.ids.every((id) => typeof id === 'string')
      )
        continue;
      record.held.set(h.agent, { queue: h.queue, ids: h.ids, node: h.node });
    }
  }
  if (Array.isArray(taken)) {
    for (const t of taken as Partial<TakenPlace & { id: string }>[]) {
      if (typeof t?.id !== 'string' || typeof t.agent !== 'string' || typeof t.at !== 'number' || !Number.isFinite(t.at)) continue;
      record.taken.set(t.id, { agent: t.agent, at: t.at });
    }
  }
  return record;
}

/** The stored text: canonical (sorted), so an unchanged record serialises the same and is not written again. */
export function serializeAbsentCount(record: AbsentCountRecord): string {
  const held = [...record.held].sort(byKey).map(([agent, h]) => ({ agent, queue: h.queue, node: h.node, ids: [...h.ids].sort() }));
  const taken = [...record.taken].sort(byKey).map(([id, t]) => ({ id, agent: t.agent, at: t.at }));
  return JSON.stringify({ held, taken });
}

export function isEmptyCount(record: AbsentCountRecord): boolean {
  return record.held.size === 0 && record.taken.size === 0;
}

/**
 * Takes a place for each request, in order (a place taken counts for the requests after it), in
 * `record`; returns the refused ones with the bound that refused them. The bound is the holder's
 * (decision 1990): the agent's own, held down by the partition's `budget` less what its other
 * absent agents fill (each at most its own bound). A delivery already listed or placed (a send
 * repeated under its idempotency key) is that delivery, not one more: admitted, nothing taken.
 * `isAbsent`: entries of agents no longer absent count for nothing.
 */
export function takePlaces(
  record: AbsentCountRecord,
  requests: readonly PlaceRequest[],
  budget: number,
  isAbsent: (agent: string) => boolean,
  now: number,
): Map<string, AbsentBound> {
  const refused = new Map<string, AbsentBound>();
  const fill = fills(record);
  const listed = new Set<string>();
  for (const h of record.held.values()) for (const id of h.ids) listed.add(id);
  for (const r of requests) {
    if (listed.has(r.id) || record.taken.has(r.id)) continue;
    const own = record.held.get(r.agent)?.queue ?? r.own;
    let others = 0;
    for (const [agent, n] of fill) {
      if (agent !== r.agent && isAbsent(agent)) others += Math.min(n, record.held.get(agent)?.queue ?? n);
    }
    const bound = absentBound(own, budget, others);
    const mine = fill.get(r.agent) ?? 0;
    if (mine >= bound.limit) {
      refused.set(r.id, bound);
      continue;
    }
    record.taken.set(r.id, { agent: r.agent, at: now });
    fill.set(r.agent, mine + 1);
  }
  return refused;
}

/**
 * A holder's publication (`node`, at `now`) applied to `record`: each agent it holds gets its list;
 * what another node listed for such an agent and this one does not hold yet (a failover: the new
 * holder fills its mailbox from the log) becomes places taken now, so the count does not drop
 * while it catches up. Places the lists now hold go; so do places older than `placeTtlMs` (their
 * delivery never reached a holder's list: the sender died, its append failed, or the delivery left
 * the queue before a publication) and everything of agents no longer absent.
 */
export function publishHeld(
  record: AbsentCountRecord,
  mine: readonly HeldPublication[],
  node: string,
  isAbsent: (agent: string) => boolean,
  now: number,
  placeTtlMs: number,
): void {
  for (const agent of [...record.held.keys()]) if (!isAbsent(agent)) record.held.delete(agent);
  dropExpiredPlaces(record, now, placeTtlMs);
  for (const [id, t] of [...record.taken]) if (!isAbsent(t.agent)) record.taken.delete(id);
  for (const m of mine) {
    if (!isAbsent(m.agent)) continue;
    const before = record.held.get(m.agent);
    if (before !== undefined && before.node !== node) {
      const have = new Set(m.ids);
      for (const id of before.ids) if (!have.has(id) && !record.taken.has(id)) record.taken.set(id, { agent: m.agent, at: now });
    }
    record.held.set(m.agent, { queue: m.queue, ids: [...m.ids], node });
  }
  for (const h of record.held.values()) for (const id of h.ids) record.taken.delete(id);
}

/**
 * Places older than `placeTtlMs` go (their delivery never reached a holder's list): dropped by every
 * writer, sends too, so a partition whose holder publishes nothing does not keep them counted.
 */
export function dropExpiredPlaces(record: AbsentCountRecord, now: number, placeTtlMs: number): void {
  for (const [id, t] of [...record.taken]) if (now - t.at > placeTtlMs) record.taken.delete(id);
}

/** Each agent's fill: listed by its holder, plus places taken. */
function fills(record: AbsentCountRecord): Map<string, number> {
  const fill = new Map<string, number>();
  for (const [agent, h] of record.held) fill.set(agent, h.ids.length);
  for (const t of record.taken.values()) fill.set(t.agent, (fill.get(t.agent) ?? 0) + 1);
  return fill;
}

function isCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

function byKey(a: [string, unknown], b: [string, unknown]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}
