/**
 * The bus bench's overload phase (issue 25, decision 1810): open-loop requests at a rate past what
 * the node can serve, for a bounded window, then the load drops and the bench watches the node come
 * back. Every request is tracked by its reply-with id:
 *
 * - refused: the send itself was refused (counted by error code; `bus.overloaded` carries a
 *   retry-after, anything else counts as an untyped refusal);
 * - accepted: the bus took it; its latency runs from the send call to the reply's acceptance by
 *   the bus. Accepted requests still unanswered after the drain are lost (target 0).
 *
 * Recovery: after the window the load drops to `recoveryPerS` (the measured maximum); recovery is
 * the time from the drop to the end of the first `recoveryWindowMs` window in which replies came at
 * ≥ 90 % of it (refusals per window are reported alongside). Bounded by `recoveryMaxS` (then
 * reported as not recovered).
 * The node and its agents (echo-i answering to sink-i) are the caller's.
 */
import type { AclMessage } from '@caxton/core';
import type { BenchNode } from './lib-bus-node.js';
import { sleep } from './lib-bus-node.js';

export interface OverloadOptions {
  /** Requests per second during the overload window (each request + reply is 2 messages). */
  overloadPerS: number;
  seconds: number;
  /** Requests per second after the load drops. */
  recoveryPerS: number;
  recoveryWindowMs: number;
  recoveryMaxS: number;
  /** echo-0 … echo-(pairs-1), each answering to sink-i. */
  pairs: number;
  /** Longest wait for accepted requests' replies after the run, ms. */
  drainMs: number;
}

export interface OverloadRun {
  sent: number;
  accepted: number;
  /** Refusals by error code. */
  refusedBy: Map<string, number>;
  /** Refusals without a retry-after. */
  refusedUntyped: number;
  retryAfterMs: number[];
  /** Latencies (ms) of accepted requests of the overload window that were answered, ascending. */
  latenciesMs: number[];
  /** Accepted in the overload window and never answered by the end of the drain. */
  lost: number;
  /** Replies (×2 = messages) per second during the overload window. */
  answeredPerS: number;
  /** Seconds from the drop to recovery; undefined when not within recoveryMaxS. */
  recoveryS: number | undefined;
  /** Per recovery window: [refused, replies per second]. */
  recoveryWindows: [number, number][];
  windowS: number;
}

/** Nearest-rank percentile over the accepted requests, a lost one counting as infinitely slow. */
export function acceptedPercentile(run: OverloadRun, p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * run.accepted));
  return rank > run.latenciesMs.length ? Number.POSITIVE_INFINITY : run.latenciesMs[rank - 1]!;
}

/**
 * The node's maximum for this traffic, measured the way it is used: `outstanding` requests kept in
 * flight (a new one as each reply arrives; refusals retried after their retry-after) for `seconds`.
 * Outside requests cost more than agents' messages (each is written ahead to the audit trail), so
 * the agents' ping-pong maximum is not theirs. Replies (= requests) per second.
 */
export async function closedLoopMax(node: BenchNode, pairs: number, outstanding: number, seconds: number): Promise<number> {
  let replies = 0;
  let stop = false;
  const waiting = new Map<string, () => void>();
  const off = node.on(
    (e) => {
      if (e.type !== 'accepted' || e.message.performative !== 'inform' || e.message.inReplyTo === undefined) return;
      const done = waiting.get(e.message.inReplyTo);
      if (done === undefined) return;
      waiting.delete(e.message.inReplyTo);
      replies++;
      done();
    },
    ['accepted'],
  );
  let seq = 0;
  const worker = async (): Promise<void> => {
    while (!stop) {
      const key = `m${seq++}`;
      const pair = seq % pairs;
      // A lost reply frees its loop after 5 s. The timer is cleared by the reply: left running, each
      // request's timer (~60,000 in 5 s) stayed on the heap into the next phase's measured window and
      // fired there, its promotions and major GCs counted in that phase's tail.
      let timer: NodeJS.Timeout | undefined;
      const answered = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          waiting.delete(key);
          resolve();
        }, 5000);
        waiting.set(key, resolve);
      });
      await node.sendRetrying({
        performative: 'request',
        receivers: [{ name: `echo-${pair}` }],
        replyTo: [{ name: `sink-${pair}` }],
        replyWith: key,
        content: key,
      });
      await answered;
      clearTimeout(timer);
    }
  };
  const workers = Array.from({ length: outstanding }, worker);
  await sleep(1000); // warm-up
  const r0 = replies;
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const perS = ((replies - r0) * 1000) / (performance.now() - t0);
  stop = true;
  await Promise.all(workers);
  off();
  return perS;
}

