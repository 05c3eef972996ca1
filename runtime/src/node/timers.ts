/**
 * Agent timers (`set-timer`). Held in memory: a restart loses pending timers (documented in the
 * agent contract). Bounded per agent so a guest cannot create unbounded host timers.
 */
export class AgentTimers {
  private readonly byAgent = new Map<string, Set<NodeJS.Timeout>>();

  constructor(private readonly maxPerAgent: number, private readonly fire: (agent: string, token: string) => void) {}

  /** False when the agent already has `maxPerAgent` timers pending (the request is dropped). */
  set(agent: string, delayMs: number, token: string): boolean {
    let set = this.byAgent.get(agent);
    if (!set) {
      set = new Set();
      this.byAgent.set(agent, set);
    }
    if (set.size >= this.maxPerAgent) return false;
    const handle = setTimeout(() => {
      set.delete(handle);
      this.fire(agent, token);
    }, Math.max(0, delayMs));
    handle.unref();
    set.add(handle);
    return true;
  }

  clear(agent: string): void {
    for (const h of this.byAgent.get(agent) ?? []) clearTimeout(h);
    this.byAgent.delete(agent);
  }

  clearAll(): void {
    for (const agent of [...this.byAgent.keys()]) this.clear(agent);
  }
}
