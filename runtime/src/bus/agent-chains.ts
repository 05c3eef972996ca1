/**
 * Per-agent chains of settlements (issue 24): an agent's handlings settle (commit, dead-letter,
 * retry…) strictly in the order they were handled, because each waits for the outcome of the one
 * before. What the settlement returns ('committed' or 'failed') is what the next one sees, so a
 * commit that failed is known to every later handling of the agent before it could commit on top
 * of writes that never became durable. Different agents' chains are independent: their commits
 * still share the log's group commit.
 */
import { RenewedMap } from '../collections/renewed-tables.js';

export type ChainOutcome = 'committed' | 'failed';

const COMMITTED: Promise<ChainOutcome> = Promise.resolve('committed');

export class AgentChains {
  /** Renewed (decision 2209): an agent's entry comes and goes with every batch it runs. */
  private readonly tails = new RenewedMap<string, { tail: Promise<ChainOutcome>; pending: number }>();
  private total = 0;

  /**
   * Run `settle` after the agent's previous settlement. It receives that one's outcome as a promise
   * (so it may start work that need not wait) and a `submitted` callback: once called, the next
   * settlement of the agent may go on with that outcome (its commit is queued in a log that commits
   * in call order); otherwise the next one waits for this one's end. Registered synchronously.
   */
  extend(
    agent: string,
    settle: (previous: Promise<ChainOutcome>, submitted: (outcome: ChainOutcome) => void) => Promise<ChainOutcome>,
  ): Promise<ChainOutcome> {
    const entry = this.tails.get(agent) ?? { tail: COMMITTED, pending: 0 };
    const previous = entry.tail;
    let signal!: (outcome: ChainOutcome) => void;
    const tail = new Promise<ChainOutcome>((resolve) => (signal = resolve));
    // One reaction settles the link: the next link is signalled first, then the bookkeeping (this
    // runs once per handled message; a catch, a then and a finally were three promises more).
    const settled = (outcome: ChainOutcome): ChainOutcome => {
      signal(outcome);
      this.total -= 1;
      entry.pending -= 1;
      if (entry.pending === 0 && this.tails.get(agent) === entry) this.tails.delete(agent);
      return outcome;
    };
    const running = settle(previous, signal);
    entry.tail = tail;
    entry.pending += 1;
    this.total += 1;
    this.tails.set(agent, entry);
    return running.then(settled, () => settled('failed'));
  }

  /** Settlements not finished: of one agent, or of all. */
  pending(agent?: string): number {
    return agent === undefined ? this.total : (this.tails.get(agent)?.pending ?? 0);
  }
}
