/**
 * Bounded metric label values. Every distinct value of a label is one more time series in each
 * instrument that carries it (in the SDK's memory, in every export, in Prometheus's TSDB), and
 * agent names are chosen by users: a node that hosts thousands of short-lived agents must not
 * grow its metrics without bound. The first `maxAgents` distinct agent names keep their own
 * series; every later one is folded into `other` (the label value Prometheus users expect for
 * "the rest"). First come, first kept: a name once admitted stays admitted, so a series never
 * changes label mid-life, and the set is process-wide so every instrument folds the same names.
 */

/** Label value that stands for every agent beyond the limit. */
export const OTHER_AGENT_LABEL = 'other';

/** Default number of agents with their own series (`--metrics-max-agents`). */
export const DEFAULT_MAX_AGENT_LABELS = 200;

/** Admits the first `limit` distinct names; answers `other` for the rest. Pure, no I/O. */
export class BoundedLabelSet {
  private readonly admitted = new Set<string>();
  private limitValue: number;

  constructor(limit: number = DEFAULT_MAX_AGENT_LABELS) {
    this.limitValue = checkLimit(limit);
  }

  get limit(): number {
    return this.limitValue;
  }

  /** How many names have their own series. */
  get size(): number {
    return this.admitted.size;
  }

  /**
   * Change the limit (serve start, before traffic). Names already admitted stay admitted even
   * beyond a lowered limit: folding a live series into `other` would make both series jump.
   */
  setLimit(limit: number): void {
    this.limitValue = checkLimit(limit);
  }

  /** The label value to record for `name`. */
  label(name: string): string {
    if (this.admitted.has(name)) return name;
    if (name === OTHER_AGENT_LABEL) return OTHER_AGENT_LABEL;
    if (this.admitted.size >= this.limitValue) return OTHER_AGENT_LABEL;
    this.admitted.add(name);
    return name;
  }

  /** Forget every admitted name (tests). */
  reset(): void {
    this.admitted.clear();
  }
}

function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 0) {
    throw new RangeError(`the agent label limit must be a whole number ≥ 0, got ${limit}`);
  }
  return limit;
}

/** The process-wide set that every per-agent instrument uses; `--metrics-max-agents` sets its limit. */
export const agentLabels = new BoundedLabelSet();

/**
 * The `agent` label value to record for an agent: its own name while fewer than the limit
 * (default 200, `--metrics-max-agents`) have been seen, else `other`.
 *
 *   handled.add(1, { agent: boundedAgentLabel(name) });
 */
export function boundedAgentLabel(name: string): string {
  return agentLabels.label(name);
}

/** Set the limit of `boundedAgentLabel` (called by startTelemetry from the config). */
export function setMaxAgentLabels(limit: number): void {
  agentLabels.setLimit(limit);
}
