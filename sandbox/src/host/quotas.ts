/**
 * Per-agent rate quotas (token buckets living as long as the agent's sandbox, across instances)
 * and the counters of everything the host refused or dropped. Pure: time is passed in.
 */
import type { AgentLimits } from '../limits/limits.js';
import { TokenBucket } from './token-bucket.js';

/** Refusals and drops since the sandbox was made, by reason (reported with the agent's metrics). */
export interface RefusalCounters {
  /** A host call whose arguments were over their lift cap (or reached the host unguarded). */
  liftLimit: number;
  /** A send the bus would refuse (ACL validation, size, receivers…). */
  invalidMessage: number;
  outboxFull: number;
  sendsPerSecond: number;
  sendBytesPerSecond: number;
  /** register/deregister-service and topic changes refused: per call, per second or bytes per second. */
  directoryChanges: number;
  /** set-timer past the per-call count. */
  timers: number;
  /** Arguments refused outright (too long a timer token, service name or type). */
  badArgument: number;
  /** Log lines dropped (line or byte budget of the call). */
  logLinesDropped: number;
  /** Calls that wrote past `maxOutputBytes` to stdout/stderr (the bytes past it dropped unread, decision 2114). */
  outputDropped: number;
  /** State calls refused (invalid key, value too large, quota, read-only): quota `state`. */
  state: number;
  /** fetch calls refused (denied, invalid request, quota). */
  http: number;
  /** subscribe calls refused: the topic is outside the deployment's allow-list (decision 2050). */
  topics: number;
}

export const zeroCounters = (): RefusalCounters => ({
  liftLimit: 0,
  invalidMessage: 0,
  outboxFull: 0,
  sendsPerSecond: 0,
  sendBytesPerSecond: 0,
  directoryChanges: 0,
  timers: 0,
  badArgument: 0,
  logLinesDropped: 0,
  outputDropped: 0,
  state: 0,
  http: 0,
  topics: 0,
});

export class RateQuotas {
  private readonly sends: TokenBucket;
  private readonly sendBytes: TokenBucket;
  private readonly directoryChanges: TokenBucket;
  private readonly directoryBytes: TokenBucket;

  constructor(
    limits: Pick<AgentLimits, 'sendsPerSecond' | 'sendBytesPerSecond' | 'directoryChangesPerSecond' | 'directoryBytesPerSecond'>,
  ) {
    this.sends = new TokenBucket(limits.sendsPerSecond);
    this.sendBytes = new TokenBucket(limits.sendBytesPerSecond);
    this.directoryChanges = new TokenBucket(limits.directoryChangesPerSecond);
    this.directoryBytes = new TokenBucket(limits.directoryBytesPerSecond);
  }

  /**
   * Takes one send of `bytes`, or names the quota that refuses it (and takes nothing). A `passOn`
   * send (the first a handling of a delivered message makes, to one named receiver: decision 2173)
   * pays its bytes but no send token: the sends-per-second quota bounds how fast an agent
   * multiplies messages, not how fast it answers the ones it is handed, which the bus already admitted.
   */
  takeSend(bytes: number, nowMs: number, passOn = false): 'sendsPerSecond' | 'sendBytesPerSecond' | null {
    if (!passOn && !this.sends.has(1, nowMs)) return 'sendsPerSecond';
    if (!this.sendBytes.take(bytes, nowMs)) return 'sendBytesPerSecond';
    if (!passOn) this.sends.take(1, nowMs);
    return null;
  }

  /**
   * Takes one directory change of `units` code units (what it writes to the registry), or names
   * the quota that refuses it (and takes nothing).
   */
  takeDirectoryChange(units: number, nowMs: number): 'directoryChangesPerSecond' | 'directoryBytesPerSecond' | null {
    if (!this.directoryChanges.has(1, nowMs)) return 'directoryChangesPerSecond';
    if (!this.directoryBytes.take(units, nowMs)) return 'directoryBytesPerSecond';
    this.directoryChanges.take(1, nowMs);
    return null;
  }
}
