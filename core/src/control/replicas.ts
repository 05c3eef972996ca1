/**
 * Replicas behind one name (decision 2010): which replica of an agent takes a message. Pure: no
 * I/O, no clock. The node (runtime/src/node/replicas.ts) asks it once per work item and tells it
 * what each replica sent and which replica crashed.
 *
 * - A conversation stays on one replica: the first message of a conversation pins it to the least
 *   loaded replica taking new conversations; later messages of it go there while it can take work.
 * - A message without a conversation id goes to the least loaded replica and pins nothing.
 * - Least loaded: fewest items in hand now (what the node counts), then fewest conversations
 *   pinned, then the lowest replica number (deterministic for the same history).
 * - A replica being removed (draining) takes no new conversation; one that cannot take work now
 *   (restart backoff, failed) takes nothing, and a conversation pinned to it moves to another.
 * - Memory is bounded by count AND bytes: a conversation is remembered by a fixed-size digest of
 *   its id (16 bytes, whatever the id's length, up to ACL's 8 KiB), never by the id itself, so a
 *   sender of unique long ids holds at most `maxPinned` × a few dozen bytes. Least recently used
 *   is forgotten first; a forgotten conversation just picks a replica again.
 */
import { Buffer } from 'node:buffer';
import { CaxtonError } from '../errors.js';
import { InvalidArgumentError } from './errors.js';
import { checkReplicaTable, REPLICA_LIMITS } from './limits/index.js';

/** What the balancer reads of a message. */
export interface ReplicaMessage {
  conversationId?: string | undefined;
}

/** How the node sees one replica at the moment of a choice. */
export interface ReplicaLoad {
  /** Items handed to it and not yet finished. */
  inHand: (replica: number) => number;
  /** May take work now (not restarting, not failed). */
  available: (replica: number) => boolean;
}

/** One agent's replicas as `caxton agents` shows them. */
export interface ReplicasView {
  /** Replicas taking new conversations (the operator's `--replicas`). */
  replicas: number;
  /** Replicas being removed: no new conversations, finishing what they hold. */
  draining: number;
  /**
   * The count in the agent's registry record when it is not what runs and no change is under way:
   * the agent was held (suspended, frozen) when the node started, so it runs as one until the next
   * start or a scale. Absent when the two agree.
   */
  recorded?: number;
  /**
   * Replicas across nodes (decision 2093, 2097): each replica unit of the agent, replica 1 (the
   * agent itself) first, and any unit still active above the count (a scale-down's drain). Absent
   * where replicas run on one node.
   */
  units?: readonly ReplicaUnitView[];
}

/** One replica of an agent scaled across nodes as an operator sees it (decision 2097). */
export interface ReplicaUnitView {
  /** 1..16: replica 1 is the agent itself, replica k ≥ 2 the unit `X#r<k>`. */
  replica: number;
  /** The node placed to run it: its partition's consumer among the live nodes ('' when none is live). */
  node: string;
  /** The nodes where it is in memory now (activated by its mail; one, or two for a moment while its partition moves). Empty: passive. */
  activeOn: readonly string[];
  /** Messages it handled since its activation, when the node answering runs it; absent elsewhere. */
  handled?: number;
}

export class ReplicaBalancer {
  /** Replica numbers taking new conversations, ascending. */
  private active: number[] = [1];
  /** Digest of a conversation id → replica, least recently used first. */
  private readonly pinned = new Map<string, number>();
  /** Conversations pinned per replica (the tie-break after load). */
  private readonly held = new Map<number, number>();

  constructor(private readonly maxPinned: number = REPLICA_LIMITS.maxPinnedConversations) {}

  /** The replicas taking new conversations from now on (others keep nothing: their conversations move). */
  setActive(replicas: readonly number[]): void {
    if (replicas.length === 0) throw new InvalidArgumentError('replicas', 'an agent runs as at least one replica', 'scale to 1 or more');
    this.active = [...new Set(replicas)].sort((a, b) => a - b);
    for (const [conversation, replica] of this.pinned) if (!this.active.includes(replica)) this.unpin(conversation, replica);
  }

  /** The replica that takes `message`; undefined when no replica can take work now. */
  choose(message: ReplicaMessage, load: ReplicaLoad): number | undefined {
    if (message.conversationId === undefined || message.conversationId === '') return this.leastLoaded(load);
    const conversation = conversationDigest(message.conversationId);
    const known = this.pinned.get(conversation);
    if (known !== undefined && load.available(known)) {
      // Least recently used is forgotten first: a conversation in use keeps its replica.
      this.pinned.delete(conversation);
      this.pinned.set(conversation, known);
      return known;
    }
    const chosen = this.leastLoaded(load);
    if (chosen === undefined) return undefined;
    if (known !== undefined) this.unpin(conversation, known);
    this.pin(conversation, chosen);
    return chosen;
  }

