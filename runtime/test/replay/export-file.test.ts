/**
 * Replay export files (issue 57): a real agent's history, read out of a real embedded log, goes
 * through an export and comes back the same; a file cut short anywhere is `replay.export-truncated`,
 * damaged anywhere `replay.export-corrupt`, another format `replay.export-format` — never another
 * error, never a success; the reader never holds a line past its bound; the writer leaves nothing
 * behind when it fails and never replaces a file it was not asked to.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { isCaxtonError, timerDoneStateKey, timerSetStateKey, type AclMessage, type Delivery } from '@caxton/core';
import { derivedMessageId } from '../../src/bus/ids.js';
import { deliveriesOf, deliveryTo as plainDeliveryTo, msg as plainMsg, PLATFORM, T0 } from './recorded-traffic.js';

import { boundedLines } from '../../src/replay/bounded-lines.js';
import { readEmbeddedHistory } from '../../src/replay/embedded-history.js';
import { ReplayError, type ReplayErrorCode } from '../../src/replay/errors.js';
import { openReplayExport, writeReplayExport, type ReplayExportSource } from '../../src/replay/export-file.js';
import { COMPONENT_CHUNK_BYTES, type ReplayExportEnd } from '../../src/replay/export-format.js';
import type { RecordedDeployment, RecordedEvent, RecordedHandling } from '../../src/replay/recorded.js';
import { openLog, tempDir } from '../log/embedded/helpers.js';

/** Messages that carry parameters with characters JSON escapes: the export must keep them whole. */
const NOTE = { userParams: { 'X-note': 'ünïcödé \u2028 "quoted" \\ back' } };
const msg = (from: string, to: readonly string[], content: string): AclMessage => plainMsg(from, to, content, NOTE);
const deliveryTo = (receiver: string, messageId: string, content: string): Delivery =>
  plainDeliveryTo(receiver, messageId, content, 'bob', NOTE);

/** A real embedded log with alice's handlings (sends, state, timers with and without a due time, a dead letter, a large commit), and her history read back. */
async function aliceHistory(t: TestContext): Promise<RecordedEvent[]> {
  const dir = await tempDir(t, 'caxton-replay-log-');
  const { log } = await openLog(dir, { maxRecordBytes: 1024 });
  for (let i = 0; i < 20; i++) {
    const d = deliveryTo('alice', `n-${i}`, `ping ${i}`);
    await log.append([d]);
    await log.append(deliveriesOf(derivedMessageId(d.id, 0), msg('alice', ['bob', 'carol'], `pong ${i}`)));
    await log.append(deliveriesOf(derivedMessageId(d.id, 2), msg('alice', ['bob'], `pong ${i} again`)));
    await log.complete([{ id: d.id, receiver: 'alice', state: [{ key: 'count', value: String(i + 1) }] }]);
  }
  const d = deliveryTo('alice', 'n-timer', 'set a timer');
  const timerId = derivedMessageId(`${d.id}#timer`, 0);
  await log.append([d]);
  await log.complete([
    { id: d.id, receiver: 'alice', state: [{ key: timerSetStateKey(timerId), value: JSON.stringify({ token: 'tick', delayMs: 5 }) }] },
  ]);
  await log.commitState('alice', [
    { key: timerDoneStateKey(timerId), value: String(T0 + 99) },
    { key: timerSetStateKey(timerId), value: null },
  ]);
  await log.commitState('alice', [{ key: timerDoneStateKey('t-old'), value: '1' }]); // no due time recorded
  const poison = deliveryTo('alice', 'n-poison', 'poison');
  await log.append([poison]);
  await log.deadLetter({ delivery: poison, reason: 'crashed 3 times', attempts: 3, at: T0 + 9 });
  await log.clearState('alice');
  const big = deliveryTo('alice', 'n-big', 'big one');
  await log.append([big]);
  await log.complete([
    { id: big.id, receiver: 'alice', state: Array.from({ length: 8 }, (_, i) => ({ key: `big-${i}`, value: 'v'.repeat(300) })) },
  ]);
  await log.close();
  const events: RecordedEvent[] = [];
  for await (const e of readEmbeddedHistory(dir, 'alice')) events.push(e);
  assert.equal(events.length, 26);
  assert.ok(events.some((e) => e.kind === 'handled' && e.work.kind === 'timer' && e.work.dueAt === undefined));
  return events;
}

