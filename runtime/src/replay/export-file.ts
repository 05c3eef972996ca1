/**
 * Replay export files (issue 57): one agent's recorded history, its deployment and its component in
 * one file, so a trace can be moved off the production node and replayed anywhere (`caxton replay
 * --export`, then `--input`). The format is export-format.ts's; events are checked by export-events.ts.
 *
 * Writing never leaves a half file under the real name: the lines go to `<file>.tmp-<random>`
 * beside it, which is synced, then given the real name (an existing file is refused unless
 * `overwrite`), and removed if anything fails. Reading is bounded in memory whatever the span: the
 * component (at most what a node accepts), then one line at a time (bounded-lines.ts).
 *
 * A file is only known whole once its end line is read — the event count and the checksum of every
 * byte before it. The events are handed on as they are read (a replay consumes them as they come),
 * so a truncated or damaged file fails its reader at the end, or at the first malformed line, with
 * `replay.export-truncated` or `replay.export-corrupt`, after the events before it were handed on:
 * whoever consumes them must treat what it did with them as unconfirmed until the generator ends.
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { link, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { parseJson } from '@caxton/core';
import { boundedLines, type LinesEnd } from './bounded-lines.js';
import { ReplayError } from './errors.js';
import { ShapeProblem, checkRecordedEvent, isPlainRecord, recordedEventOf } from './export-events.js';
import {
  COMPONENT_CHUNK_BYTES,
  DEFAULT_MAX_COMPONENT_BYTES,
  DEFAULT_MAX_LINE_BYTES,
  EXPORT_FORMAT,
  EXPORT_VERSION,
  exportCorrupt,
  exportTruncated,
  headerProblem,
  parseEnd,
  parseHeader,
  type ReplayExportEnd,
  type ReplayExportHeader,
} from './export-format.js';
import type { RecordedDeployment, RecordedEvent } from './recorded.js';

export interface ReplayExportSource {
  deployment: RecordedDeployment;
  /** `name@platform`, as the agent's sandbox knew it. */
  identity: string;
  /** The directory as the registry holds it: what `search-services` answers in a replay of the export. */
  servicesByType: ReadonlyMap<string, readonly { name: string }[]>;
  /** The agents deployed where it was recorded (a replay of the export then flags sends to them the log lacks). */
  localAgents?: ReadonlySet<string>;
  /** The recorded version's component. */
  component: Uint8Array;
  /** The history, oldest first (readEmbeddedHistory). */
  events: AsyncIterable<RecordedEvent>;
}

export interface WriteReplayExportOptions {
  /** Replace a file already at the name (default: refuse, `replay.export-exists`). */
  overwrite?: boolean;
  /** Called after each event written: events and bytes so far. */
  onProgress?: (progress: { events: number; bytes: number }) => void;
  /** The header's `exportedAt`. Default: Date.now. */
  now?: () => number;
  maxLineBytes?: number;
  maxComponentBytes?: number;
}

export interface ReplayExportWritten {
  file: string;
  events: number;
  /** The file's size. */
  bytes: number;
  componentBytes: number;
}

export interface OpenReplayExportOptions {
  /** Called once the end line was read and checked (not when the reader stops early). */
  onEnd?: (end: ReplayExportEnd) => void;
  maxLineBytes?: number;
  maxComponentBytes?: number;
}

export interface ReplayExport {
  file: string;
  header: ReplayExportHeader;
  servicesByType: ReadonlyMap<string, readonly { name: string }[]>;
  /** The component, its size and sha256 checked against the header. */
  component: Uint8Array;
  /**
   * The events, read as they are consumed; returns the end line once checked. Throws
   * `replay.export-truncated` or `replay.export-corrupt` where the file fails (see the file's
   * comment: the events before were handed on). Ending it, or consuming it to the end, closes the file.
   */
  events: AsyncGenerator<RecordedEvent, ReplayExportEnd>;
  /** Closes the file (when `events` is not consumed to its end). */
  close(): Promise<void>;
}

const NEWLINE = Buffer.from('\n');
/** Bytes of lines gathered before one write. */
const WRITE_BATCH_BYTES = 1024 * 1024;

// ---- writing ----

