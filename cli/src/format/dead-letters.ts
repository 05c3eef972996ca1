/** Dead letters for humans (decision 1860): a table for `dlq list`, fields for `dlq show`. */
import type { DeadLetterView } from '@caxton/core';
import { renderFields, renderTable, truncate } from './table.js';
import { formatTime } from './units.js';

/** The state column: `dead`, `purged`, or `redriven → <delivery>`. */
export function formatLetterState(v: DeadLetterView): string {
  return v.state === 'redriven' && v.redrive ? `redriven → ${v.redrive.deliveryId}` : v.state;
}

export function formatDeadLetterTable(letters: readonly DeadLetterView[]): string {
  if (letters.length === 0) return 'no dead letters\n';
  return renderTable<DeadLetterView>(
    [
      { header: 'ID', value: (v) => v.id },
      { header: 'RECEIVER', value: (v) => v.delivery.receiver },
      { header: 'PERFORMATIVE', value: (v) => v.delivery.message.performative },
      { header: 'ATTEMPTS', value: (v) => String(v.attempts), right: true },
      { header: 'DEAD-LETTERED', value: (v) => formatTime(v.at) },
      { header: 'STATE', value: formatLetterState },
      { header: 'REASON', value: (v) => truncate(v.reason, 80) },
    ],
    letters,
  );
}

export function formatDeadLetter(v: DeadLetterView): string {
  const m = v.delivery.message;
  const fields: [string, string][] = [
    ['id', v.id],
    ['state', formatLetterState(v)],
    ['receiver', v.delivery.receiver],
    ['sender', m.sender?.name ?? ''],
    ['performative', m.performative],
    ['conversation', m.conversationId ?? ''],
    ['attempts', String(v.attempts)],
    ['dead-lettered', formatTime(v.at)],
    ['reason', v.reason],
  ];
  if (v.redrive) fields.push(['redriven', `${formatTime(v.redrive.at)} to ${v.redrive.receiver} as ${v.redrive.deliveryId}`]);
  if (v.purgedAt !== undefined) fields.push(['purged', formatTime(v.purgedAt)]);
  // Content last and whole: it is what the operator came to see (JSON-escaped onto one line).
  fields.push(['content', m.content === undefined ? '' : JSON.stringify(m.content)]);
  return renderFields(fields);
}
