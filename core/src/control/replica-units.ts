/**
 * Replicas across a cluster's nodes (decision 2093): which replica unit of a scaled agent a message
 * goes to, chosen by the SENDING node with nothing but the message and the agent's recorded count.
 * Pure: no I/O, no clock, no state.
 *
 * - Replica k (2..N) of agent X is the placement unit `X#r<k>`: a name no deployment or kind
 *   instance can take (`#` is not allowed in agent names). An ACL receiver may hold a `#`, so the
 *   bus refuses a send addressed to a `#` name as an unknown receiver where replicas are spread
 *   (review fix 1): a unit is written only by the sender's own replica choice. Replica 1 is X itself
 *   (its own partition, today's path).
 * - A conversation goes to replica `jump(hash(conversationId), N) + 1`: every node computes the same
 *   replica for it, so a conversation stays on one replica without any table shared between nodes;
 *   a message without a conversation id is spread by its message id (a sender does not know a remote
 *   replica's load, so "least loaded" becomes "spread evenly" across nodes).
 * - Jump consistent hash (Lamping & Veach, 2014) moves as little as possible when N changes:
 *   N → N−1 moves exactly the conversations of replica N (each to one of the others, evenly), and
 *   N → N+1 moves about 1/(N+1) of them, all to the new replica; every other conversation stays.
 *   That is what makes a scale-down drain only the removed replicas' conversations.
 */
import { CaxtonError } from '../errors.js';
import { REPLICA_LIMITS } from './limits/index.js';

/** What the sender reads of a message to choose its replica. */
export interface ReplicaUnitMessage {
  conversationId?: string | undefined;
  /** Spreads messages that belong to no conversation. */
  messageId: string;
}

/**
 * A 32-bit hash of a string's UTF-16 code units (FNV-1a, then Murmur's finaliser so that ids that
 * differ in one trailing character land far apart). Not cryptographic, and it need not be: a
 * sender who picks colliding conversation ids only puts its own conversations on one replica of
 * the agent it is sending to anyway.
 */
export function replicaHash(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  h ^= id.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Jump consistent hash of a 32-bit key into `buckets` buckets (0..buckets−1). The key seeds a
 * 32-bit linear congruential sequence; each step jumps forward to the next bucket the key would
 * move to as the count grows, so the answer for N+1 is either the answer for N or N itself.
 * `buckets` must be a whole number ≥ 1 (the caller passes a parsed replica count).
 */
export function jumpHash(key: number, buckets: number): number {
  let state = key >>> 0;
  let b = -1;
  let j = 0;
  while (j < buckets) {
    b = j;
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    // A uniform draw in (0, 1] from the state's top 24 bits (the low bits of an LCG are weak).
    const r = ((state >>> 8) + 1) / 0x1000000;
    j = Math.floor((b + 1) / r);
  }
  return b;
}

/**
 * The replica (1..replicas) that takes `message`: by its conversation id, else by its message id.
 * `replicas` outside 1..REPLICA_LIMITS.maxReplicas answers 1 (a count never recorded, or a record
 * read from a newer node: the agent's own partition is always a valid place).
 */
export function replicaFor(message: ReplicaUnitMessage, replicas: number): number {
  if (!Number.isInteger(replicas) || replicas <= 1 || replicas > REPLICA_LIMITS.maxReplicas) return 1;
  const conversation = message.conversationId;
  const key = conversation !== undefined && conversation !== '' ? conversation : message.messageId;
  return jumpHash(replicaHash(key), replicas) + 1;
}

/** The receiver (placement unit) of replica `k` of `agent`: the agent's own name for 1, `<agent>#r<k>` above. */
export function replicaUnitName(agent: string, k: number): string {
  return k === 1 ? agent : `${agent}#r${k}`;
}

/**
 * The agent and replica of a replica unit's name (`svc#r2` → svc, 2, up to
 * REPLICA_LIMITS.maxReplicas); undefined for any other name, a plain agent's included.
 * `maxReplica`: the highest number that parses — a node numbers its own replicas' sandbox keys
 * (the same `X#r<k>` shape, decision 2010) up to maxReplicaInstances + 1, above those still draining.
 */
export function parseReplicaUnit(
  name: string,
  maxReplica: number = REPLICA_LIMITS.maxReplicas,
): { agent: string; replica: number } | undefined {
  const m = /^([^#/]+)#r([1-9]\d{0,2})$/.exec(name);
  if (m === null) return undefined;
  const replica = Number(m[2]);
  return replica < 2 || replica > maxReplica ? undefined : { agent: m[1]!, replica };
}

/**
 * Whether `name` is a replica unit's (`X#r<k>`, k in 2..REPLICA_LIMITS.maxReplicas): the one test,
 * used wherever a unit is told from an agent. The `#` test first (agent names cannot hold one, and
 * a unit's `#` is never its first character), so the regular expression runs only for units.
 */
export function isReplicaUnitName(name: string): boolean {
  return name.indexOf('#') > 0 && parseReplicaUnit(name) !== undefined;
}

/**
 * The agent whose identity a name acts under: a replica unit `X#r<k>` is X (its sends, its egress
 * policy and hold), every other name itself. The `#` test first: agent names cannot hold one, so the
 * regular expression runs only for units.
 */
export function replicaOwner(name: string): string {
  return name.indexOf('#') <= 0 ? name : (parseReplicaUnit(name)?.agent ?? name);
}

/**
 * A replica unit's handling wrote durable state (decision 2096): its writes would land under
 * `X#r<k>`, which neither X nor its other workers ever read. Workers across nodes are stateless:
 * their timers, topic subscriptions, directory entries and HTTP calls are applied (decision 2163),
 * their state writes are refused whole — never applied under the unit, never silently dropped.
 * A deploy or scale of an agent that declares state is refused before it runs as workers
 * (`ReplicasStatefulError`); this is the handling-time guard for one that writes anyway.
 */
export class ReplicaUnitEffectError extends CaxtonError {
  constructor(unit: string, effects: readonly string[]) {
    super(
      'agent.replica-effect-unsupported',
      `${unit} asked for ${effects.join(', ')}: workers across nodes are stateless and do not write state`,
      {
        kind: 'failed-precondition',
        context: { unit, effects: effects.join(',') },
        hint: 'keep state in an agent that is not scaled (caxton scale <agent> --replicas 1, then redrive its dead letters), or deploy it as an agent kind (one instance per key, each with its own state)',
      },
    );
  }
}
