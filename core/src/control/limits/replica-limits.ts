/** The bounds of replicas behind one name (decisions 2010, 2097, 2154). */
import { defineLimitTable, type LimitRow } from './limit-table.js';

/**
 * The bounds of replicas behind one name (`caxton scale`, decision 2010): node-wide, not a
 * per-deployment limit. Each replica is a whole sandbox instance (its own linear memory and ~10 GiB
 * of reserved address space, decision 1980), and replicas only add throughput up to the shard count.
 */
export const REPLICA_LIMITS = Object.freeze({
  /** Replicas one agent may run as on one node (1 = the agent alone). */
  maxReplicas: 16,
  /**
   * Presence entries (`store/units/X#r<k>/<node>`, decision 2097) read for one agent's view. At
   * most maxReplicas - 1 units, each active on one node, two during a hand-off: ~30 entries. 1024
   * is far above that and still one bounded etcd read, so a flood of junk keys under the prefix
   * cannot make an operator's `caxton agents` unbounded; past it the view shows units passive.
   */
  unitPresenceRead: 1024,
  /**
   * Replica instances beyond the agents' own (replicas 2..N of every scaled agent, draining ones
   * included) one node runs at once: each has its own memory budget and its own send and
   * directory rate buckets, so this caps what scaling can add to the node (a principal with
   * `agents.scale` on one agent name could otherwise take 15 instances' worth). The one ceiling:
   * not configurable, since every instance reserves address space the node cannot give back.
   */
  maxReplicaInstances: 32,
  /**
   * Conversations whose replica is remembered per agent; past it the least recently used is
   * forgotten. Each is kept as a 16-byte digest (not its id), so this bounds bytes too (~1 MB).
   */
  maxPinnedConversations: 10_000,
  /**
   * State records a scale through a node the agent does not run on may read from the agent's
   * partition to tell whether it keeps state (decision 2091): that node holds no view of the
   * partition, and the whole of it must be read (a later tombstone can undo any key). Counted as the
   * partition's offset span (high − low watermark), known before reading: compaction does not lower
   * it, so on a long-lived busy partition such a scale is refused for good there. Past it the scale is
   * refused before reading (`bus.kafka.state-read-bound`), the owner (which holds the state) to be
   * asked instead.
   */
  maxStateRecordsReadElsewhere: 100_000,
});

/**
 * The replica settings as rows (decision 2154): `caxton scale --replicas` (the API's ScaleRequest
 * `replicas`) and an embedder's cap on replica instances (`maxReplicaInstances`), checked by the one
 * check at the API and node boundaries (they were REPLICA_LIMITS' own two checks, `api.invalid`).
 * Their ceilings stay REPLICA_LIMITS' numbers, defined once there.
 */
export const REPLICA_LIMIT_TABLE = {
  replicas: {
    unit: 'instances',
    default: 1,
    defaultWhen: 'until the agent is first scaled',
    min: 1,
    ceiling: REPLICA_LIMITS.maxReplicas,
    description: 'Instances of the agent behind its one name (1: the agent alone); a conversation stays on one replica.',
    scale: 'replicas',
    flagDigitsOnly: true,
    required: true,
  },
  maxReplicaInstances: {
    unit: 'instances',
    computedDefault: `the ceiling, ${REPLICA_LIMITS.maxReplicaInstances}`,
    ceiling: REPLICA_LIMITS.maxReplicaInstances,
    description:
      "Replica instances beyond the agents' own one node runs at once (replicas 2..N of every scaled agent, draining ones included); a scale past it is refused.",
  },
} as const satisfies Record<string, LimitRow>;

export type ReplicaLimitName = keyof typeof REPLICA_LIMIT_TABLE;

/** Replica settings given, each a whole number in its row (`field`: where they came from, `scale`, `node`, `flags`). */
export const { check: checkReplicaTable } = defineLimitTable(REPLICA_LIMIT_TABLE, { what: 'replica setting', field: 'scale' });