/** Writes `source` to `file` as a replay export (format: export-format.ts); nothing is left under either name on failure. */
export async function writeReplayExport(
  file: string,
  source: ReplayExportSource,
  opts: WriteReplayExportOptions = {},
): Promise<ReplayExportWritten> {
  const target = path.resolve(file);
  const overwrite = opts.overwrite === true;
  const maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const maxComponentBytes = opts.maxComponentBytes ?? DEFAULT_MAX_COMPONENT_BYTES;
  await refuseExisting(target, overwrite);
  const { component } = source;
  if (component.byteLength === 0)
    throw new ReplayError('replay.invalid-argument', 'the component to export is empty', { context: { file: target } });
  if (component.byteLength > maxComponentBytes)
    throw new ReplayError(
      'replay.export-too-large',
      `the component is ${component.byteLength} bytes, more than an export carries (${maxComponentBytes})`,
      {
        context: { file: target, bytes: component.byteLength },
        hint: 'no node accepts a component that large: export the agent of a node that runs it',
      },
    );
  const temp = `${target}.tmp-${randomBytes(6).toString('hex')}`;
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, 'wx', 0o600).catch((cause: NodeJS.ErrnoException) => {
      if (cause.code !== 'ENOENT' && cause.code !== 'ENOTDIR') throw cause;
      throw new ReplayError('replay.invalid-argument', `cannot write ${target}: no directory ${path.dirname(target)}`, {
        context: { file: target },
        cause,
        hint: 'create the directory first, or name a file in one that exists',
      });
    });
    const out = new LineWriter(handle, maxLineBytes);
    const header: ReplayExportHeader = {
      format: EXPORT_FORMAT,
      version: EXPORT_VERSION,
      agent: source.deployment.name,
      identity: source.identity,
      deployment: source.deployment,
      servicesByType: Object.fromEntries([...source.servicesByType].map(([type, ids]) => [type, ids.map((id) => ({ name: id.name }))])),
      component: { digest: createHash('sha256').update(component).digest('hex'), bytes: component.byteLength },
      exportedAt: (opts.now ?? Date.now)(),
      ...(source.localAgents === undefined ? {} : { localAgents: [...source.localAgents].sort() }),
    };
    const headerLine = JSON.stringify(header);
    const why = headerProblem(JSON.parse(headerLine) as Record<string, unknown>, maxComponentBytes);
    if (why !== undefined)
      throw new ReplayError('replay.invalid-argument', `the deployment of ${header.agent} cannot be exported: its ${why}`, {
        context: { file: target },
      });
    await out.line(headerLine, () => 'the header (the deployment and the directory)');
    const bytes = Buffer.from(component.buffer, component.byteOffset, component.byteLength);
    for (let at = 0; at < bytes.length; at += COMPONENT_CHUNK_BYTES)
      await out.line(
        `{"c":"${bytes.toString('base64', at, Math.min(at + COMPONENT_CHUNK_BYTES, bytes.length))}"}`,
        () => 'a component chunk',
      );
    let events = 0;
    for await (const event of source.events) {
      try {
        checkRecordedEvent(event);
      } catch (cause) {
        if (!(cause instanceof ShapeProblem)) throw cause;
        throw new ReplayError('replay.invalid-argument', `the event at ${String(event?.position)} cannot be exported: ${cause.message}`, {
          context: { file: target, position: event?.position },
          hint: 'the history holds an event no replay export can carry: report it, with the log segment it comes from',
        });
      }
      await out.line(JSON.stringify({ e: event }), () => `the event at ${event.position}`);
      events++;
      opts.onProgress?.({ events, bytes: out.bytes });
    }
    await out.end(events);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await publish(temp, target, overwrite);
    await syncDirectory(path.dirname(target));
    return { file: target, events, bytes: out.bytes, componentBytes: component.byteLength };
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}

/** Lines out to a file in batches, hashed as they go, up to the end line. */
class LineWriter {
  bytes = 0;
  private readonly hash: Hash = createHash('sha256');
  private pending: string[] = [];
  private pendingBytes = 0;

  constructor(
    private readonly handle: FileHandle,
    private readonly maxLineBytes: number,
  ) {}

  /** One line, hashed. */
  async line(text: string, what: () => string): Promise<void> {
    await this.add(text, what);
    this.hash.update(text, 'utf8').update(NEWLINE);
  }

  /** The end line (the count, the hash of every line before it), then everything out to the file. */
  async end(events: number): Promise<void> {
    const end: ReplayExportEnd = { events, sha256: this.hash.digest('hex') };
    await this.add(JSON.stringify({ end }), () => 'the end line');
    await this.flush();
  }

  private async add(text: string, what: () => string): Promise<void> {
    const n = Buffer.byteLength(text, 'utf8');
    if (n > this.maxLineBytes)
      throw new ReplayError(
        'replay.export-too-large',
        `${what()} takes ${n} bytes, more than an export's line carries (${this.maxLineBytes})`,
        {
          context: { bytes: n, maxLineBytes: this.maxLineBytes },
          hint: 'a handling that large (its sends, its state writes) cannot be exported; replay it beside the node with --data-dir',
        },
      );
    this.pending.push(text, '\n');
    this.pendingBytes += n + 1;
    this.bytes += n + 1;
    if (this.pendingBytes >= WRITE_BATCH_BYTES) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const data = Buffer.from(this.pending.join(''), 'utf8');
    this.pending = [];
    this.pendingBytes = 0;
    for (let at = 0; at < data.length; ) at += (await this.handle.write(data, at, data.length - at)).bytesWritten;
  }
}

