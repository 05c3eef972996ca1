/**
 * When a send refused `bus.overloaded` is sent again (decision 1810). A node past its edge limit
 * refuses before it records or appends anything, so sending the same message again cannot
 * duplicate it; the refusal says how long to wait (`retryAfterMs` in its details, and the
 * `retry-after-ms` trailer). Clients wait that long plus a little jitter — so a crowd of refused
 * clients does not come back in one instant — for as long as their budget allows, then give up
 * with the last refusal.
 *
 * Pure: the caller passes the clock reading and the random draw.
 */
import { RETRY_AFTER_KEY } from './grpc-status.js';

/** How long a send may spend waiting out overload refusals by default, in all: 10 s. */
export const DEFAULT_OVERLOAD_RETRY_MS = 10_000;
/** Used when a refusal names no wait (an older node). */
const FALLBACK_WAIT_MS = 250;
/** Longest single wait, whatever the node says. */
const MAX_WAIT_MS = 5_000;

interface Refusal {
  code?: unknown;
  context?: Record<string, unknown>;
  cause?: { metadata?: { get(key: string): unknown[] } };
}

/** The wait a refusal asks for, in ms, or undefined when the error is not an overload refusal. */
export function overloadWaitMs(err: unknown): number | undefined {
  const e = err as Refusal | undefined;
  if (e?.code !== 'bus.overloaded') return undefined;
  const fromDetails = Number(e.context?.['retryAfterMs']);
  if (Number.isFinite(fromDetails) && fromDetails >= 0) return Math.min(MAX_WAIT_MS, fromDetails);
  const fromTrailer = Number(e.cause?.metadata?.get(RETRY_AFTER_KEY)[0]);
  if (Number.isFinite(fromTrailer) && fromTrailer >= 0) return Math.min(MAX_WAIT_MS, fromTrailer);
  return FALLBACK_WAIT_MS;
}

/**
 * The delay before the next attempt, or undefined to give up: not an overload refusal, or the
 * wait (with up to 20 % jitter from `random` ∈ [0, 1)) would pass the budget.
 */
export function nextOverloadRetry(err: unknown, elapsedMs: number, budgetMs: number, random: number): number | undefined {
  const wait = overloadWaitMs(err);
  if (wait === undefined || budgetMs <= 0) return undefined;
  const delay = Math.ceil(Math.max(1, wait) * (1 + 0.2 * random));
  return elapsedMs + delay > budgetMs ? undefined : delay;
}
