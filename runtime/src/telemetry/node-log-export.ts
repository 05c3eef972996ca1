/**
 * The node's own lines over OTLP (issue 59), beside the agents' (otlp-log-records.ts): every whole
 * line the node process writes to stderr — its notes and warnings, the topology's, its client
 * libraries' — becomes one log record under the scope `caxton.node.logs`, with the level the line
 * reads as (json-log.ts's `levelOf`) and its time. The node's identity is the resource, as for every
 * other signal. No trace ids: the node registers no context manager (the bus hands a handling's ids
 * to what it calls, as agents' records get theirs), so a line written to a stream knows no span.
 *
 * Like `--log-format json`, this taps the stream at one point rather than asking each writer to
 * change (json-log.ts says why). It only observes: the stream gets every chunk exactly as written,
 * before the record is made, so a slow or dead collector never holds a line back (the logger's
 * processor queues boundedly and counts its drops). A line that is JSON already (`serve --json`
 * events, `--log-format json` output) is exported with its `msg` as the body when it has one.
 * Agents' lines do not pass here: they are printed on stdout and exported under their own scope.
 */
import type { Logger } from '@opentelemetry/api-logs';
import { levelOf, type JsonLogTarget, type LogLevel } from './json-log.js';
import { severityOf } from './otlp-log-records.js';
import { LineSplitter } from './line-splitter.js';

/** A line longer than this is cut (a record is one line of a log, not a dump); the cut is marked. */
export const MAX_NODE_LINE_BYTES = 8192;

/** What one whole line becomes: its body and level (pure; unit-tested). */
export function nodeLineRecord(line: string): { body: string; level: LogLevel } | undefined {
  const trimmed = line.trim();
  if (trimmed === '') return undefined;
  let body = trimmed;
  let level = levelOf(trimmed, 'info');
  if (trimmed.startsWith('{') && trimmed.endsWith('}')) {
    try {
      const o = JSON.parse(trimmed) as Record<string, unknown>;
      if (typeof o['msg'] === 'string') body = o['msg'];
      if (o['level'] === 'debug' || o['level'] === 'info' || o['level'] === 'warn' || o['level'] === 'error') level = o['level'];
    } catch {
      /* not JSON after all: the text as it is */
    }
  }
  const bytes = Buffer.byteLength(body);
  if (bytes > MAX_NODE_LINE_BYTES)
    body = `${Buffer.from(body)
      .subarray(0, MAX_NODE_LINE_BYTES)
      .toString('utf8')
      .replace(/\uFFFD$/, '')}… (${bytes} bytes)`;
  return { body, level };
}

type Write = JsonLogTarget['write'];

/**
 * Taps `stream` (the node's stderr): each whole line is also emitted to `logger`. Returns the
 * function that removes the tap (a held partial line is emitted then).
 */
export function exportNodeLines(stream: JsonLogTarget, logger: Logger, now: () => number = Date.now): () => void {
  const original = stream.write;
  const lines = new LineSplitter(MAX_NODE_LINE_BYTES);
  const emit = (line: string): void => {
    const record = nodeLineRecord(line);
    if (record === undefined) return;
    try {
      logger.emit({ timestamp: now(), ...severityOf(record.level), body: record.body });
    } catch {
      /* a telemetry failure never takes a log line, or the node, with it */
    }
  };
  stream.write = ((
    chunk: string | Uint8Array,
    encodingOrCb?: BufferEncoding | ((err?: Error | null) => void),
    cb?: (err?: Error | null) => void,
  ): boolean => {
    const written = original.call(stream, chunk, encodingOrCb as BufferEncoding, cb);
    for (const line of lines.push(chunk, typeof encodingOrCb === 'string' ? encodingOrCb : undefined)) emit(line);
    return written;
  }) as Write;
  return () => {
    stream.write = original;
    const rest = lines.flush();
    if (rest !== undefined) emit(rest);
  };
}