async function refuseExisting(target: string, overwrite: boolean): Promise<void> {
  const found = await stat(target).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (found === undefined || (overwrite && found.isFile())) return;
  throw exists(target, found.isFile() ? 'a file' : 'something other than a file');
}

function exists(target: string, what: string, cause?: unknown): ReplayError {
  return new ReplayError('replay.export-exists', `${target} exists already (${what}): not overwritten`, {
    context: { file: target },
    ...(cause === undefined ? {} : { cause }),
    hint: 'name another file, or remove that one first (caxton replay --export … --force replaces a file)',
  });
}

/**
 * Gives the synced temp file the real name. Without `overwrite`, a hard link (refused when the name
 * was taken meanwhile) then the temp's removal; where links are not supported, a rename after a check.
 */
async function publish(temp: string, target: string, overwrite: boolean): Promise<void> {
  if (overwrite) return rename(temp, target);
  try {
    await link(temp, target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw exists(target, 'created while the export was written', err);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS' && code !== 'EXDEV') throw err;
    await refuseExisting(target, false);
    return rename(temp, target);
  }
  await unlink(temp);
}

/** So the new name survives a crash (best effort: not every platform opens a directory). */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined);
  if (handle === undefined) return;
  try {
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on a directory; the data itself is synced.
  } finally {
    await handle.close();
  }
}

// ---- reading ----

/**
 * Opens the export at `file`: reads and checks its header and component now, and hands its events
 * on as they are read (`events`). Throws `replay.no-export`, `replay.export-format`,
 * `replay.export-truncated`, `replay.export-corrupt`.
 */
