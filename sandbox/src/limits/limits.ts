/**
 * Per-agent limits in the sandbox: the table of @caxton/core (decision 1720) — names, units,
 * defaults and ceilings are defined there once; this module only re-exports them under the names
 * the sandbox has always used, and resolves a partial set (checked) into a full one.
 */
import { DEFAULT_AGENT_LIMITS, resolveAgentLimits, type AgentLimits } from '@caxton/core';

export type { AgentLimits };

export const DEFAULT_LIMITS: Readonly<AgentLimits> = DEFAULT_AGENT_LIMITS;

/** Defaults overridden by `partial`; a value outside 1..ceiling is a LimitOutOfRangeError. */
export function resolveLimits(partial: Partial<AgentLimits> = {}): AgentLimits {
  return resolveAgentLimits(partial);
}
