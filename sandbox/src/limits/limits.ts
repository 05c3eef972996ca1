/**
 * Per-agent limits and their defaults. Fuel is in the units of fuel/cost-model.ts (≈ one wasm
 * operation); memory in 64 KiB pages per memory of the agent.
 */
import { MAX_MEMORY32_PAGES } from './rewrite.js';

export interface AgentLimits {
  /** Fuel for one handle() or on-timer() call, host calls included. */
  fuelPerMessage: number;
  /** Fuel for instantiating the agent and running its init(). */
  fuelPerInit: number;
  /** Maximum size of each of the agent's memories, in 64 KiB pages. */
  memoryPages: number;
  /** Wall-clock backstop for one delivery, enforced by the shard watchdog (not in-thread). */
  wallClockMs: number;
  /** Messages one call may send. */
  maxOutbox: number;
  /** Largest message one send may carry (sum of its strings, in UTF-16 code units). */
  maxMessageBytes: number;
  /** Timers one call may set. */
  maxTimers: number;
  /** Log lines one call may write (beyond: dropped and counted). */
  maxLogLines: number;
  /** Longest log line kept (beyond: truncated). */
  maxLogLineLength: number;
  /** Directory registrations/deregistrations one call may make. */
  maxDirectoryOps: number;
  /** Bytes of log lines (log, stdout, stderr) one call may keep (beyond: dropped and counted). */
  maxLogBytes: number;
  /** Shortest timer delay; shorter requests are raised to it (a 0 ms timer storm cannot spin the node). */
  minTimerDelayMs: number;
  /** Sustained sends per second of one agent (token bucket, burst of one second's worth). */
  sendsPerSecond: number;
  /** Sustained bytes sent per second of one agent, UTF-16 code units of message text (token bucket). */
  sendBytesPerSecond: number;
  /** Sustained directory changes per second of one agent (token bucket). */
  directoryChangesPerSecond: number;
  /** Longest service description register-service accepts (sum of its strings, code units). */
  maxServiceBytes: number;
}

export const DEFAULT_LIMITS: Readonly<AgentLimits> = Object.freeze({
  fuelPerMessage: 20_000_000,
  fuelPerInit: 200_000_000,
  memoryPages: 256, // 16 MiB
  wallClockMs: 2_000,
  maxOutbox: 1_000,
  maxMessageBytes: 1 << 20,
  maxTimers: 100,
  maxLogLines: 200,
  maxLogLineLength: 4_096,
  maxDirectoryOps: 100,
  maxLogBytes: 256 * 1024,
  minTimerDelayMs: 10,
  sendsPerSecond: 100_000,
  sendBytesPerSecond: 32 * 1024 * 1024,
  directoryChangesPerSecond: 100,
  maxServiceBytes: 64 * 1024,
});

export function resolveLimits(partial: Partial<AgentLimits> = {}): AgentLimits {
  const limits: AgentLimits = { ...DEFAULT_LIMITS, ...partial };
  for (const [key, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`limit ${key} must be a positive integer, got ${String(value)}`);
  }
  if (limits.memoryPages > MAX_MEMORY32_PAGES) {
    throw new RangeError(`limit memoryPages must be at most ${MAX_MEMORY32_PAGES} (4 GiB), got ${limits.memoryPages}`);
  }
  return limits;
}
