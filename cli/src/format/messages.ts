/** One line per message (`caxton tail`) and per log entry (`caxton logs`). */
import type { AclMessage } from '@caxton/core';

import { truncate } from './table.js';
import { formatTime } from './units.js';
import type { LogEntry, MessageEvent } from '@caxton/core';

function names(ids: AclMessage['receivers']): string {
  return ids.map((r) => r.name).join(',') || '-';
}

export function formatMessageLine(e: MessageEvent): string {
  const m = e.message;
  const parts = [formatTime(e.acceptedAt), m.performative.padEnd(15), `${m.sender?.name ?? '?'} -> ${names(m.receivers)}`];
  if (m.conversationId) parts.push(`conv=${m.conversationId}`);
  if (m.protocol) parts.push(`proto=${m.protocol}`);
  if (m.inReplyTo) parts.push(`re=${m.inReplyTo}`);
  if (m.content !== undefined) parts.push(JSON.stringify(truncate(m.content, 120)));
  return `${parts.join('  ')}\n`;
}

export function formatLogLine(l: LogEntry, withAgent: boolean): string {
  const agent = withAgent ? `  ${l.agent}` : '';
  return `${formatTime(l.at)}  ${l.level.toUpperCase().padEnd(5)}${agent}  ${l.message}\n`;
}
