/**
 * `--log-format json`: every line the node writes to stdout and stderr becomes one JSON object
 * `{ time, level, msg, node, … }`, with `trace_id`/`span_id` when the line is written inside an
 * active span or is about a message that carries a trace context (an agent's log line written
 * while it handled a traced message). Log shippers (Kubernetes, Loki, Elastic) then parse fields
 * instead of guessing, and a line links to its trace.
 *
 * The node's own lines come from several places (the CLI's notes, topology warnings, client
 * libraries), so the conversion wraps the process's two streams at one point rather than asking
 * each writer to change: a partial write is held until its newline, so each JSON object is one
 * complete line. `formatJsonLogLine` and `levelOf` are pure and unit-tested.
 */
import { context, trace } from '@opentelemetry/api';
import { LineSplitter } from './line-splitter.js';

/** A line held longer than this without its newline is written as a line of its own (the held text is bounded). */
export const MAX_JSON_LOG_LINE_BYTES = 64 * 1024;

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface JsonLogFields {
  time: string;
  level: LogLevel;
  msg: string;
  node: string | undefined;
  agent?: string | undefined;
  trace_id?: string | undefined;
  span_id?: string | undefined;
}

/** The level a free-text line reads as; `fallback` for a line that says nothing about it. */
export function levelOf(line: string, fallback: LogLevel): LogLevel {
  if (/\b(ERROR|error:|failed|fatal)\b/i.test(line) && !/\bno error\b/i.test(line)) return 'error';
  if (/\b(WARNING|warning:|warn:)\b/i.test(line)) return 'warn';
  return fallback;
}

/** One JSON line (with its newline). Undefined fields are left out; the order is fixed for humans. */
export function formatJsonLogLine(fields: JsonLogFields): string {
  const { time, level, msg, node, agent, trace_id: traceId, span_id: spanId } = fields;
  return `${JSON.stringify({
    time,
    level,
    msg,
    node: node ?? null,
    ...(agent === undefined ? {} : { agent }),
    ...(traceId === undefined ? {} : { trace_id: traceId, span_id: spanId }),
  })}\n`;
}

/** The active span's ids, if a span is active and valid. */
export function activeTraceIds(): { trace_id: string; span_id: string } | undefined {
  const span = trace.getSpan(context.active());
  const sc = span?.spanContext();
  if (!sc || !trace.isSpanContextValid(sc)) return undefined;
  return { trace_id: sc.traceId, span_id: sc.spanId };
}

/** W3C traceparent (`00-<trace>-<span>-<flags>`) → its ids; undefined if it is not one. */
export function idsOfTraceparent(traceparent: string | undefined): { trace_id: string; span_id: string } | undefined {
  const m = traceparent === undefined ? null : /^[\da-f]{2}-([\da-f]{32})-([\da-f]{16})-[\da-f]{2}$/.exec(traceparent.trim());
  return m ? { trace_id: m[1]!, span_id: m[2]! } : undefined;
}

type Write = (
  chunk: string | Uint8Array,
  encodingOrCb?: BufferEncoding | ((err?: Error | null) => void),
  cb?: (err?: Error | null) => void,
) => boolean;

export interface JsonLogTarget {
  write: Write;
}

/**
 * Wrap `stream.write` so whole lines leave as JSON. Returns the function that restores it (and
 * writes out a held partial line). `node()` is asked per line: the node id is known only once the
 * node has resolved it.
 */
export function wrapStreamAsJson(
  stream: JsonLogTarget,
  fallback: LogLevel,
  node: () => string | undefined,
  now: () => Date = () => new Date(),
): () => void {
  const original = stream.write;
  const lines = new LineSplitter(MAX_JSON_LOG_LINE_BYTES);
  const emit = (line: string): void => {
    // A line that is JSON already (serve --json events) is passed through untouched.
    const trimmed = line.trim();
    if (trimmed === '') return;
    if (trimmed.startsWith('{') && trimmed.endsWith('}')) {
      original.call(stream, `${trimmed}\n`);
      return;
    }
    original.call(
      stream,
      formatJsonLogLine({ time: now().toISOString(), level: levelOf(line, fallback), msg: line, node: node(), ...activeTraceIds() }),
    );
  };
  stream.write = ((
    chunk: string | Uint8Array,
    encodingOrCb?: BufferEncoding | ((err?: Error | null) => void),
    cb?: (err?: Error | null) => void,
  ): boolean => {
    const callback = typeof encodingOrCb === 'function' ? encodingOrCb : cb;
    for (const line of lines.push(chunk, typeof encodingOrCb === 'string' ? encodingOrCb : undefined)) emit(line);
    if (callback) queueMicrotask(() => callback());
    return true;
  }) as Write;
  return () => {
    stream.write = original;
    const rest = lines.flush();
    if (rest !== undefined) emit(rest);
  };
}

/** Both process streams as JSON lines (stderr lines default to `info` too: they are notes, not errors). */
export function installJsonLogs(node: () => string | undefined): () => void {
  const restoreOut = wrapStreamAsJson(process.stdout as unknown as JsonLogTarget, 'info', node);
  const restoreErr = wrapStreamAsJson(process.stderr as unknown as JsonLogTarget, 'info', node);
  return () => {
    restoreOut();
    restoreErr();
  };
}
