/**
 * What a caller without permission config.read may not see (decisions 1401, 1760): agent config
 * values, which often hold API keys and passwords an operator passed with `--config`. Keys stay, so
 * a dashboard still shows what is configured; values are replaced. And (decision 2189) a placement
 * key outside a scoped token's agents. Applied in every RPC and console route that returns an
 * agent. Pure.
 */
import { principalMay, principalSees, REDACTED_CONFIG_VALUE, type AgentStatus, type Principal } from '@caxton/core';

export const REDACTED = REDACTED_CONFIG_VALUE;

export function redactConfig(config: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(config).map((k) => [k, REDACTED]));
}

/**
 * The agent as `principal` may see it: config values redacted without config.read; the placement
 * key of an agent placed `--near` another left out when the key (a chain's root, decision 2189)
 * names an agent outside the token's scope — another tenant's name, and that it exists.
 */
export function agentForPrincipal(agent: AgentStatus, principal: Principal): AgentStatus {
  const config = principalMay(principal, 'config.read') ? agent : { ...agent, config: redactConfig(agent.config) };
  const key = agent.near?.key;
  if (key === undefined || principalSees(principal, key)) return config;
  const { key: _hidden, ...near } = agent.near!;
  return { ...config, near };
}
