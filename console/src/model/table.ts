/** Sorting and filtering of the agents table: pure, so the order a user sees is unit-tested. */
import type { AgentRow } from '@caxton/core';

export type AgentColumn = keyof Pick<
  AgentRow,
  'name' | 'language' | 'state' | 'node' | 'version' | 'signer' | 'handled' | 'fuelPerMessage' | 'memoryBytes' | 'mailboxDepth' | 'restarts'
>;

export interface SortOrder {
  column: AgentColumn;
  descending: boolean;
}

export const AGENT_COLUMNS: readonly { column: AgentColumn; label: string; numeric: boolean }[] = [
  { column: 'name', label: 'Name', numeric: false },
  { column: 'language', label: 'Language', numeric: false },
  { column: 'state', label: 'State', numeric: false },
  { column: 'node', label: 'Node', numeric: false },
  { column: 'version', label: 'Version', numeric: true },
  { column: 'signer', label: 'Signer', numeric: false },
  { column: 'handled', label: 'Handled', numeric: true },
  { column: 'fuelPerMessage', label: 'Fuel / msg', numeric: true },
  { column: 'memoryBytes', label: 'Memory', numeric: true },
  { column: 'mailboxDepth', label: 'Mailbox', numeric: true },
  { column: 'restarts', label: 'Restarts', numeric: true },
];

/** Clicking the sorted column flips it; another column starts ascending. */
export function nextSort(current: SortOrder, clicked: AgentColumn): SortOrder {
  return current.column === clicked ? { column: clicked, descending: !current.descending } : { column: clicked, descending: false };
}

function compare(a: AgentRow, b: AgentRow, column: AgentColumn): number {
  const x = a[column];
  const y = b[column];
  if (x === y) return 0;
  if (x === undefined) return 1; // missing values (no signer yet) sort last either way round
  if (y === undefined) return -1;
  if (typeof x === 'number' && typeof y === 'number') return x - y;
  return String(x).localeCompare(String(y));
}

/** Rows whose text (any column) contains every word of `filter`, case-insensitive, in `order` (ties by name). */
export function visibleRows(rows: readonly AgentRow[], filter: string, order: SortOrder): AgentRow[] {
  const words = filter
    .toLowerCase()
    .split(/\s+/)
    .filter((w) => w.length > 0);
  const kept = rows.filter((r) => {
    const text = AGENT_COLUMNS.map((c) => String(r[c.column] ?? ''))
      .join(' ')
      .toLowerCase();
    return words.every((w) => text.includes(w));
  });
  return kept.sort((a, b) => {
    const c = compare(a, b, order.column);
    const directed = order.descending && a[order.column] !== undefined && b[order.column] !== undefined ? -c : c;
    return directed !== 0 ? directed : a.name.localeCompare(b.name);
  });
}

/** 1536 → "1.5 KiB": memory and log sizes for people. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(v >= 100 ? 0 : 1)} ${units[i]}`;
}
