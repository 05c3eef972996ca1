/**
 * Per agent, the deliveries this node completed with an offset commit alone (no state record of
 * their own) since the agent's last state commit here, in completion order (replay, issue 57). An
 * agent's commits are chained (the applier), so its next state commit — a delivery's, a timer's
 * firing, an operator's write — comes after all of them: its `caxton-tx` header names them
 * (state-records.ts), and a history reader runs them in that order before the commit. Without it
 * a reader has only their offsets, and an agent's mailbox does not hand out in offset order (it is
 * fair between senders).
 *
 * Bounded: at most `perAgent` ids an agent (the oldest dropped: the reader places those by offset)
 * and `agents` agents (past it, it starts over).
 */
export class CompletedSince {
  private readonly ids = new Map<string, string[]>();

  constructor(
    private readonly perAgent = 32,
    private readonly agents = 16_384,
  ) {}

  add(agent: string, deliveryId: string): void {
    let list = this.ids.get(agent);
    if (list === undefined) {
      if (this.ids.size >= this.agents) this.ids.clear();
      list = [];
      this.ids.set(agent, list);
    }
    if (list.length >= this.perAgent) list.shift();
    list.push(deliveryId);
  }

  /** The agent's list, handed to the commit being made (and so forgotten here). */
  take(agent: string): string[] | undefined {
    const list = this.ids.get(agent);
    if (list !== undefined) this.ids.delete(agent);
    return list;
  }
}
