/**
 * What a caller without permission config.read may not see (decisions 1401, 1760): agent config
 * values, which often hold API keys and passwords an operator passed with `--config`. Keys stay, so
 * a dashboard still shows what is configured; values are replaced. Applied in every RPC and console
 * route that returns an agent. Pure.
 */
import { principalMay, REDACTED_CONFIG_VALUE, type AgentStatus, type Principal } from '@caxton/core';

export const REDACTED = REDACTED_CONFIG_VALUE;

export function redactConfig(config: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(config).map((k) => [k, REDACTED]));
}

/** The agent as `principal` may see it. */
export function agentForPrincipal(agent: AgentStatus, principal: Principal): AgentStatus {
  return principalMay(principal, 'config.read') ? agent : { ...agent, config: redactConfig(agent.config) };
}
