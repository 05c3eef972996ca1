/** `caxton top` for humans: the sorted rows and the totals under them. */
import { formatFuel, type HandlingCosts } from '@caxton/core';
import { renderTable, type Column } from '../format/table.js';
import { formatBytes, formatCount, formatDuration, formatPages } from '../format/units.js';
import type { TopRow, TopTotals } from './top-rows.js';

const rate = (n: number | undefined): string => (n === undefined ? '-' : n >= 100 ? formatCount(Math.round(n)) : n.toFixed(1));
const fuelRate = (n: number | undefined): string => (n === undefined ? '-' : formatFuel(n));

export { formatFuel };

/** Handler wall time: 850µs, 12.3ms, 4.2s, 5m 3s. */
export function formatMicros(us: number): string {
  if (us < 1000) return `${Math.round(us)}µs`;
  if (us < 1e6) return `${(us / 1000).toFixed(1)}ms`;
  if (us < 60e6) return `${(us / 1e6).toFixed(1)}s`;
  return formatDuration(us / 1000);
}

/** The columns of what handlings cost, the same for agents and conversations. */
export const HANDLING_COST_COLUMNS: Column<HandlingCosts>[] = [
  { header: 'HANDLED', value: (r) => formatCount(r.handled), right: true },
  { header: 'FUEL', value: (r) => formatFuel(r.fuel), right: true },
  { header: 'HANDLER', value: (r) => formatMicros(r.handlerUs), right: true },
  { header: 'SENT', value: (r) => formatCount(r.messagesSent), right: true },
  { header: 'BYTES-OUT', value: (r) => formatBytes(r.bytesSent), right: true },
  { header: 'WRITTEN', value: (r) => formatBytes(r.stateBytesWritten), right: true },
  { header: 'HTTP', value: (r) => formatCount(r.httpCalls), right: true },
];

type Line = TopRow | (TopTotals & { name: string; state: string; nodeId: string });

const COLUMNS: Column<Line>[] = [
  { header: 'NAME', value: (r) => r.name },
  { header: 'STATE', value: (r) => r.state },
  { header: 'NODE', value: (r) => r.nodeId },
  { header: 'MSG/S', value: (r) => rate(r.handledPerS), right: true },
  { header: 'FUEL/S', value: (r) => fuelRate(r.fuelPerS), right: true },
  { header: 'FUEL/MSG', value: (r) => fuelRate(r.fuelPerHandling), right: true },
  ...HANDLING_COST_COLUMNS,
  { header: 'MEMORY', value: (r) => formatPages(r.memoryPages), right: true },
  { header: 'MAILBOX', value: (r) => formatCount(r.mailbox), right: true },
  { header: 'RESTARTS', value: (r) => String(r.restarts), right: true },
];

/** The table, the totals as its last line (`TOTAL (n agents)`), and when it was read. */
export function formatTop(rows: readonly TopRow[], totals: TopTotals, heading: string): string {
  const total: Line = { ...totals, name: `TOTAL (${totals.agents} agent${totals.agents === 1 ? '' : 's'})`, state: '', nodeId: '' };
  return `${heading}\n\n${renderTable(COLUMNS, [...rows, total])}`;
}
