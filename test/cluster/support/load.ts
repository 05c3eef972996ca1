/**
 * Sustained operator load on probe agents through nodes' APIs: request `<agent>:<seq>` for seq 1..N
 * to every agent. Each agent's requests go out one after another (so its mailbox order is the send
 * order), many agents at once. A request counts as accepted only when the API said so.
 */
import type { CaxtonClient } from '@caxton/runtime';
import { deliveryId } from '@caxton/runtime';
import type { Accepted } from './invariants.js';

export interface LoadOptions {
  /** Nodes to send through, round-robin (replaced while running with setClients, e.g. after a kill). */
  clients: CaxtonClient[];
  agents: string[];
  perAgent: number;
  /** Agents sent to concurrently (each by one worker, in order). */
  workers: number;
  /** Called after every accepted request (e.g. to trigger a fault at some point). */
  onAccepted?: (count: number) => void;
}

export class Load {
  readonly accepted: Accepted[] = [];
  readonly refused: { key: string; error: string }[] = [];
  /** Sends turned away `bus.overloaded` and sent again after their retry-after. */
  overloadRetries = 0;
  private clients: CaxtonClient[];
  private next = 0;
  private stopped = false;
  startedAt = 0;
  finishedAt = 0;

  constructor(private readonly o: LoadOptions) {
    this.clients = [...o.clients];
  }

  /**
   * Ends the load early: each worker finishes the request it is sending and sends no more, so every
   * agent's accepted requests are still 1..k in send order (`run()` resolves when they are done).
   */
  stop(): void {
    this.stopped = true;
  }

  setClients(clients: CaxtonClient[]): void {
    this.clients = [...clients];
  }

  async run(): Promise<void> {
    this.startedAt = Date.now();
    const groups: string[][] = Array.from({ length: Math.min(this.o.workers, this.o.agents.length) }, () => []);
    this.o.agents.forEach((a, i) => groups[i % groups.length]!.push(a));
    await Promise.all(groups.map((agents) => this.worker(agents)));
    this.finishedAt = Date.now();
  }

  private async worker(agents: string[]): Promise<void> {
    for (let seq = 1; seq <= this.o.perAgent; seq++) {
      for (const agent of agents) {
        if (this.stopped) return;
        const key = `${agent}:${seq}`;
        try {
          const r = await this.sendHonouringRetryAfter(agent, key);
          if (r.accepted.includes(agent)) {
            this.accepted.push({ key, agent, deliveryId: deliveryId(r.messageId, agent) });
            this.o.onAccepted?.(this.accepted.length);
          } else {
            this.refused.push({ key, error: JSON.stringify(r.refused) });
          }
        } catch (err) {
          this.refused.push({ key, error: (err as Error).message });
        }
      }
    }
  }

  /**
   * One request, through the next node's client. The client waits out `bus.overloaded` refusals
   * by itself, as decision 1810 asks of clients: while Kafka or etcd restarts, the work a node has
   * accepted waits, its edge limit on outside messages in flight fills, and it turns new sends
   * away (nothing of a refused send was accepted, so sending it again cannot duplicate it). The
   * budget here is a minute, longer than any restart the tests make; any other error is a refusal.
   */
  private sendHonouringRetryAfter(agent: string, key: string): ReturnType<CaxtonClient['send']> {
    const client = this.clients[this.next++ % this.clients.length]!;
    return client.send(
      { structured: { performative: 'request', receivers: [{ name: agent }], content: key } },
      {
        overloadRetryMs: 60_000,
        onOverloadRetry: () => {
          this.overloadRetries++;
        },
      },
    );
  }
}
