/**
 * The Costs page's model (decision 2184): the conversations' columns and the figure each asks the
 * node to sort by, the agents' costs sorted here, and how the figures read. Pure, unit-tested.
 */
import { formatFuel, type AgentRow, type ConversationCostSort, type HandlingCostKey, type HandlingCosts } from '@caxton/core';

export { formatFuel };

export interface CostColumn {
  key: HandlingCostKey;
  label: string;
}

/** The figures, in the order shown; each column header sorts by it, largest first. */
export const COST_COLUMNS: readonly CostColumn[] = [
  { key: 'fuel', label: 'Fuel' },
  { key: 'handled', label: 'Handled' },
  { key: 'handlerUs', label: 'Handler time' },
  { key: 'messagesSent', label: 'Sent' },
  { key: 'bytesSent', label: 'Bytes sent' },
  { key: 'stateBytesWritten', label: 'State written' },
  { key: 'httpCalls', label: 'HTTP calls' },
];

export type ConversationSort = ConversationCostSort;

/** The query string of a read: the node sorts and limits (it holds up to 10,000 conversations). */
export function costsQuery(sort: ConversationSort, limit: number): string {
  return new URLSearchParams({ sort, limit: String(limit) }).toString();
}

/** 850 µs, 12.3 ms, 4.2 s. */
export function formatMicros(us: number): string {
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 1e6) return `${(us / 1000).toFixed(1)} ms`;
  return `${(us / 1e6).toFixed(1)} s`;
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** One figure as the page shows it. */
export function formatCost(key: HandlingCostKey, value: number): string {
  if (key === 'fuel') return formatFuel(value);
  if (key === 'handlerUs') return formatMicros(value);
  if (key === 'bytesSent' || key === 'stateBytesWritten') return formatSize(value);
  return value.toLocaleString('en');
}

/** The agents with costs (those whose node counts them), largest `key` first, ties by name. */
export function agentsByCost(agents: readonly AgentRow[], key: HandlingCostKey): (AgentRow & { costs: HandlingCosts })[] {
  return agents
    .filter((a): a is AgentRow & { costs: HandlingCosts } => a.costs !== undefined)
    .sort((a, b) => b.costs[key] - a.costs[key] || a.name.localeCompare(b.name));
}