  /** A replica sent in `conversation`: the answers come back to it (unless the conversation is known). */
  started(conversation: string | undefined, replica: number): void {
    if (conversation === undefined || conversation === '' || !this.active.includes(replica)) return;
    const digest = conversationDigest(conversation);
    if (!this.pinned.has(digest)) this.pin(digest, replica);
  }

  /**
   * A handling of `conversation` crashed on `replica`: the conversation moves to the least loaded
   * other replica now, so its retry goes there even once `replica` is back (with no other replica
   * that can take work, it is only unpinned).
   */
  moveOff(conversation: string | undefined, replica: number, load: ReplicaLoad): void {
    if (conversation === undefined || conversation === '') return;
    const digest = conversationDigest(conversation);
    if (this.pinned.get(digest) !== replica) return;
    this.unpin(digest, replica);
    const other = this.leastLoaded({ inHand: load.inHand, available: (n) => n !== replica && load.available(n) });
    if (other !== undefined) this.pin(digest, other);
  }

  /** Conversations pinned to `replica` now. */
  conversationsOf(replica: number): number {
    return this.held.get(replica) ?? 0;
  }

  /** Conversations remembered (bounded by `maxPinned`). */
  get size(): number {
    return this.pinned.size;
  }

  private leastLoaded(load: ReplicaLoad): number | undefined {
    let best: number | undefined;
    for (const replica of this.active) {
      if (!load.available(replica)) continue;
      if (best === undefined) {
        best = replica;
        continue;
      }
      const a = load.inHand(replica);
      const b = load.inHand(best);
      if (a < b || (a === b && this.conversationsOf(replica) < this.conversationsOf(best))) best = replica;
    }
    return best;
  }

  private pin(conversation: string, replica: number): void {
    if (this.pinned.size >= this.maxPinned) {
      const oldest = this.pinned.entries().next().value;
      if (oldest !== undefined) this.unpin(oldest[0], oldest[1]);
    }
    this.pinned.set(conversation, replica);
    this.held.set(replica, (this.held.get(replica) ?? 0) + 1);
  }

  private unpin(conversation: string, replica: number): void {
    if (!this.pinned.delete(conversation)) return;
    const left = (this.held.get(replica) ?? 1) - 1;
    if (left <= 0) this.held.delete(replica);
    else this.held.set(replica, left);
  }
}

/** Start values and multipliers of the four lanes (odd, distinct): each lane sees every code unit. */
const DIGEST_SEEDS = [0x811c9dc5, 0x9e3779b9, 0x85ebca6b, 0xc2b2ae35] as const;
const DIGEST_PRIMES = [0x01000193, 0x2545f491, 0x6c8e9cf5, 0x7feb352d] as const;

/** Murmur's 32-bit finaliser: every input bit moves about half the output bits. */
function avalanche(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The key a conversation is remembered by: 16 bytes as base64url (22 characters) whatever the id's
 * length, so the pin map is bounded in bytes as well as in count. Pure (core imports no crypto): four
 * FNV-style lanes over the UTF-16 code units, each finished with the others and the length mixed in.
 * Not a cryptographic hash, and it need not be: a collision — even one a sender chose — only makes
 * two conversations share a replica choice; it never moves a message to another agent.
 */
export function conversationDigest(conversationId: string): string {
  const lanes = [...DIGEST_SEEDS] as number[];
  for (let i = 0; i < conversationId.length; i++) {
    const c = conversationId.charCodeAt(i);
    for (let l = 0; l < 4; l++) lanes[l] = Math.imul(lanes[l]! ^ c, DIGEST_PRIMES[l]!);
  }
  const out = Buffer.alloc(16);
  for (let l = 0; l < 4; l++) {
    out.writeUInt32BE(avalanche(lanes[l]! ^ Math.imul(lanes[(l + 1) % 4]!, 0x27d4eb2f) ^ conversationId.length), l * 4);
  }
  return out.toString('base64url'); // 22 characters, no padding
}

/**
 * `--replicas N` (the ScaleRequest's `replicas`): a whole number in REPLICA_LIMIT_TABLE.replicas,
 * refused by the one check (`limits.out-of-range`) at the API boundary. Digits in a string are read
 * as the number they spell (an embedder's or a script's text).
 */
export function parseReplicaCount(value: unknown, field = 'scale'): number {
  const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value.trim()) : value;
  // The one check skips a value left out (the row's default): a scale always says how many.
  return checkReplicaTable({ replicas: n ?? null }, field).replicas!;
}

/**
 * The node's cap on replica instances (`maxReplicaInstances`), read at the node's boundary by the
 * one check: a whole number in REPLICA_LIMIT_TABLE.maxReplicaInstances (an option lowers the
 * ceiling, never raises it; NaN or a negative would silently turn the cap off or refuse every scale).
 */
export function parseReplicaInstanceCap(value: unknown, field = 'node'): number {
  return checkReplicaTable({ maxReplicaInstances: value ?? null }, field).maxReplicaInstances!;
}