export async function openReplayExport(file: string, opts: OpenReplayExportOptions = {}): Promise<ReplayExport> {
  const source = path.resolve(file);
  const maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const maxComponentBytes = opts.maxComponentBytes ?? DEFAULT_MAX_COMPONENT_BYTES;
  const handle = await openFile(source);
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await handle.close();
  };
  try {
    const size = (await handle.stat()).size;
    await checkStart(source, handle, size);
    const lines = boundedLines(handle, {
      maxLineBytes,
      tooLong: (line) => exportCorrupt(source, line, `the line is longer than ${maxLineBytes} bytes, which no writer writes`),
    });
    const hash = createHash('sha256');
    const first = await lines.next();
    if (first.done) throw exportTruncated(source, 'it ends inside its header');
    const header = parseHeader(source, first.value, maxComponentBytes);
    hash.update(first.value).update(NEWLINE);
    const { component, lastLine } = await readComponent(source, lines, hash, header, size);
    return {
      file: source,
      header,
      servicesByType: new Map(Object.entries(header.servicesByType)),
      component,
      events: readEvents(source, lines, hash, lastLine, close, opts.onEnd),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

async function openFile(file: string): Promise<FileHandle> {
  const handle = await open(file, 'r').catch((cause: NodeJS.ErrnoException) => {
    if (cause.code !== 'ENOENT' && cause.code !== 'ENOTDIR') throw cause;
    throw new ReplayError('replay.no-export', `no export file at ${file}`, {
      context: { file },
      cause,
      hint: 'name a file written by caxton replay <agent> --export <file>',
    });
  });
  if ((await handle.stat()).isFile()) return handle;
  await handle.close();
  throw new ReplayError('replay.no-export', `${file} is not a file`, {
    context: { file },
    hint: 'name a file written by caxton replay --export',
  });
}

const HEADER_START = Buffer.from(`{"format":${JSON.stringify(EXPORT_FORMAT)}`, 'utf8');

/** Refuses a file that does not start as an export (a component, an audit export…) before any line of it is read. */
async function checkStart(file: string, handle: FileHandle, size: number): Promise<void> {
  const head = Buffer.alloc(Math.min(size, HEADER_START.length));
  const { bytesRead } = await handle.read(head, 0, head.length, 0);
  if (bytesRead === 0) throw exportTruncated(file, 'it is empty');
  if (!head.subarray(0, bytesRead).equals(HEADER_START.subarray(0, bytesRead)))
    throw new ReplayError('replay.export-format', `${file} is not a replay export: it does not start with {"format":"${EXPORT_FORMAT}"`, {
      context: { file },
      hint: 'pass a file written by caxton replay --export (an audit export is read by caxton audit verify --input)',
    });
  if (bytesRead < HEADER_START.length) throw exportTruncated(file, 'it ends inside its header');
}

const COMPONENT_LINE_START = Buffer.from('{"c":"', 'utf8');
const COMPONENT_LINE_END = Buffer.from('"}', 'utf8');
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

async function readComponent(
  file: string,
  lines: AsyncGenerator<Buffer, LinesEnd>,
  hash: Hash,
  header: ReplayExportHeader,
  fileSize: number,
): Promise<{ component: Uint8Array; lastLine: number }> {
  const size = header.component.bytes;
  // Its base64 must fit in the file before its buffer is taken: a cut file, or a header that lies, fails here.
  if (Math.ceil(size / 3) * 4 > fileSize)
    throw exportTruncated(file, `its header announces a component of ${size} bytes, and the whole file is ${fileSize} bytes`);
  const component = Buffer.allocUnsafe(size);
  let filled = 0;
  let line = 1;
  while (filled < size) {
    line++;
    const step = await lines.next();
    if (step.done) throw exportTruncated(file, `it ends inside the component (${filled} of ${size} bytes read)`);
    const bytes = step.value;
    const text =
      bytes.length > COMPONENT_LINE_START.length + COMPONENT_LINE_END.length &&
      bytes.subarray(0, COMPONENT_LINE_START.length).equals(COMPONENT_LINE_START) &&
      bytes.subarray(bytes.length - COMPONENT_LINE_END.length).equals(COMPONENT_LINE_END)
        ? bytes.toString('latin1', COMPONENT_LINE_START.length, bytes.length - COMPONENT_LINE_END.length)
        : undefined;
    if (text === undefined || text.length % 4 !== 0 || !BASE64.test(text))
      throw exportCorrupt(file, line, `a line of the component (${filled} of ${size} bytes read) is not {"c":"<base64>"}`);
    const chunk = Buffer.from(text, 'base64');
    if (filled + chunk.length > size) throw exportCorrupt(file, line, `the component runs past the ${size} bytes its header announces`);
    chunk.copy(component, filled);
    filled += chunk.length;
    hash.update(bytes).update(NEWLINE);
  }
  if (createHash('sha256').update(component).digest('hex') !== header.component.digest)
    throw exportCorrupt(file, line, "the component's sha256 is not the one its header gives");
  return { component, lastLine: line };
}

async function* readEvents(
  file: string,
  lines: AsyncGenerator<Buffer, LinesEnd>,
  hash: Hash,
  linesBefore: number,
  close: () => Promise<void>,
  onEnd: ((end: ReplayExportEnd) => void) | undefined,
): AsyncGenerator<RecordedEvent, ReplayExportEnd> {
  let events = 0;
  let line = linesBefore;
  try {
    for (;;) {
      const step = await lines.next();
      line++;
      if (step.done)
        throw exportTruncated(
          file,
          step.value.partial > 0
            ? `it ends inside line ${line}, after ${events} events, without its end line`
            : `it ends after line ${line - 1}, after ${events} events, without its end line`,
        );
      const bytes = step.value;
      let value: unknown;
      try {
        value = parseJson(bytes.toString('utf8'));
      } catch (cause) {
        throw exportCorrupt(file, line, 'the line is not JSON', cause);
      }
      const keys = isPlainRecord(value) ? Object.keys(value) : [];
      if (keys.length === 1 && keys[0] === 'e') {
        let event: RecordedEvent;
        try {
          event = recordedEventOf((value as { e: unknown }).e);
        } catch (cause) {
          if (!(cause instanceof ShapeProblem)) throw cause;
          throw exportCorrupt(file, line, cause.message);
        }
        hash.update(bytes).update(NEWLINE);
        events++;
        yield event;
        continue;
      }
      if (keys.length !== 1 || keys[0] !== 'end')
        throw exportCorrupt(file, line, 'the line is neither an event ({"e":…}) nor the end ({"end":…})');
      const end = parseEnd((value as { end: unknown }).end);
      if (typeof end === 'string') throw exportCorrupt(file, line, end);
      if (end.events !== events) throw exportCorrupt(file, line, `the end line counts ${end.events} events, the file holds ${events}`);
      if (end.sha256 !== hash.digest('hex')) throw exportCorrupt(file, line, "the file's sha256 is not the one its end line gives");
      const after = await lines.next();
      if (!after.done || after.value.partial > 0) throw exportCorrupt(file, line + 1, 'there is more after the end line');
      onEnd?.(end);
      return end;
    }
  } finally {
    await close();
  }
}
