/** How much a node keeps of what conversations cost (issue 61, decision 2184). */

/**
 * Conversation ids are the senders' (attacker-controlled, each up to the ACL codec's
 * `maxFieldBytes`, 8 KiB): a node keeps the figures of the `conversations` most recently handled,
 * the least recently handled evicted into one sum, and of each at most `agentsPerConversation`
 * agents by name, the rest summed as "other agents". So at most ~10,000 × (8 KiB + 16 small rows).
 */
export const CONVERSATION_COST_LIMITS = Object.freeze({
  conversations: 10_000,
  agentsPerConversation: 16,
  /** Most conversations one read lists (console API, gRPC, `caxton top --conversations`). */
  maxListed: 1_000,
  /** Listed when the reader names no limit. */
  defaultListed: 50,
});
