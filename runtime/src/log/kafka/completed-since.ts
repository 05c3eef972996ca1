/**
 * Per agent, the deliveries this node completed with an offset commit alone (no state record of
 * their own) since the agent's last state commit here, in completion order, by their offsets in the
 * agent's partition (replay, issue 57). An agent's commits are chained (the applier), so its next
 * state commit — a delivery's, a timer's
 * firing, an operator's write — comes after all of them: its `caxton-tx` header names them
 * (state-records.ts), and a history reader runs them in that order before the commit. Without it
 * a reader has only their offsets, and an agent's mailbox does not hand out in offset order (it is
 * fair between senders).
 *
 * When no state commit comes (a stateless agent, the tail of a busy one), the list is written on its
 * own as an order record: when it holds `perAgent` offsets, and otherwise once the agent completed
 * nothing for a while (`due`: its tail). A busy stateless agent so costs one small record per
 * `perAgent` handlings (decision 2180: a record per 32 handlings and per 250 ms cost the cluster
 * bench ~5 % of its CPU a message). Bounded: at most `perAgent` offsets an agent, `agents` agents (past
 * it, it starts over: the reader places those it lost by offset).
 */
export class CompletedSince {
  private readonly ids = new Map<string, number[]>();
  /** Agents with a list, by when they last added to it, the quietest first: what a flush takes. */
  private readonly since = new Map<string, number>();

  constructor(
    readonly perAgent = 128,
    private readonly agents = 8_192,
  ) {}

  /** Adds the delivery at `offset` to the agent's list; returns the list when it is full (taken: write it now). */
  add(agent: string, offset: number, now: number): number[] | undefined {
    let list = this.ids.get(agent);
    if (list === undefined) {
      if (this.ids.size >= this.agents) {
        this.ids.clear();
        this.since.clear();
      }
      list = [];
      this.ids.set(agent, list);
    }
    // Moved to the end: the map stays ordered by the last add, so `due` stops at the first busy one.
    this.since.delete(agent);
    this.since.set(agent, now);
    list.push(offset);
    return list.length >= this.perAgent ? this.take(agent) : undefined;
  }

  /** The agent's list, handed to the commit being made (and so forgotten here). */
  take(agent: string): number[] | undefined {
    const list = this.ids.get(agent);
    if (list !== undefined) {
      this.ids.delete(agent);
      this.since.delete(agent);
    }
    return list;
  }

  /** A list taken for a commit that failed: back in front of what came since (still in order). */
  restore(agent: string, offsets: readonly number[], now: number): void {
    const since = this.ids.get(agent) ?? [];
    this.take(agent);
    const list = [...offsets, ...since].slice(-this.perAgent);
    if (this.ids.size >= this.agents) {
      this.ids.clear();
      this.since.clear();
    }
    this.ids.set(agent, list);
    this.since.set(agent, now);
  }

  /** The agents that added nothing since `before`, with their lists (taken). */
  due(before: number): [string, number[]][] {
    const out: [string, number[]][] = [];
    for (const [agent, at] of this.since) {
      if (at > before) break; // in insertion order: the rest are younger
      out.push([agent, this.take(agent)!]);
    }
    return out;
  }

  get size(): number {
    return this.ids.size;
  }
}
