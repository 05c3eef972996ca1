/**
 * When an agent's HTTP calls leave (decision 1601): only once the handling that made them is
 * durably committed. A handling's calls are held from the moment the sandbox returns them until
 * the bus's applier reaches the plan's `release-http` step, which comes after the commit point
 * (the call's pending record is committed in that same step); a handling that will not commit
 * (it is rewound and handled again, anew) has its calls dropped (`drop`). A handling that never
 * settles here (the agent moved) has its held calls dropped after `holdLimitMs`. Nothing here is
 * an event subscription (issue 24): the applier calls `release` and `drop` directly. The agent
 * holds no shard meanwhile: nothing here runs in the sandbox.
 */
import type { HttpCall, StateWrite } from '@caxton/core';
import type { ExecutionResult, WorkItem } from '../bus/executor.js';
import type { HttpGateway } from '../http/gateway.js';
import { httpKeyOf } from '../bus/plan/handling-plan.js';

interface Held {
  agent: string;
  http: HttpCall[];
  stateWrites: StateWrite[];
  at: number;
}

export class HttpEffects {
  /** Work key (delivery id, or `<agent>\0<timer id>`) → the calls it made; insertion order = age. */
  private readonly held = new Map<string, Held>();

  constructor(
    private readonly gateway: HttpGateway,
    private readonly warn: (agent: string, message: string) => void,
    private readonly holdLimitMs = 10 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Remember the calls of a batch's completed handlings (called with the executor's results). */
  hold(batch: readonly WorkItem[], results: readonly ExecutionResult[]): void {
    for (let i = 0; i < results.length; i++) {
      const r = results[i]!;
      if (r.http.length === 0 || (r.outcome.status !== 'ok' && r.outcome.status !== 'rejected')) continue;
      const key = httpKeyOf(batch[i]!);
      this.held.delete(key); // a re-handling replaces what an earlier attempt held (fresh age)
      this.held.set(key, { agent: r.agent, http: r.http, stateWrites: r.stateWrites, at: this.now() });
    }
    this.sweep();
  }

  /** The handling's commit point is durable: its calls leave. */
  release(key: string): void {
    const entry = this.held.get(key);
    if (entry === undefined) return;
    this.held.delete(key);
    // A worker across nodes (`X#r<k>`) calls too: its answer is addressed to `X#r<k>` directly (decision 2163).
    this.gateway.apply(entry);
  }

  /** The handling will not commit: its calls never leave (the re-handling makes its own). */
  drop(key: string): void {
    this.held.delete(key);
  }

  /** Calls held, for tests and status. */
  get holding(): number {
    return this.held.size;
  }

  close(): void {
    this.held.clear();
  }

  private sweep(): void {
    const limit = this.now() - this.holdLimitMs;
    for (const [key, entry] of this.held) {
      if (entry.at > limit) break;
      this.held.delete(key);
      this.warn(
        entry.agent,
        `[caxton] ${entry.http.length} http call(s) of ${key} not sent: the handling did not complete within ${this.holdLimitMs} ms (it is handled again)`,
      );
    }
  }
}