/** With what its fetch may call and the topics it may subscribe to: kept as they are. */
const DEPLOYMENT: RecordedDeployment = {
  name: 'alice',
  version: 3,
  artifactDigest: 'a'.repeat(64),
  createdAt: T0 - 1000,
  limits: { fuelPerMessage: 1_000_000 },
  config: { greeting: 'hi' },
  http: {
    allow: [{ host: 'api.example.com', methods: ['GET'] }],
    timeoutMs: 5000,
    maxResponseBytes: 65536,
    maxRequestBytes: 4096,
    maxInFlight: 2,
    maxCallsPerHandling: 1,
    maxRedirects: 0,
  },
  topics: ['orders.*'],
};

async function* each<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

function sourceOf(events: readonly RecordedEvent[], component: Uint8Array): ReplayExportSource {
  return {
    deployment: DEPLOYMENT,
    identity: `alice@${PLATFORM}`,
    servicesByType: new Map([['delivery', [{ name: 'c1@test' }, { name: 'c2@test' }]]]),
    localAgents: new Set(['bob', 'alice']),
    component,
    events: each(events),
  };
}

interface Read {
  events: RecordedEvent[];
  end?: ReplayExportEnd;
  error?: unknown;
}

/** Opens `file` and reads every event; the error, if any, is returned (with the events before it). */
async function readAll(file: string, opts: Parameters<typeof openReplayExport>[1] = {}): Promise<Read> {
  const events: RecordedEvent[] = [];
  try {
    const opened = await openReplayExport(file, opts);
    for (;;) {
      const step = await opened.events.next();
      if (step.done) return { events, end: step.value };
      events.push(step.value);
    }
  } catch (error) {
    return { events, error };
  }
}

function codeOf(r: Read): ReplayErrorCode | 'none' | 'other' {
  if (r.error === undefined) return 'none';
  return r.error instanceof ReplayError ? r.error.code : 'other';
}

/** An export's lines (without the end line) and a correct end line for them. */
function withEnd(lines: readonly string[], events: number): string {
  const body = lines.map((l) => `${l}\n`).join('');
  return `${body}${JSON.stringify({ end: { events, sha256: createHash('sha256').update(body).digest('hex') } })}\n`;
}

async function exported(t: TestContext): Promise<{ dir: string; file: string; bytes: Buffer; events: RecordedEvent[]; component: Buffer }> {
  const events = await aliceHistory(t);
  const dir = await tempDir(t, 'caxton-replay-export-');
  const file = path.join(dir, 'alice.caxton-replay');
  const component = randomBytes(2 * COMPONENT_CHUNK_BYTES + 1234);
  await writeReplayExport(file, sourceOf(events, component));
  return { dir, file, bytes: await fs.readFile(file), events, component };
}

