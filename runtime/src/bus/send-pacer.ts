/**
 * Paces the bus's send work per agent (decision 2099, issue 25's send storm). An agent's outbox is
 * started at most `perTurn` messages per turn of the event loop; past that, its next sends wait for
 * a later turn (`nextTurn`, a macrotask), so whatever else is queued on the bus thread — the
 * operator's messages, other agents' handlings and sends, I/O — runs between one agent's turns
 * instead of behind its whole burst. Agents that pace take turns in the order they asked (the
 * macrotask queue is FIFO): plain round robin of per-agent FIFO turns, `perTurn` sends each (no
 * deficit is carried from one turn to the next).
 *
 * Callers take every send of an outbox up front, synchronously and in the order the sends must
 * start, before awaiting any (the applier does, for all of an agent's handlings in handled order):
 * sends of one agent start in the order taken, `idle` is told once per burst and the entry goes.
 * `flush(agent)` opens every waiting turn of an agent at once (forced stop, rewind): the rest of its
 * outbox starts in one go, as an unpaced outbox would.
 *
 * An agent is `busy` while any of its sends waits for a turn; the dispatch loop gives it no new
 * work meanwhile, so one agent has at most one paced burst in flight and its send rate is what the
 * bus gets through in its turns, not what its quotas allow. `idle(agent)` is told when the last
 * waiting send of an agent started.
 *
 * Pure bookkeeping: no I/O; the turn boundary is injected so tests can step it.
 */
import { TRAFFIC_LIMIT_TABLE } from '@caxton/core';

interface Turn {
  /** Sends the agent may still start in the current turn. */
  left: number;
  /** Sends waiting for a turn, in the order taken: each one's resolver, resolved once (decision 2114). */
  queue: (() => void)[];
  /** The first of `queue` not yet resolved. */
  head: number;
  /** Sends taken and not yet resumed (resolved ones count until they resume). */
  waiting: number;
  /** A next turn is asked for. */
  scheduled: boolean;
  /** Flushed: every waiting send starts at once. */
  flushed: boolean;
}

export const nextMacrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class SendPacer {
  private readonly turns = new Map<string, Turn>();

  constructor(
    readonly perTurn: number = TRAFFIC_LIMIT_TABLE.sendsPerTurn.default,
    private readonly idle: (agent: string) => void = () => {},
    private readonly nextTurn: () => Promise<void> = nextMacrotask,
  ) {}

  /** Does an outbox of `n` messages need pacing? Smaller ones are sent at once, as before. */
  paces(n: number): boolean {
    return n > this.perTurn;
  }

  /** Has the agent sends waiting for a turn? */
  busy(agent: string): boolean {
    return (this.turns.get(agent)?.waiting ?? 0) > 0;
  }

  /** Agents with sends waiting for a turn. */
  get pacing(): number {
    return this.turns.size;
  }

  /**
   * Take one send of `agent`: undefined when it may start now, else a promise that resolves when
   * it may. Sends of one agent start in the order they were taken.
   */
  take(agent: string): Promise<void> | undefined {
    let t = this.turns.get(agent);
    if (t === undefined) {
      t = { left: this.perTurn, queue: [], head: 0, waiting: 0, scheduled: false, flushed: false };
      this.turns.set(agent, t);
    }
    // A send taken while others wait goes behind them, whatever is left of this turn.
    if ((t.left > 0 || t.flushed) && t.waiting === 0) {
      t.left--;
      return undefined;
    }
    t.waiting++;
    return this.wait(agent, t);
  }

  /**
   * Open every waiting turn of `agent` at once: its waiting sends start in the order taken, now
   * (within this microtask run), and any it takes later until they have all started go straight on.
   */
  flush(agent: string): void {
    const t = this.turns.get(agent);
    if (t === undefined) return;
    t.flushed = true;
    this.release(t, Number.POSITIVE_INFINITY);
  }

  /**
   * One waiting send: resolved once, by the turn that lets it start (or a flush). Each waiter is
   * resumed exactly once — on main every waiter of a burst woke at every turn and waited again
   * (a burst of n sends resumed ≈ n²/(2 · perTurn) times: ≈ 7,800 for 1,000 sends; decision 2114).
   */
  private async wait(agent: string, t: Turn): Promise<void> {
    // Flushed: behind the waiters the flush resumed (their continuations were queued first).
    if (!t.flushed) {
      await new Promise<void>((resolve) => {
        t.queue.push(resolve);
        this.schedule(t);
      });
    } else {
      await undefined;
    }
    t.waiting--;
    if (t.waiting === 0) {
      // Forgotten once its burst is started: the next burst (a later handling) starts a fresh turn.
      if (this.turns.get(agent) === t) this.turns.delete(agent);
      this.idle(agent);
    }
  }

  /** Asks for the agent's next turn, once. */
  private schedule(t: Turn): void {
    if (t.scheduled) return;
    t.scheduled = true;
    void this.nextTurn().then(() => {
      t.scheduled = false;
      if (t.flushed) return;
      t.left = this.perTurn;
      this.release(t, this.perTurn);
      if (t.head < t.queue.length) this.schedule(t);
    });
  }

  /** Resolves up to `n` waiting sends in the order taken (they start in this turn). */
  private release(t: Turn, n: number): void {
    const q = t.queue;
    while (n > 0 && t.head < q.length) {
      n--;
      if (!t.flushed) t.left--;
      q[t.head++]!();
    }
    if (t.head === q.length) {
      t.queue = [];
      t.head = 0;
    }
  }
}