export async function overloadRun(node: BenchNode, o: OverloadOptions): Promise<OverloadRun> {
  const pending = new Map<string, number>(); // key → send time, accepted requests of the overload window only
  const refusedBy = new Map<string, number>();
  const retryAfterMs: number[] = [];
  const latenciesMs: number[] = [];
  let refusedUntyped = 0;
  let sent = 0;
  let accepted = 0;
  let replies = 0;
  let windowRefused = 0;
  let inOverload = true;
  const off = node.on(
    (e) => {
      if (e.type !== 'accepted' || e.message.performative !== 'inform' || e.message.inReplyTo === undefined) return;
      replies++;
      const at = pending.get(e.message.inReplyTo);
      if (at === undefined) return;
      pending.delete(e.message.inReplyTo);
      latenciesMs.push(performance.now() - at);
    },
    ['accepted'],
  );
  let seq = 0;
  const issue = (track: boolean): void => {
    const key = `o${seq++}`;
    const pair = seq % o.pairs;
    const at = performance.now();
    const message: AclMessage = {
      performative: 'request',
      receivers: [{ name: `echo-${pair}` }],
      replyTo: [{ name: `sink-${pair}` }],
      replyWith: key,
      content: key,
    };
    if (track) {
      sent++;
      pending.set(key, at);
    }
    node.control.send(message).then(
      () => {
        if (track) accepted++;
      },
      (err: unknown) => {
        if (track) pending.delete(key);
        if (!inOverload) windowRefused++;
        if (!track) return;
        const e = err as { code?: string; context?: { retryAfterMs?: unknown } };
        const code = e.code ?? 'untyped';
        refusedBy.set(code, (refusedBy.get(code) ?? 0) + 1);
        if (typeof e.context?.retryAfterMs === 'number') retryAfterMs.push(e.context.retryAfterMs);
        else refusedUntyped++;
      },
    );
  };
  /** Open loop at `perS` for `ms`: each millisecond, the sends that fell due. */
  const openLoop = async (perS: number, ms: number, track: boolean): Promise<void> => {
    const start = performance.now();
    let issued = 0;
    while (performance.now() - start < ms) {
      const due = Math.floor(((performance.now() - start) / 1000) * perS);
      for (; issued < due; issued++) issue(track);
      await sleep(1);
    }
  };

  const repliesBefore = replies;
  const t0 = performance.now();
  await openLoop(o.overloadPerS, o.seconds * 1000, true);
  const windowS = (performance.now() - t0) / 1000;
  const answeredPerS = (replies - repliesBefore) / windowS;

  // The load drops: watch, window by window, until the node serves what it is offered again.
  inOverload = false;
  const recoveryWindows: [number, number][] = [];
  let recoveryS: number | undefined;
  const drop = performance.now();
  while (recoveryS === undefined && performance.now() - drop < o.recoveryMaxS * 1000) {
    windowRefused = 0;
    const r0 = replies;
    const w0 = performance.now();
    await openLoop(o.recoveryPerS, o.recoveryWindowMs, false);
    const perS = ((replies - r0) * 1000) / (performance.now() - w0);
    recoveryWindows.push([windowRefused, Math.round(perS)]);
    if (perS >= 0.9 * o.recoveryPerS) recoveryS = (performance.now() - drop) / 1000;
  }

  // Drain: every accepted request of the overload window must be answered.
  const drainStart = performance.now();
  while (pending.size > 0 && performance.now() - drainStart < o.drainMs) await sleep(20);
  off();
  latenciesMs.sort((a, b) => a - b);
  return {
    sent,
    accepted,
    refusedBy,
    refusedUntyped,
    retryAfterMs,
    latenciesMs,
    lost: pending.size,
    answeredPerS,
    recoveryS,
    recoveryWindows,
    windowS,
  };
}
