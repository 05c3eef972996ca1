/**
 * The TTL of absent agents' queues (decision 1990): every `intervalMs`, each agent that is absent
 * (stopped with its queue kept, or suspended) has the messages that waited longer than its
 * `absentTtlMs` dead-lettered by the bus with reason `absent-ttl`. One sweep at a time; what a
 * sweep cannot dead-letter stays queued (and pending in the log) for the next.
 */
import type { AbsentQueueLimits } from '../bus/port.js';

export interface AbsentQueueSweeperParts {
  /** The agents on this node and whether each is absent. */
  agents: { names(): string[]; absence(name: string): AbsentQueueLimits | undefined };
  /** Dead-letters `agent`'s messages that waited past `ttlMs` (counted from `since` at the earliest); resolves to how many. */
  expire(agent: string, ttlMs: number, since?: number): Promise<number>;
  /** Looks again at whether `agent` is absent (its outside deliveries then leave edge admission). */
  noteAbsence?(agent: string): void;
  /**
   * After each pass (cluster, decision 2157): publish what this node holds of absent queues to the
   * count every node's sends take their places in. Says its own failures.
   */
  publish?(): Promise<void>;
  intervalMs: number;
  /** A sweep that failed (the log stopped): said on the agent's log, tried again next time. */
  warn(agent: string, message: string): void;
}

export class AbsentQueueSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(private readonly p: AbsentQueueSweeperParts) {}

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => void this.sweep(), this.p.intervalMs);
    this.timer.unref(); // an expiry is due work only while the node runs anyway
  }

  /** Stops sweeping; resolves once a sweep in progress is done. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass over the absent agents (not overlapping a pass in progress); resolves to the messages dead-lettered. */
  sweep(): Promise<number> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<number> {
    let n = 0;
    for (const agent of this.p.agents.names()) {
      this.p.noteAbsence?.(agent);
      const absent = this.p.agents.absence(agent);
      if (absent === undefined) continue;
      try {
        n += await this.p.expire(agent, absent.ttlMs, absent.since);
      } catch (err) {
        this.p.warn(agent, `expired messages of its absent queue could not be dead-lettered: ${(err as Error).message}`);
      }
    }
    // After the expiry and the trim: what they took out leaves the count with this publication.
    await this.p.publish?.();
    return n;
  }
}
