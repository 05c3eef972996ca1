/** The node-wide bounds of A2A: an operator's Agent Card (decision 1951) and the tasks a node keeps (decision 2040). */

/**
 * The bounds of an operator's A2A Agent Card (`caxton deploy --a2a-card`, decision 1951): node-wide
 * rules on the data, checked when the card is parsed at the API boundary (and by the CLI before it
 * uploads), before it is stored with the deployment and served to every A2A client.
 */
export const A2A_CARD_LIMITS = Object.freeze({
  /** The card's JSON text, in UTF-8 bytes. */
  maxCardBytes: 16 * 1024,
  /** Skills one card may list. */
  maxSkills: 32,
  /** Entries in one list (tags, examples, input or output modes). */
  maxListEntries: 16,
  /** A name, id, version, mode, tag or URL, in UTF-16 code units. */
  maxShortText: 256,
  /** A description or an example, in UTF-16 code units. */
  maxLongText: 2_000,
});

/**
 * The A2A tasks a node keeps for `tasks/get` and `tasks/list` (decision 2040): in memory and in a
 * file in the node's data directory, so a task's final state outlives a restart. Node-wide; a
 * bound reached forgets the oldest *ended* task first, never one still waiting for its agent.
 */
export const A2A_TASK_LIMITS = Object.freeze({
  /** Tasks kept, over all agents and tokens. */
  maxTasks: 10_000,
  /** An ended task is forgotten this long after its last change. */
  ttlMs: 24 * 3_600_000,
  /** The kept tasks' JSON, summed (what the file holds and memory keeps): a task may carry an agent's whole answer. */
  maxBytes: 64 * 1024 * 1024,
  /** One owner's (agent and token) share of `maxTasks`: one token cannot evict every other token's tasks. */
  maxTasksPerOwner: 1_000,
  /** One owner's share of `maxBytes`. */
  maxBytesPerOwner: 8 * 1024 * 1024,
});
