/**
 * An agent log entry → one OTLP log record (decision 1850): severity (number and text), the line as
 * body, the agent's name as `caxton.agent` (the node's identity is the resource), the line's own
 * time, and the trace and span of the handling that wrote it when it had one — so a trace backend
 * shows a handling's log lines beside its span. The ids come from the bus's `log` event (the
 * handle span's, or the received context's when the handling was not sampled and built no span);
 * the trace flags are not known there and are sent as not-sampled, which backends ignore for logs.
 */
import { ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { SeverityNumber, type Logger } from '@opentelemetry/api-logs';
import type { LogEntry, LogLevel } from '@caxton/core';

/** The trace a log line belongs to: the handling's span. */
export interface LogTraceIds {
  traceId: string;
  spanId: string;
}

const SEVERITY: Record<LogLevel, SeverityNumber> = {
  trace: SeverityNumber.TRACE,
  debug: SeverityNumber.DEBUG,
  info: SeverityNumber.INFO,
  warn: SeverityNumber.WARN,
  error: SeverityNumber.ERROR,
};

/** The severity number of a level; an unknown level (a foreign agent's) reads as INFO, never dropped. */
export function severityOf(level: string): { severityNumber: SeverityNumber; severityText: string } {
  const known = Object.hasOwn(SEVERITY, level) ? (level as LogLevel) : 'info';
  return { severityNumber: SEVERITY[known], severityText: known.toUpperCase() };
}

/** Emit one entry. Never throws and never waits: the logger's processor queues (bounded) or drops (counted). */
export function emitLogRecord(logger: Logger, entry: LogEntry, ids: LogTraceIds | undefined): void {
  const spanContext = ids === undefined ? undefined : { traceId: ids.traceId, spanId: ids.spanId, traceFlags: TraceFlags.NONE };
  logger.emit({
    timestamp: entry.at,
    ...severityOf(entry.level),
    body: entry.message,
    attributes: { 'caxton.agent': entry.agent },
    ...(spanContext !== undefined && trace.isSpanContextValid(spanContext)
      ? { context: trace.setSpanContext(ROOT_CONTEXT, spanContext) }
      : {}),
  });
}