/** An agent keeping durable state cannot run as several replicas: each would see its own copy. */
export class ReplicasStatefulError extends CaxtonError {
  constructor(agent: string, why: string, hint?: string) {
    super('agent.replicas-stateful', `cannot run ${agent} as several replicas: ${why}`, {
      kind: 'failed-precondition',
      context: { agent },
      hint:
        hint ??
        `replicas share no durable state (decision 2010): keep ${agent} at one replica, or deploy it as an agent kind (one instance per key, each with its own state)`,
    });
  }
}

/** A scale across a cluster's nodes of an agent whose component may write state (decision 2163). */
export function statefulComponentAcrossNodes(agent: string): ReplicasStatefulError {
  return new ReplicasStatefulError(
    agent,
    'its component imports durable state writes (caxton:agent/state set or delete), and workers across nodes are stateless: each would write its own copy',
  );
}

/**
 * A version that may write durable state, to replace a cluster's scaled agent (decision 2176): its
 * workers across nodes are stateless (decision 2163), each would write its own copy.
 */
export function statefulVersionWhileScaled(agent: string, replicas: number): ReplicasStatefulError {
  return new ReplicasStatefulError(
    agent,
    `its new version imports durable state writes (caxton:agent/state set or delete), and its ${replicas} workers across nodes are stateless`,
    `scale ${agent} to one first (caxton scale ${agent} --replicas 1; it drains), then upgrade it; or keep it scaled with a version that writes no state, or deploy it as an agent kind (one instance per key, each with its own state)`,
  );
}

/** Replicas where the node cannot run them (an agent kind or an instance of one). */
export class ReplicasUnsupportedError extends CaxtonError {
  constructor(agent: string, why: string, hint: string) {
    super('agent.replicas-unsupported', `cannot scale ${agent}: ${why}`, { kind: 'failed-precondition', context: { agent }, hint });
  }
}

/**
 * A new replica's instance did not start (its init trapped or ran out of time, the node could not
 * give it memory): the scale-up is refused, and the replicas the call started are stopped.
 */
export class ReplicaStartError extends CaxtonError {
  constructor(agent: string, replica: number, started: number, running: number, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super('agent.replicas-start-failed', `cannot scale ${agent}: replica ${replica} did not start: ${why}`, {
      kind: 'failed-precondition',
      context: { agent, replica, started, running, ...(cause instanceof CaxtonError ? { startCode: cause.code } : {}) },
      hint: `the ${started} replica${started === 1 ? '' : 's'} this call started ${started === 1 ? 'was' : 'were'} stopped; ${agent} still runs as ${running}. Fix what kept it from starting (its init: \`caxton logs ${agent}\`; the node's memory) and scale again`,
      cause,
    });
  }
}

/**
 * Replica 1 ran a handling whose writes do not commit (an item before it, on another replica, did
 * not complete) and its state view could not be rewound to leave them out (decision 2010, finding
 * 6): rather than run on a view holding writes that never committed, the agent is marked failed;
 * a new instance of it reads its committed state afresh.
 */
export class ReplicaRewindError extends CaxtonError {
  constructor(agent: string, why: string) {
    super('agent.replica-rewind-failed', `the state view of ${agent} could not be rewound after a dropped write: ${why}`, {
      kind: 'internal',
      context: { agent },
      hint: `its state view held writes that were not committed, so it takes no more work and its messages wait in its mailbox; a new instance reads the committed state: \`caxton stop ${agent} --keep-queue\`, then deploy it again (the deploy takes over its queue)`,
    });
  }
}

/** A scale-up past the node's budget of replica instances (`REPLICA_LIMITS.maxReplicaInstances`). */
export class ReplicasBudgetError extends CaxtonError {
  constructor(agent: string, wanted: number, running: number, max: number) {
    super(
      'agent.replicas-budget',
      `cannot scale ${agent}: ${wanted} more replica instance${wanted === 1 ? '' : 's'} would pass the node's ${max} (${running} run now)`,
      {
        kind: 'resource-exhausted',
        context: { agent, wanted, running, max },
        hint: `each replica is a whole sandbox instance with its own memory and rate budgets; the node runs at most ${max} beyond the agents' own: scale this or another agent down, or run the agent on another node`,
      },
    );
  }
}

/** A rollout or state import while the agent runs as several replicas (an upgrade or rollback runs in place: decision 2176). */
export class ReplicasScaledError extends CaxtonError {
  constructor(agent: string, replicas: number, operation: string) {
    super('agent.replicas-scaled', `cannot ${operation} ${agent} while it runs as ${replicas} replicas`, {
      kind: 'failed-precondition',
      context: { agent, replicas },
      hint: `scale it to one first (caxton scale ${agent} --replicas 1; it drains), try again, then scale it back up`,
    });
  }
}
