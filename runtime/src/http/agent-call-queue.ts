/**
 * Per-agent concurrency of outbound calls (decision 1601): at most `maxInFlight` of an agent's
 * calls are on the network at once; the next ones wait in that agent's queue, bounded at
 * `maxInFlight × 4` so an agent cannot park unbounded work in the node; past that a call is
 * refused at once (the caller answers it `quota-exceeded`). FIFO per agent; agents do not share
 * slots, so one busy agent never delays another's calls. No I/O here.
 */
export const QUEUE_FACTOR = 4;

export type Admission = 'run' | 'queued' | 'refused';

interface AgentSlots {
  inFlight: number;
  waiting: (() => void)[];
}

export class AgentCallQueue {
  private readonly agents = new Map<string, AgentSlots>();

  /**
   * Take a slot for `agent` and run `start` now, or queue it until one frees up, or refuse.
   * `start` must call the returned `done` exactly once when its call finished.
   */
  admit(agent: string, maxInFlight: number, start: (done: () => void) => void): Admission {
    const slots = this.slots(agent);
    const done = this.release(agent, maxInFlight);
    if (slots.inFlight < maxInFlight) {
      slots.inFlight += 1;
      start(done);
      return 'run';
    }
    if (slots.waiting.length >= maxInFlight * QUEUE_FACTOR) {
      this.dropIfIdle(agent);
      return 'refused';
    }
    slots.waiting.push(() => start(done));
    return 'queued';
  }

  inFlight(agent: string): number {
    return this.agents.get(agent)?.inFlight ?? 0;
  }

  waiting(agent: string): number {
    return this.agents.get(agent)?.waiting.length ?? 0;
  }

  private slots(agent: string): AgentSlots {
    let s = this.agents.get(agent);
    if (s === undefined) {
      s = { inFlight: 0, waiting: [] };
      this.agents.set(agent, s);
    }
    return s;
  }

  private release(agent: string, maxInFlight: number): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const s = this.agents.get(agent);
      if (s === undefined) return;
      s.inFlight -= 1;
      // The slot passes to the next waiting call (a lowered maxInFlight drains first).
      while (s.inFlight < maxInFlight && s.waiting.length > 0) {
        s.inFlight += 1;
        s.waiting.shift()!();
      }
      this.dropIfIdle(agent);
    };
  }

  private dropIfIdle(agent: string): void {
    const s = this.agents.get(agent);
    if (s !== undefined && s.inFlight === 0 && s.waiting.length === 0) this.agents.delete(agent);
  }
}
