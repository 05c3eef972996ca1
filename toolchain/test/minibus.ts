/**
 * Just enough message routing to run a multi-agent conversation between real components in a test:
 * messages go to the named receivers' `handle` with the sender stamped, in FIFO order; messages to
 * names nobody hosts are collected in `outside`. The runtime's real bus lives in src/bus.
 */
import { TestHost, type AgentFactory, type Guest, type WitAgentId, type WitMessage } from './harness.js';

interface Hosted {
  id: WitAgentId;
  host: TestHost;
  guest: Guest;
  drained: number;
}

export class MiniBus {
  readonly directory = new Map<string, WitAgentId[]>();
  readonly agents = new Map<string, Hosted>();
  /** Messages addressed to agents not on this bus (e.g. the test playing a requester). */
  readonly outside: Array<{ to: string; msg: WitMessage }> = [];
  /** Messages held back by `pump`'s filter, in order. */
  readonly held: Array<{ to: string; msg: WitMessage }> = [];
  private queue: Array<{ to: string; msg: WitMessage }> = [];

  async spawn(name: string, factory: AgentFactory, config: Array<[string, string]> = []): Promise<Hosted> {
    const id = { name, addresses: [] };
    const host = new TestHost({ directory: this.directory, self: id });
    const guest = await factory.instantiate(host);
    const hosted = { id, host, guest, drained: 0 };
    this.agents.set(name, hosted);
    guest.init({ self: id, config });
    this.collect(hosted);
    return hosted;
  }

  /** Injects a message from `from` (which need not be hosted). */
  post(from: string, msg: WitMessage): void {
    const stamped = { ...msg, sender: { name: from, addresses: [] } };
    for (const r of msg.receivers) this.queue.push({ to: r.name, msg: stamped });
  }

  /** Fires a timer the agent set, as the runtime would once its delay elapsed. */
  fireTimer(name: string, token: string): void {
    const a = this.must(name);
    a.guest.onTimer(token);
    this.collect(a);
  }

  /**
   * Delivers until no message is pending. `deliver(to, msg)` returning false holds that message in
   * `held` instead (to simulate a slow agent). Returns the number delivered.
   */
  pump(deliver: (to: string, msg: WitMessage) => boolean = () => true): number {
    let n = 0;
    for (let next = this.queue.shift(); next; next = this.queue.shift()) {
      const target = this.agents.get(next.to);
      if (!target) {
        this.outside.push(next);
        continue;
      }
      if (!deliver(next.to, next.msg)) {
        this.held.push(next);
        continue;
      }
      target.guest.handle(next.msg);
      this.collect(target);
      n++;
    }
    return n;
  }

  /** Puts held messages back in the queue. */
  release(): void {
    this.queue.push(...this.held.splice(0));
  }

  private collect(a: Hosted): void {
    const fresh = a.host.sent.slice(a.drained);
    a.drained = a.host.sent.length;
    for (const m of fresh) this.post(a.id.name, m);
  }

  must(name: string): Hosted {
    const a = this.agents.get(name);
    if (!a) throw new Error(`no agent ${name} on the bus`);
    return a;
  }
}
