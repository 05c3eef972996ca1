/**
 * When an agent's HTTP calls leave (decision 1601): only once the handling that made them is
 * durably complete. A delivery's calls are held from the moment the sandbox returns them until the
 * bus reports the delivery's completion durable (the `completed` event; the call's pending record
 * is committed in that same step); a durable timer's calls until the bus reports the timer done
 * (after its outbox and its state writes). A handling that never completes here (its outbox or
 * completion failed, the agent moved) is handled again, with new calls: its held calls are dropped
 * after `holdLimitMs`. The agent holds no shard meanwhile: nothing here runs in the sandbox.
 */
import type { HttpCall, StateWrite } from '@caxton/core';
import type { BusEvents } from '../bus/events.js';
import type { ExecutionResult, WorkItem } from '../bus/executor.js';
import type { HttpGateway } from '../http/gateway.js';

interface Held {
  agent: string;
  http: HttpCall[];
  stateWrites: StateWrite[];
  at: number;
}

export class HttpEffects {
  /** Work key (delivery id, or `<agent>\0<timer id>`) → the calls it made; insertion order = age. */
  private readonly held = new Map<string, Held>();
  /**
   * Subscribed to `completed` only while calls are held: the dispatch loop builds completion events
   * only when someone listens, and most handlings make no call (the message path stays as it was).
   */
  private detach: (() => void) | undefined;

  constructor(
    private readonly gateway: HttpGateway,
    private readonly events: BusEvents,
    private readonly warn: (agent: string, message: string) => void,
    private readonly holdLimitMs = 10 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Remember the calls of a batch's completed handlings (called with the executor's results). */
  hold(batch: readonly WorkItem[], results: readonly ExecutionResult[]): void {
    for (let i = 0; i < results.length; i++) {
      const r = results[i]!;
      if (r.http.length === 0 || (r.outcome.status !== 'ok' && r.outcome.status !== 'rejected')) continue;
      const item = batch[i]!;
      const entry: Held = { agent: r.agent, http: r.http, stateWrites: r.stateWrites, at: this.now() };
      if (item.kind === 'timer' && item.timerId === undefined) {
        // A timer fired by hand (not durable) has no done report to wait for.
        this.gateway.apply(entry);
        continue;
      }
      this.held.set(item.kind === 'delivery' ? item.delivery.id : timerKey(item.agent, item.timerId!), entry);
    }
    this.sweep();
    if (this.held.size > 0 && this.detach === undefined) {
      this.detach = this.events.on((e) => {
        if (e.type === 'completed') for (const id of e.deliveryIds) this.release(id);
      }, ['completed']);
    }
  }

  /** A durable timer's handling is done (its outbox and state are durable). */
  timerDone(agent: string, timerId: string): void {
    this.release(timerKey(agent, timerId));
  }

  /** Calls held, for tests and status. */
  get holding(): number {
    return this.held.size;
  }

  close(): void {
    this.unsubscribeWhenEmpty(true);
    this.held.clear();
  }

  private release(key: string): void {
    const entry = this.held.get(key);
    if (entry === undefined) return;
    this.held.delete(key);
    this.gateway.apply(entry);
    this.unsubscribeWhenEmpty(false);
  }

  private unsubscribeWhenEmpty(always: boolean): void {
    if (this.detach !== undefined && (always || this.held.size === 0)) {
      this.detach();
      this.detach = undefined;
    }
  }

  private sweep(): void {
    const limit = this.now() - this.holdLimitMs;
    for (const [key, entry] of this.held) {
      if (entry.at > limit) break;
      this.held.delete(key);
      this.warn(entry.agent, `[caxton] ${entry.http.length} http call(s) of ${key} not sent: the handling did not complete within ${this.holdLimitMs} ms (it is handled again)`);
    }
    this.unsubscribeWhenEmpty(false);
  }
}

function timerKey(agent: string, timerId: string): string {
  return `${agent}\u0000${timerId}`;
}
