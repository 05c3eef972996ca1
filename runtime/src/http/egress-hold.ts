/**
 * The kill switch over outbound HTTP (decisions 1403, 1710): while the node (or its cluster) is
 * frozen or the calling agent suspended, none of that agent's calls leaves. Calls waiting for a
 * slot or for the release wait here; calls on the network are aborted the moment the hold begins,
 * and the gateway decides what an aborted call becomes (sent again if it provably never reached
 * the service, answered `interrupted` otherwise). No I/O: a gate over the switch's state.
 */
import { HttpCallFailure } from './call-failure.js';

/** What holds an agent's calls: the node's KillSwitch satisfies it. */
export interface EgressHold {
  /** No code of `agent` may run now, and none of its calls may leave. */
  isHeld(agent: string): boolean;
  /** Called after every change of the switch; returns the unsubscribe. */
  onChange(listener: () => void): () => void;
}

export interface HeldAttempt {
  /** Aborted (reason: an `interrupted` HttpCallFailure) when the attempt's agent becomes held. */
  signal: AbortSignal;
  /** The attempt settled: stop watching it. */
  done(): void;
}

export class EgressGate {
  private waiters: { agent: string; resolve: () => void }[] = [];
  private readonly attempts = new Map<AbortController, string>();
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(private readonly hold: EgressHold | undefined) {
    this.unsubscribe = hold?.onChange(() => this.changed()) ?? ((): void => {});
  }

  isHeld(agent: string): boolean {
    return !this.closed && (this.hold?.isHeld(agent) ?? false);
  }

  /** Resolves once `agent` is not held, or the gate is closed (the caller then checks which). */
  released(agent: string): Promise<void> {
    if (!this.isHeld(agent)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ agent, resolve }));
  }

  /** Watch one attempt of `agent`'s call: aborted at once if the agent is held now or later. */
  attempt(agent: string): HeldAttempt {
    const controller = new AbortController();
    this.attempts.set(controller, agent);
    if (this.isHeld(agent)) controller.abort(heldFailure(agent));
    return {
      signal: controller.signal,
      done: () => {
        this.attempts.delete(controller);
      },
    };
  }

  /** Held agents held no more: their waiters go (the gateway's close decides what they do). */
  close(): void {
    this.closed = true;
    this.unsubscribe();
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.resolve();
  }

  private changed(): void {
    for (const [controller, agent] of this.attempts) {
      if (this.isHeld(agent) && !controller.signal.aborted) controller.abort(heldFailure(agent));
    }
    const still: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (this.isHeld(w.agent)) still.push(w);
      else w.resolve();
    }
    this.waiters = still;
  }
}

function heldFailure(agent: string): HttpCallFailure {
  return new HttpCallFailure('interrupted', `the node was frozen or ${agent} suspended (kill switch) while the call was in flight`);
}
