/**
 * What each conversation cost on this node (issue 61, decision 2184): a pure, bounded accumulator
 * fed once per counted handling, read by the console, gRPC and `caxton top --conversations`.
 *
 * Conversation ids are the senders' to choose, so the figures of at most
 * `CONVERSATION_COST_LIMITS.conversations` are kept: the least recently handled is evicted into one
 * sum (`evicted`) and its entry reused for the new one. Each conversation keeps at most
 * `agentsPerConversation` agents by name, the rest summed. A handling without a conversation id is
 * summed apart (`noConversation`). So every handling recorded is in `totals`, and the listed
 * conversations, the evicted ones and the rest add up to it.
 *
 * Recording is O(1) (a map lookup, a list relink, a scan of at most the per-conversation agent cap)
 * and allocates nothing once a conversation is known or an evicted entry is reused.
 */
import {
  CONVERSATION_COST_LIMITS,
  addCosts,
  zeroCosts,
  type ConversationCosts,
  type ConversationCostsView,
  type HandlingCostKey,
  type HandlingCosts,
} from '@caxton/core';

/** One handling's figures, as the bus reports them (its `handled` and `timer-handled` events have this shape). */
export interface HandlingSample {
  fuelUsed: number;
  durationUs?: number | undefined;
  messagesSent: number;
  bytesSent: number;
  stateBytesWritten: number;
  httpCalls: number;
}

/** `into` += one handling. */
export function addSample(into: HandlingCosts, s: HandlingSample): void {
  into.handled += 1;
  into.fuel += s.fuelUsed;
  into.handlerUs += s.durationUs ?? 0;
  into.messagesSent += s.messagesSent;
  into.bytesSent += s.bytesSent;
  into.stateBytesWritten += s.stateBytesWritten;
  into.httpCalls += s.httpCalls;
}

function reset(c: HandlingCosts): void {
  c.handled = c.fuel = c.handlerUs = c.messagesSent = c.bytesSent = c.stateBytesWritten = c.httpCalls = 0;
}

type Share = HandlingCosts & { agent: string };

/**
 * Written out, not `{ ...zeroCosts(), agent }`: objects made by a spread took a path V8 keeps slow
 * for the field updates a record makes (measured: ~570 ns a record against ~100 ns, ten
 * conversations of four agents).
 */
function newShare(agent: string): Share {
  return { handled: 0, fuel: 0, handlerUs: 0, messagesSent: 0, bytesSent: 0, stateBytesWritten: 0, httpCalls: 0, agent };
}

interface Entry {
  id: string;
  costs: HandlingCosts;
  firstAt: number;
  lastAt: number;
  /** `shares[0, shareCount)` are this conversation's; the rest are kept for reuse. */
  shares: Share[];
  shareCount: number;
  other: HandlingCosts | undefined;
  /** Least recently handled towards `prev`; the list's head is the next to evict. */
  prev: Entry | undefined;
  next: Entry | undefined;
}

export interface ConversationCostLimits {
  conversations: number;
  /** Characters of ids held in all (ids are the senders': long ones evict sooner). */
  idChars: number;
  agentsPerConversation: number;
}

export interface CostsQuery {
  sort?: HandlingCostKey | 'recent';
  limit?: number;
}

export class ConversationCostLedger {
  private readonly byId = new Map<string, Entry>();
  private head: Entry | undefined;
  private tail: Entry | undefined;
  private readonly none = zeroCosts();
  private readonly evicted: HandlingCosts & { conversations: number } = {
    handled: 0,
    fuel: 0,
    handlerUs: 0,
    messagesSent: 0,
    bytesSent: 0,
    stateBytesWritten: 0,
    httpCalls: 0,
    conversations: 0,
  };
  private readonly all = zeroCosts();
  /** Characters of the ids held now (bounded by `limits.idChars`). */
  private idChars = 0;

  constructor(private readonly limits: ConversationCostLimits = CONVERSATION_COST_LIMITS) {}

  /** One counted handling by `agent`, of `conversationId` if its message had one, at `at` (ms since epoch). */
  record(agent: string, conversationId: string | undefined, s: HandlingSample, at: number): void {
    addSample(this.all, s);
    if (conversationId === undefined) {
      addSample(this.none, s);
      return;
    }
    let e = this.byId.get(conversationId);
    if (e === undefined) e = this.open(conversationId, at);
    else this.unlink(e);
    this.append(e);
    e.lastAt = at;
    addSample(e.costs, s);
    addSample(this.shareOf(e, agent), s);
  }

  /** Conversations held now. */
  get size(): number {
    return this.byId.size;
  }

  /** One conversation's figures (a copy), or undefined when none are held for it. */
  get(conversationId: string): ConversationCosts | undefined {
    const e = this.byId.get(conversationId);
    return e === undefined ? undefined : view(e);
  }

