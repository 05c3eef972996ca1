/** How a wide message's receivers reach its agents (decisions 2001, 2003): the bounds and the parameter. */

/**
 * How a delivered message's receiver list reaches the agent (decision 2001). A message with at
 * most `inlineReceivers` receivers is delivered as sent. Above that, each delivery carries only the
 * receiving agent's own id in `receivers` and the whole count in the user parameter
 * `RECEIVER_COUNT_PARAM`; the agent pages the full list through `caxton:agent/message-info`
 * `receivers(offset, limit)`, at most `maxReceiversPage` ids per call. So a message to N receivers
 * costs O(N) per message, not O(N) per delivery.
 */
export const MESSAGE_INFO_LIMITS = Object.freeze({
  /** Receivers a delivery still carries in full (16: a typical contract net stays as it was). */
  inlineReceivers: 16,
  /** Most receiver ids one `receivers` call returns. */
  maxReceiversPage: 256,
  /**
   * Messages with more than `inlineReceivers` receivers a shard worker keeps between batches, so the
   * bus sends such a message's receiver list to a shard once, not once per batch (decision 2003).
   * A closed loop of a few wide messages in flight per sender stays far inside it. The count alone
   * does not bound memory (a message may be up to `maxMessageBytes`): `keptWideMessageCodeUnits`
   * does.
   */
  keptWideMessages: 64,
  /**
   * Code units (the message's strings, plus one per encoded slot) the kept wide messages of one shard
   * may sum to on the bus side; the worker holds at most twice this during a batch (decision 2003).
   * 4 Mi units is ≤ 8 MiB per side at two bytes a unit: 64 typical wide messages (1,000 names of
   * ~40 units + content, ~64k units each) fit; a message over an eighth of it (512k units) is sent
   * inline, never kept.
   */
  keptWideMessageCodeUnits: 4 * 1024 * 1024,
  /** Multi-receiver messages one Kafka delivery consumer keeps decoded, by message id (decision 2003). */
  decodedBodies: 64,
  /**
   * Body bytes those kept messages may sum to per consumer (each also keeps its decoded message, of
   * about the same size again); a body over an eighth of it (512 KiB) is decoded per record, not kept.
   */
  decodedBodyBytes: 4 * 1024 * 1024,
});

/** The user parameter a narrowed delivery carries with its message's receiver count (decimal). */
export const RECEIVER_COUNT_PARAM = 'X-caxton-receivers';
