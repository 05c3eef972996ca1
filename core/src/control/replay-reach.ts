/**
 * How far back `caxton replay` reaches on a node (issue 57): what its message log still holds.
 * The log reports it (MessageLog.replayReach), `caxton status` shows it (NodeStatus.replay).
 */

/** Where the log keeps what a replay reads: `embedded` (on disk), `memory`, `kafka`. */
export type ReplayReachSource = 'embedded' | 'memory' | 'kafka';

export interface ReplayReach {
  /** A `ReplayReachSource`; a client may get another from a newer node. */
  source: string;
  /**
   * When the oldest record the log still holds was written (ms since epoch): a replay reaches the
   * handlings committed from then on. Absent when unknown or when nothing is held (an empty log; a
   * memory or Kafka log, which a replay does not read back).
   */
  oldestRecordAt?: number;
  /** Segment files held (the active one included); 0 where the log has none. */
  segments: number;
  /** Bytes of those segments. */
  heldBytes: number;
  /** The history kept for replay (decision 2179): closed segments are kept this long… */
  historySeconds: number;
  /** …and at most this many bytes of them, the newest first. */
  historyBytes: number;
  /** The agents whose own history the log keeps beyond its segments (decision 2182); absent: none. */
  agents?: AgentReplayReach[];
}

/** One agent's own history (decision 2182): copies of its frames from segments retention deleted. */
export interface AgentReplayReach {
  /** The deployment's name. */
  agent: string;
  /**
   * When the oldest copy's segment closed (ms since epoch): the copy holds records up to then, from
   * as far back as that segment reached. Absent while nothing was copied.
   */
  oldestCopyClosedAt?: number;
  /** Copy files held, and their bytes. */
  files: number;
  heldBytes: number;
  /** `caxton serve --replay-history-agent <agent>=<seconds>:<bytes>`. */
  historySeconds: number;
  historyBytes: number;
}
