/** `caxton top --conversations` for humans: the sorted conversations, then the node's sums they add up to. */
import { visibleId, type ConversationCostsView, type HandlingCosts } from '@caxton/core';
import { renderTable, truncate, type Column } from '../format/table.js';
import { formatCount } from '../format/units.js';
import type { ConversationRow } from './conversation-rows.js';
import { formatFuel, HANDLING_COST_COLUMNS } from './format-top.js';

/** Conversation ids are the senders': shown safe (core's `visibleId`), and long ones cut. */
export function printableId(id: string, max = 40): string {
  return truncate(visibleId(id), max);
}

const rate = (n: number | undefined): string => (n === undefined ? '-' : n >= 100 ? formatCount(Math.round(n)) : n.toFixed(1));

/** Who took part, largest fuel first: `broker, c1, c2 +3`. */
function agentsOf(r: ConversationRow | Line): string {
  if (!('agents' in r)) return '';
  const names = r.agents.map((a) => a.agent);
  const more = names.length - 3 + (r.otherAgents ? 1 : 0);
  return `${names.slice(0, 3).join(', ')}${more > 0 ? ` +${more}` : ''}`;
}

type Line = ConversationRow | (HandlingCosts & { label: string });

const COLUMNS: Column<Line>[] = [
  { header: 'CONVERSATION', value: (r) => ('label' in r ? r.label : printableId(r.conversationId)) },
  { header: 'MSG/S', value: (r) => rate('label' in r ? undefined : r.handledPerS), right: true },
  { header: 'FUEL/S', value: (r) => ('label' in r || r.fuelPerS === undefined ? '-' : formatFuel(r.fuelPerS)), right: true },
  ...HANDLING_COST_COLUMNS,
  { header: 'AGENTS', value: agentsOf },
];

/**
 * The table: the listed conversations, then the rest of the node's sums — the conversations not
 * listed, those evicted, the handlings with no conversation — and the node's total they add up to.
 */
export function formatConversations(rows: readonly ConversationRow[], view: ConversationCostsView, heading: string): string {
  const listed = { handled: 0, fuel: 0, handlerUs: 0, messagesSent: 0, bytesSent: 0, stateBytesWritten: 0, httpCalls: 0 };
  for (const r of rows) for (const k of Object.keys(listed) as (keyof HandlingCosts)[]) listed[k] += r[k];
  const rest = { ...listed };
  for (const k of Object.keys(rest) as (keyof HandlingCosts)[])
    rest[k] = view.totals[k] - listed[k] - view.evicted[k] - view.noConversation[k];
  const notListed = view.conversationCount - rows.length;
  const lines: Line[] = [
    ...rows,
    ...(notListed > 0 ? [{ ...rest, label: `(${formatCount(notListed)} more conversations)` }] : []),
    ...(view.evicted.conversations > 0 ? [{ ...view.evicted, label: `(${formatCount(view.evicted.conversations)} evicted)` }] : []),
    { ...view.noConversation, label: '(no conversation)' },
    { ...view.totals, label: `TOTAL (node, ${formatCount(view.conversationCount + view.evicted.conversations)} conversations)` },
  ];
  return `${heading}\n\n${renderTable(COLUMNS, lines)}`;
}