describe('replay export files', () => {
  test("a real log's history goes through an export and comes back the same", async (t) => {
    const events = await aliceHistory(t);
    const dir = await tempDir(t, 'caxton-replay-export-');
    const file = path.join(dir, 'alice.caxton-replay');
    const component = randomBytes(2 * COMPONENT_CHUNK_BYTES + 1234);
    const progress: number[] = [];
    const written = await writeReplayExport(file, sourceOf(events, component), {
      now: () => T0 + 5,
      onProgress: (p) => progress.push(p.events),
    });
    const size = (await fs.stat(file)).size;
    assert.deepEqual(written, { file, events: events.length, bytes: size, componentBytes: component.length });
    assert.deepEqual(
      progress,
      events.map((_, i) => i + 1),
    );
    assert.deepEqual(await fs.readdir(dir), ['alice.caxton-replay'], 'no temporary file left');
    assert.equal((await fs.stat(file)).mode & 0o777, 0o600, "readable by its owner only: it holds the agent's traffic");

    // The lines: the header, the component in chunks, an event a line, the end.
    const text = await fs.readFile(file, 'utf8');
    assert.ok(text.endsWith('\n'));
    const lines = text.slice(0, -1).split('\n');
    assert.equal(lines.length, 1 + 3 + events.length + 1);
    assert.ok(lines.every((l) => Buffer.byteLength(l) <= 16 * 1024 * 1024));
    assert.ok(lines.slice(1, 4).every((l) => l.startsWith('{"c":"') && l.length <= 64 * 1024 + 8));
    const header = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.deepEqual(header, {
      format: 'caxton-replay-export',
      version: 2,
      agent: 'alice',
      identity: 'alice@test',
      deployment: DEPLOYMENT,
      servicesByType: { delivery: [{ name: 'c1@test' }, { name: 'c2@test' }] },
      component: { digest: createHash('sha256').update(component).digest('hex'), bytes: component.length },
      exportedAt: T0 + 5,
      localAgents: ['alice', 'bob'],
    });
    const end = {
      events: events.length,
      sha256: createHash('sha256')
        .update(text.slice(0, text.lastIndexOf('{"end"')))
        .digest('hex'),
    };
    assert.deepEqual(JSON.parse(lines[lines.length - 1]!), { end });

    let ended: ReplayExportEnd | undefined;
    const opened = await openReplayExport(file, { onEnd: (e) => (ended = e) });
    assert.deepEqual(opened.header, header);
    assert.deepEqual(opened.servicesByType, new Map([['delivery', [{ name: 'c1@test' }, { name: 'c2@test' }]]]));
    assert.deepEqual(Buffer.from(opened.component), component);
    const back: RecordedEvent[] = [];
    for (;;) {
      const step = await opened.events.next();
      if (step.done) {
        assert.deepEqual(step.value, end);
        break;
      }
      back.push(step.value);
    }
    assert.deepEqual(back, events);
    assert.deepEqual(ended, end);
    await opened.close(); // closed already: a no-op
  });

  test('a file cut short anywhere is export-truncated (or corrupt), never another error, never a success', async (t) => {
    const { dir, bytes, events } = await exported(t);
    const lineEnds: number[] = [];
    for (let at = bytes.indexOf(0x0a); at >= 0; at = bytes.indexOf(0x0a, at + 1)) lineEnds.push(at + 1);
    const headerEnd = lineEnds[0]!;
    const componentEnd = lineEnds[3]!;
    const trailerStart = lineEnds[lineEnds.length - 2]!;
    const named: Record<string, number> = {
      empty: 0,
      'inside the format name': 12,
      'mid header': Math.floor(headerEnd / 2),
      'after the header': headerEnd,
      'mid component': headerEnd + COMPONENT_CHUNK_BYTES,
      'between component lines': lineEnds[1]!,
      'after the component': componentEnd,
      'mid events': Math.floor((componentEnd + trailerStart) / 2),
      'between events': lineEnds[10]!,
      'without its end line': trailerStart,
      'mid end line': trailerStart + 20,
      'its last newline': bytes.length - 1,
    };
    const cut = path.join(dir, 'cut.caxton-replay');
    for (const [where, offset] of Object.entries(named)) {
      await fs.writeFile(cut, bytes.subarray(0, offset));
      const r = await readAll(cut);
      assert.equal(codeOf(r), 'replay.export-truncated', `${where} (${offset}): ${String(r.error)}`);
      assert.deepEqual(r.events, events.slice(0, r.events.length), 'what was handed on is the start of the history');
      assert.match((r.error as Error).message, /is truncated: /);
    }
    // Every line boundary, one byte either side, and a stride through the file.
    const offsets = new Set<number>();
    for (const e of lineEnds) for (const d of [-1, 0, 1]) if (e + d < bytes.length) offsets.add(e + d);
    for (let at = 0; at < bytes.length; at += 997) offsets.add(at);
    for (const offset of offsets) {
      await fs.writeFile(cut, bytes.subarray(0, offset));
      const code = codeOf(await readAll(cut));
      assert.ok(code === 'replay.export-truncated' || code === 'replay.export-corrupt', `cut at ${offset}: ${code}`);
    }
  });

  test('a flipped byte is export-corrupt (saying which line), wherever it is past the format name', async (t) => {
    const { dir, bytes, events } = await exported(t);
    const damaged = path.join(dir, 'damaged.caxton-replay');
    const flip = async (at: number, to?: number): Promise<Read> => {
      const copy = Buffer.from(bytes);
      copy[at] = to ?? copy[at]! ^ 0x01;
      await fs.writeFile(damaged, copy);
      return readAll(damaged);
    };
    const text = bytes.toString('latin1');
    const lineOf = (at: number): number => text.slice(0, at).split('\n').length;
    // A digit of the deployment's createdAt: still a header, caught by the end line's checksum.
    const createdAt = text.indexOf(String(DEPLOYMENT.createdAt));
    let r = await flip(createdAt + 5);
    assert.equal(codeOf(r), 'replay.export-corrupt', String(r.error));
    assert.equal(r.events.length, events.length, 'found at the end');
    assert.match((r.error as Error).message, new RegExp(`corrupt at line ${lineOf(text.length - 2)}: the file's sha256`));
    // A base64 character of the component replaced by another: its digest.
    const inComponent = text.indexOf('{"c":"') + 100;
    r = await flip(inComponent, text.charCodeAt(inComponent) === 0x41 ? 0x42 : 0x41);
    assert.equal(codeOf(r), 'replay.export-corrupt');
    assert.match((r.error as Error).message, /corrupt at line 4: the component's sha256/);
    // ... and by a byte base64 has no place for: that line.
    r = await flip(inComponent, 0x21);
    assert.match((r.error as Error).message, /corrupt at line 2: a line of the component/);
    // A letter of an event's content: the checksum, at the end.
    r = await flip(text.indexOf('pong 7 again') + 1);
    assert.equal(codeOf(r), 'replay.export-corrupt');
    assert.equal(r.events.length, events.length);
    // A quote of an event: that line is no longer JSON.
    const ninth = text.indexOf('{"e":', text.indexOf('pong 7 again'));
    r = await flip(ninth + 1);
    assert.equal(codeOf(r), 'replay.export-corrupt');
    assert.match((r.error as Error).message, new RegExp(`corrupt at line ${lineOf(ninth)}: the line is not JSON`));
    // A newline between two events: two lines become one.
    r = await flip(ninth - 1, 0x20);
    assert.equal(codeOf(r), 'replay.export-corrupt');
    // The end line's count and checksum.
    r = await flip(text.lastIndexOf('"events":') + 9);
    assert.match((r.error as Error).message, /the end line counts/);
    const hexAt = text.lastIndexOf('"sha256":"') + 12;
    r = await flip(hexAt, text.charCodeAt(hexAt) === 0x30 ? 0x31 : 0x30);
    assert.match((r.error as Error).message, /the file's sha256/);

    // Everywhere, in a stride: an export-* error, never a success nor another error.
    const version = text.indexOf('"version":2') + 10;
    for (let at = 0; at < bytes.length; at += 331) {
      const code = codeOf(await flip(at));
      if (at < 32 || at === version)
        assert.ok(code === 'replay.export-format' || code === 'replay.export-corrupt', `flip at ${at}: ${code}`);
      else
        assert.ok(
          code === 'replay.export-corrupt' || (at === bytes.length - 1 && code === 'replay.export-truncated'),
          `flip at ${at}: ${code}`,
        );
    }
  });

  test('another format or version is export-format; a missing file no-export', async (t) => {
    const { dir, bytes } = await exported(t);
    const text = bytes.toString('utf8');
    const other = path.join(dir, 'other');
    const cases: [string, string | Buffer][] = [
      ['a newer version', text.replace('"version":2', '"version":3')],
      ['an older version', text.replace('"version":2', '"version":0')],
      ['an audit export', '{"format":"caxton-audit-export","version":1,"publicKey":"k","anchor":null}\n'],
      ['a component', Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00])],
      ['a text', 'hello\n'],
    ];
    for (const [what, content] of cases) {
      await fs.writeFile(other, content);
      const r = await readAll(other);
      assert.equal(codeOf(r), 'replay.export-format', `${what}: ${String(r.error)}`);
      assert.equal(r.events.length, 0);
    }
    // A header that starts as one and does not hold together is corrupt, not another format.
    await fs.writeFile(other, text.replace('"topics":["orders.*"]', '"topics":["orders *"]'));
    assert.match(String((await readAll(other)).error), /corrupt at line 1: the header's deployment topics are not patterns/);
    await fs.writeFile(other, text.replace('"version":2', '"version":3'));
    assert.match(String((await readAll(other)).error), /format version 3, this build reads versions 1 to 2/);
    // A version 1 file (before handlings carried clockAt) is read as it is: its end line's digest
    // made again over the changed header, as a version 1 writer wrote it.
    const body = text.slice(0, text.lastIndexOf('{"end":')).replace('"version":2', '"version":1');
    const events = body.split('\n').filter((l) => l.startsWith('{"e":')).length;
    const v1 = `${body}${JSON.stringify({ end: { events, sha256: createHash('sha256').update(body).digest('hex') } })}\n`;
    await fs.writeFile(other, v1);
    const read = await readAll(other);
    assert.equal(read.error, undefined, String(read.error));
    assert.equal(read.events.length, events);
    const missing = await readAll(path.join(dir, 'nope'));
    assert.equal(codeOf(missing), 'replay.no-export');
    assert.equal(codeOf(await readAll(dir)), 'replay.no-export', 'a directory');
  });

  test('a malformed event is export-corrupt where it is read, naming what is wrong', async (t) => {
    const { dir, bytes, events } = await exported(t);
    const lines = bytes.toString('utf8').slice(0, -1).split('\n');
    const head = lines.slice(0, 4);
    const good = lines.slice(4, 6);
    const handled = events.find((e): e is RecordedHandling => e.kind === 'handled' && e.sends.length > 0)!;
    const bad: [string, unknown, RegExp][] = [
      ['an unknown kind', { kind: 'shouted', position: '1.2' }, /the event kind "shouted" is not state, handled or dead-lettered/],
      ['no sends', { ...handled, sends: undefined }, /the handling sends is not a list/],
      ['a performative', { ...handled, sends: [{ ...handled.sends[0], performative: 'shout' }] }, /sends\[0\] performative/],
      [
        'a receiver',
        { ...handled, sends: [{ performative: 'inform', receivers: [{ name: 7 }] }] },
        /sends\[0\] receivers\[0\] name is not a string/,
      ],
      ['a send index short', { ...handled, sendIndexes: [] }, /not one send index per send/],
      [
        'a state value',
        { kind: 'state', reset: false, writes: [{ key: 'k', value: 1 }], position: '1.2' },
        /writes\[0\] value is not a string/,
      ],
      ['an extra field', { kind: 'state', reset: false, writes: [], position: '1.2', extra: 1 }, /a field "extra" no writer writes/],
      [
        'a delivery time',
        { kind: 'dead-lettered', delivery: { id: 'a', messageId: 'm', receiver: 'r', acceptedAt: 'now' }, position: '1.2' },
        /acceptedAt is not a time/,
      ],
      [
        'a deep resolver chain',
        { ...handled, sends: [{ performative: 'inform', receivers: [nested(40)] }] },
        /resolvers nest deeper than 32/,
      ],
      [
        'a timer due time',
        {
          kind: 'handled',
          work: { kind: 'timer', timerId: 't', token: 'x', dueAt: 'soon' },
          state: [],
          sends: [],
          sendIndexes: [],
          position: '1.2',
        },
        /dueAt is not a time/,
      ],
      ['not an event line', { whatever: true }, /neither an event/],
    ];
    const file = path.join(dir, 'bad.caxton-replay');
    for (const [what, event, message] of bad) {
      const line = what === 'not an event line' ? JSON.stringify(event) : JSON.stringify({ e: event });
      await fs.writeFile(file, withEnd([...head, ...good, line], 3));
      const r = await readAll(file);
      assert.equal(codeOf(r), 'replay.export-corrupt', `${what}: ${String(r.error)}`);
      assert.match((r.error as Error).message, /corrupt at line 7: /, what);
      assert.match((r.error as Error).message, message, what);
      assert.equal(r.events.length, 2, 'the events before were handed on');
    }
    // The same lines, well formed, with a correct end: read whole.
    await fs.writeFile(file, withEnd([...head, ...good], 2));
    assert.equal(codeOf(await readAll(file)), 'none');
    // Anything after the end line.
    await fs.writeFile(file, `${withEnd([...head, ...good], 2)}{"e":{}}\n`);
    assert.match(String((await readAll(file)).error), /corrupt at line 8: there is more after the end line/);
  });

  test('an over-long line is refused before it is read whole', async (t) => {
    const dir = await tempDir(t, 'caxton-replay-export-');
    const file = path.join(dir, 'long');
    const header = JSON.stringify({
      format: 'caxton-replay-export',
      version: 1,
      agent: 'a',
      identity: 'a@x',
      deployment: { name: 'a', version: 1, artifactDigest: 'd', createdAt: 1 },
      servicesByType: {},
      component: { digest: createHash('sha256').update('x').digest('hex'), bytes: 1 },
      exportedAt: 1,
    });
    // 24 MiB without a newline after the header and the component.
    const long = Buffer.alloc(24 * 1024 * 1024, 0x61);
    await fs.writeFile(file, Buffer.concat([Buffer.from(`${header}\n{"c":"eA=="}\n{"e":"`), long, Buffer.from('"}\n')]));
    const r = await readAll(file);
    assert.equal(codeOf(r), 'replay.export-corrupt');
    assert.match(String(r.error), /corrupt at line 3: the line is longer than 16777216 bytes/);

    // The line reader itself: it read no more than the bound and one chunk.
    const handle = await fs.open(file, 'r');
    t.after(() => handle.close());
    let read = 0;
    const counting = new Proxy(handle, {
      get(target, prop, receiver) {
        if (prop !== 'read') return Reflect.get(target, prop, receiver) as unknown;
        return async (buf: Buffer, offset: number, length: number, position: number) => {
          const got = await target.read(buf, offset, length, position);
          read += got.bytesRead;
          return got;
        };
      },
    });
    const lines = boundedLines(counting, {
      maxLineBytes: 1024 * 1024,
      chunkBytes: 64 * 1024,
      tooLong: (line) => new Error(`line ${line} too long`),
    });
    assert.equal((await lines.next()).value?.toString(), header);
    assert.equal((await lines.next()).value?.toString(), '{"c":"eA=="}');
    await assert.rejects(lines.next(), /line 3 too long/);
    assert.ok(read <= 1024 * 1024 + 64 * 1024 + header.length + 20, `read ${read} bytes`);
  });

  test('the writer refuses an existing file unless asked, and leaves nothing behind when it fails', async (t) => {
    const events = await aliceHistory(t);
    const dir = await tempDir(t, 'caxton-replay-export-');
    const file = path.join(dir, 'alice.caxton-replay');
    const component = randomBytes(1000);
    await fs.writeFile(file, 'precious');
    await assert.rejects(writeReplayExport(file, sourceOf(events, component)), (err: unknown) => {
      assert.ok(isCaxtonError(err));
      assert.equal(err.code, 'replay.export-exists');
      assert.equal(err.kind, 'already-exists');
      assert.match(err.hint ?? '', /--force/);
      return true;
    });
    assert.equal(await fs.readFile(file, 'utf8'), 'precious');
    await fs.mkdir(path.join(dir, 'sub'));
    await assert.rejects(writeReplayExport(path.join(dir, 'sub'), sourceOf(events, component), { overwrite: true }), {
      code: 'replay.export-exists',
    });
    const written = await writeReplayExport(file, sourceOf(events, component), { overwrite: true });
    assert.equal(written.events, events.length);
    assert.equal((await readAll(file)).events.length, events.length);
    assert.deepEqual((await fs.readdir(dir)).sort(), ['alice.caxton-replay', 'sub']);

    // Failures part way: the history fails, an event cannot be carried, a line is too long, no directory.
    const target = path.join(dir, 'failed.caxton-replay');
    async function* failing(): AsyncGenerator<RecordedEvent> {
      yield events[0]!;
      throw new Error('the log went away');
    }
    await assert.rejects(writeReplayExport(target, { ...sourceOf(events, component), events: failing() }), /the log went away/);
    const nan = { ...events[0]!, position: '9.9' } as RecordedEvent & { kind: 'handled' };
    const badEvent = {
      ...nan,
      work: { kind: 'message' as const, delivery: { ...(nan.work as { delivery: Delivery }).delivery, acceptedAt: Number.NaN } },
    };
    await assert.rejects(writeReplayExport(target, sourceOf([events[0]!, badEvent], component)), (err: unknown) => {
      assert.ok(err instanceof ReplayError);
      assert.equal(err.code, 'replay.invalid-argument');
      assert.match(err.message, /the event at 9\.9 cannot be exported: the handling delivery acceptedAt is not a time/);
      return true;
    });
    await assert.rejects(writeReplayExport(target, sourceOf(events, component), { maxLineBytes: 1500 }), {
      code: 'replay.export-too-large',
    });
    await assert.rejects(writeReplayExport(target, sourceOf(events, new Uint8Array(0))), { code: 'replay.invalid-argument' });
    await assert.rejects(writeReplayExport(target, sourceOf(events, component), { maxComponentBytes: 999 }), {
      code: 'replay.export-too-large',
    });
    await assert.rejects(writeReplayExport(path.join(dir, 'no', 'such', 'f'), sourceOf(events, component)), {
      code: 'replay.invalid-argument',
    });
    assert.deepEqual((await fs.readdir(dir)).sort(), ['alice.caxton-replay', 'sub'], 'no export, no temporary file');
  });
});

function nested(depth: number): Record<string, unknown> {
  let id: Record<string, unknown> = { name: 'leaf' };
  for (let i = 0; i < depth; i++) id = { name: `r${i}`, resolvers: [id] };
  return id;
}
