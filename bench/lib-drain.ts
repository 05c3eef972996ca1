/**
 * The drain after a latency run: wait, at most `maxMs`, for the answers still awaited by a ledger
 * (they will count as late), then settle it (whatever is still missing counts as lost).
 */
import type { LatencyAccount, RequestLedger } from './lib-latency.js';

export interface Drained {
  account: LatencyAccount;
  /** How long the drain took, ms. */
  drainMs: number;
}

/** `now` is the clock the ledger's times come from (performance.now, Date.now, µs …). */
export async function drainAndSettle<Id>(ledger: RequestLedger<Id>, maxMs: number, now: () => number): Promise<Drained> {
  const start = performance.now();
  while (ledger.awaited > 0 && performance.now() - start < maxMs) await new Promise((r) => setTimeout(r, 20));
  return { account: ledger.settle(now()), drainMs: performance.now() - start };
}
