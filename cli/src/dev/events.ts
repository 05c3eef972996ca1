/**
 * What `caxton dev` reports, as typed events: one JSON object per line under --json, otherwise one
 * text line per event (several for a build error's compiler output), each marked with where it
 * comes from ([node], [build], [deploy], [msg], [log]) so a message and a log line can be told
 * apart in the one stream. Pure: no I/O, unit-tested.
 */
import type { LogEntry, MessageEvent } from '@caxton/core';
import { formatLogLine, formatMessageLine } from '../format/messages.js';
import { formatBytes, formatDuration } from '../format/units.js';

/** A failure shown without stopping the loop: the error's own message, code and hint. */
export interface ShownError {
  error: string;
  code?: string;
  hint?: string;
}

export type DevEvent =
  | { event: 'node'; address: string; started: boolean; dataDir?: string }
  | { event: 'watching'; dir: string; agent: string }
  | {
      event: 'built';
      agent: string;
      artifact: string;
      sha256: string;
      language: string;
      bytes: number;
      durationMs: number;
      reused: boolean;
    }
  | ({ event: 'build-failed'; agent: string } & ShownError)
  | { event: 'deployed'; agent: string; version: number }
  | { event: 'upgraded'; agent: string; version: number; previousVersion: number }
  | ({ event: 'deploy-failed'; agent: string; upgrade: boolean } & ShownError)
  | { event: 'unchanged'; agent: string; sha256: string }
  | ({ event: 'message' } & MessageEvent)
  | ({ event: 'log' } & LogEntry)
  | ({ event: 'stream-failed'; stream: 'messages' | 'logs' | 'watch' } & ShownError)
  | { event: 'stopped'; nodeStopped: boolean };

export type DevEventName = DevEvent['event'];

/** An error as shown: CaxtonError's code and hint when it has them. */
export function shownError(err: unknown): ShownError {
  if (!(err instanceof Error)) return { error: String(err) };
  const e = err as Error & { code?: unknown; hint?: unknown };
  return {
    error: e.message,
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
    ...(typeof e.hint === 'string' && e.hint !== '' ? { hint: e.hint } : {}),
  };
}

const MARK_WIDTH = 9;
const STREAM_MARKS = { messages: 'msg', logs: 'log', watch: 'watch' } as const;

function marked(mark: string, text: string): string {
  const prefix = `[${mark}]`.padEnd(MARK_WIDTH);
  return text
    .replace(/\n$/, '')
    .split('\n')
    .map((line) => `${prefix}${line}\n`)
    .join('');
}

function errorLines(e: ShownError): string {
  return `${e.error}${e.hint ? `\nhint: ${e.hint}` : ''}`;
}

/** The text form of an event: one or more lines, each starting with its mark. */
export function formatDevEvent(e: DevEvent): string {
  switch (e.event) {
    case 'node':
      return marked(
        'node',
        e.started
          ? `started a node on ${e.address} (data dir ${e.dataDir ?? '?'}); Ctrl-C stops it\n` +
              `other terminals: caxton --addr ${e.address}${e.dataDir ? ` --data-dir ${e.dataDir}` : ''} <command>`
          : `attached to the node on ${e.address}; Ctrl-C leaves it running`,
      );
    case 'watching':
      return marked('watch', `watching ${e.dir} for changes to ${e.agent}'s sources`);
    case 'built':
      return marked(
        'build',
        `built ${e.artifact} (${e.language}, ${formatBytes(e.bytes)}, ${e.reused ? 'up to date' : formatDuration(e.durationMs)})`,
      );
    case 'build-failed':
      return marked('build', `build of ${e.agent} failed; the running version stays:\n${errorLines(e)}`);
    case 'deployed':
      return marked('deploy', `deployed ${e.agent} (version ${e.version})`);
    case 'upgraded':
      return marked('deploy', `upgraded ${e.agent}: version ${e.previousVersion} -> ${e.version}, state kept`);
    case 'deploy-failed':
      return marked(
        'deploy',
        `${e.upgrade ? 'upgrade' : 'deploy'} of ${e.agent} refused${e.upgrade ? '; the running version stays' : ''}:\n${errorLines(e)}`,
      );
    case 'unchanged':
      return marked('build', `${e.agent} is unchanged (sha256 ${e.sha256.slice(0, 12)}): nothing to upgrade`);
    case 'message':
      return marked('msg', formatMessageLine(e));
    case 'log':
      return marked('log', formatLogLine(e, false));
    case 'stream-failed':
      return marked(STREAM_MARKS[e.stream], `${e.stream === 'watch' ? 'watching the sources' : 'stream'} ended: ${errorLines(e)}`);
    case 'stopped':
      return marked('node', e.nodeStopped ? 'stopped the loop and the node' : 'stopped the loop; the node keeps running');
  }
}
