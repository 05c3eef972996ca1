/**
 * What the read-only role may not see (decision 1401): agent config values, which often hold API
 * keys and passwords an operator passed with `--config`. Keys stay, so a dashboard still shows
 * what is configured; values are replaced. Applied in every RPC that returns an AgentInfo to a
 * read-only caller. Pure.
 */
import type { AgentStatus } from '@caxton/core';
import type { Role } from './access.js';

export const REDACTED = '<redacted>';

export function redactConfig(config: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(config).map((k) => [k, REDACTED]));
}

/** The agent as `role` may see it. */
export function agentForRole(agent: AgentStatus, role: Role): AgentStatus {
  return role === 'admin' ? agent : { ...agent, config: redactConfig(agent.config) };
}