  /** The `limit` conversations largest by `sort` (most recently handled first for `recent`), with the sums beside them. */
  read(query: CostsQuery, at: number): ConversationCostsView {
    const limit = Math.max(0, Math.min(query.limit ?? CONVERSATION_COST_LIMITS.defaultListed, CONVERSATION_COST_LIMITS.maxListed));
    const sort = query.sort ?? 'fuel';
    let picked: Entry[];
    if (sort === 'recent' || limit === 0) {
      picked = [];
      for (let e = this.tail; e !== undefined && picked.length < limit; e = e.prev) picked.push(e);
    } else {
      picked = largest(this.byId.values(), limit, (a, b) => b.costs[sort] - a.costs[sort] || b.lastAt - a.lastAt || (a.id < b.id ? -1 : 1));
    }
    return {
      at,
      conversationCount: this.byId.size,
      conversations: picked.map(view),
      noConversation: { ...this.none },
      evicted: { ...this.evicted },
      totals: { ...this.all },
    };
  }

  /** A new entry for `id`: a fresh one while there is room, else the least recently handled one's, its figures evicted. */
  private open(given: string, at: number): Entry {
    const id = detached(given);
    // Long ids take room of their own: the least recently handled go until this one fits.
    while (this.idChars + id.length > this.limits.idChars && this.byId.size > 1 && this.head !== undefined) this.evict(this.head);
    let e: Entry;
    if (this.byId.size >= this.limits.conversations && this.head !== undefined) {
      e = this.head;
      this.evict(e);
      e.shareCount = 0;
      e.id = id;
    } else {
      e = {
        id,
        costs: zeroCosts(),
        firstAt: at,
        lastAt: at,
        shares: [],
        shareCount: 0,
        other: undefined,
        prev: undefined,
        next: undefined,
      };
    }
    e.firstAt = at;
    e.lastAt = at;
    this.byId.set(id, e);
    this.idChars += id.length;
    return e;
  }

  /** `e`'s figures into the evicted sum, `e` out of the map and the list (its object may be reused). */
  private evict(e: Entry): void {
    this.unlink(e);
    this.byId.delete(e.id);
    this.idChars -= e.id.length;
    addCosts(this.evicted, e.costs);
    if (e.other !== undefined) {
      reset(e.other);
    }
    this.evicted.conversations += 1;
    reset(e.costs);
  }

  private shareOf(e: Entry, agent: string): HandlingCosts {
    for (let i = 0; i < e.shareCount; i++) if (e.shares[i]!.agent === agent) return e.shares[i]!;
    if (e.shareCount >= this.limits.agentsPerConversation) return (e.other ??= zeroCosts());
    let share = e.shares[e.shareCount];
    if (share === undefined) {
      share = newShare(agent);
      e.shares.push(share);
    } else {
      reset(share);
      share.agent = agent;
    }
    e.shareCount += 1;
    return share;
  }

  private unlink(e: Entry): void {
    if (e.prev !== undefined) e.prev.next = e.next;
    else this.head = e.next;
    if (e.next !== undefined) e.next.prev = e.prev;
    else this.tail = e.prev;
    e.prev = e.next = undefined;
  }

  private append(e: Entry): void {
    e.prev = this.tail;
    if (this.tail !== undefined) this.tail.next = e;
    else this.head = e;
    this.tail = e;
  }
}

/**
 * A copy of `id` that holds no other string: a parser's slice of a message's text would otherwise
 * keep the whole text (up to the message limit) alive as long as the conversation is kept. Once per
 * new conversation; ids are well-formed Unicode (the ACL codec refuses lone surrogates), so the
 * round trip is exact.
 */
function detached(id: string): string {
  return Buffer.from(id, 'utf8').toString('utf8');
}

/**
 * The `k` first of `items` in `order`, sorted: a bounded selection, so a read of 50 of 10,000
 * conversations does not sort them all on the node's thread.
 */
function largest<T>(items: Iterable<T>, k: number, order: (a: T, b: T) => number): T[] {
  const kept: T[] = [];
  for (const item of items) {
    if (kept.length === k && order(item, kept[k - 1]!) >= 0) continue;
    // Binary search for its place among the kept, which stay sorted.
    let lo = 0;
    let hi = kept.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (order(item, kept[mid]!) < 0) hi = mid;
      else lo = mid + 1;
    }
    kept.splice(lo, 0, item);
    if (kept.length > k) kept.pop();
  }
  return kept;
}

function view(e: Entry): ConversationCosts {
  const agents = e.shares.slice(0, e.shareCount).map((s) => ({ ...s }));
  agents.sort((a, b) => b.fuel - a.fuel || (a.agent < b.agent ? -1 : 1));
  const out: ConversationCosts = { conversationId: e.id, ...e.costs, firstAt: e.firstAt, lastAt: e.lastAt, agents };
  if (e.other !== undefined && e.other.handled > 0) out.otherAgents = { ...e.other };
  return out;
}
