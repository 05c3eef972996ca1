/** How much a node keeps of what conversations cost (issue 61, decision 2184). */

/**
 * Conversation ids are the senders' (attacker-controlled, each up to the ACL codec's
 * `maxFieldBytes`, 8 KiB): a node keeps the figures of the `conversations` most recently handled,
 * and no more than `idChars` characters of their ids in all — the least recently handled evicted
 * into one sum — and of each at most `agentsPerConversation` agents by name, the rest summed as
 * "other agents". So ids take at most ~2 MiB (UTF-16) whatever their length, plus 10,000 × 16
 * small rows.
 */
export const CONVERSATION_COST_LIMITS = Object.freeze({
  conversations: 10_000,
  /** Characters of conversation ids held in all: 10,000 ids of ~100 characters, or 128 of 8 KiB. */
  idChars: 1_048_576,
  agentsPerConversation: 16,
  /** Most conversations one read lists (console API, gRPC, `caxton top --conversations`). */
  maxListed: 1_000,
  /** Listed when the reader names no limit. */
  defaultListed: 50,
});
