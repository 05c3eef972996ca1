/**
 * `caxton replay` (issue 57) beside a real `caxton serve`: a durable counter, a timer counter and
 * the contract net's broker handle real traffic; the replay reads the node's data directory while
 * it runs and runs each agent's recorded version on every recorded handling with nothing differing
 * (sends, state writes, timers), changes nothing in the directory, and — with another version
 * (`--with`, the in-memory counter) — shows exactly what that version does otherwise: the same
 * replies, none of the state writes. An export of the counter's history (`--export`) replays from
 * the file alone (`--input`, no data directory) with the same result; a truncated copy fails typed.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { caxton, show, spawnCaxton } from './support/cli.js';
import { builtExample } from './support/paths.js';
import { stopStragglers, type Finished } from './support/processes.js';
import { startServe, type Serve } from './support/serve.js';
import { until } from './support/wait.js';

interface Summary {
  type: 'summary';
  differedReadingClock: number;
  recorded: number;
  replayed: number;
  diverged: number;
  crashed: number;
}
interface Handling {
  type: 'handling';
  clockReads: number;
  outcome: string;
  work: { kind: string };
  differences: { what: string; recorded: unknown; replayed: unknown }[];
}

const COUNTED = 60;
const TICKS = 20;

/** Every file under `dir` with its size and modification time. */
function listing(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const s = statSync(file);
    out.push(`${path.relative(dir, file)} ${s.size} ${s.mtimeMs}`);
  }
  return out.sort();
}

async function replay(
  serve: Serve,
  args: string[],
): Promise<{ code: number | null; handlings: Handling[]; summary: Summary; text: string }> {
  return replayOutput(await caxton(['replay', ...args, '--data-dir', serve.dataDir, '--json']));
}

/** A `caxton replay --json` run: its exit, its handlings and its summary (which it must have printed). */
function replayOutput(r: Finished): { code: number | null; handlings: Handling[]; summary: Summary; text: string } {
  const lines = r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Handling | Summary);
  const summary = lines.find((l): l is Summary => l.type === 'summary');
  assert.ok(summary, show(r));
  return { code: r.code, handlings: lines.filter((l): l is Handling => l.type === 'handling'), summary, text: show(r) };
}

describe('caxton replay beside a real caxton serve', () => {
  let serve: Serve;

  before(async () => {
    serve = await startServe();
    const client = await serve.client();
    await client.deploy({ name: 'counter' }, readFileSync(builtExample('as-state-counter', 'as-state-counter.wasm')));
    await client.deploy({ name: 'ticker' }, readFileSync(builtExample('as-timer-counter', 'as-timer-counter.wasm')));
    const contractor = readFileSync(builtExample('contract-net/as-contractor', 'cnet-contractor.wasm'));
    for (const [name, price] of Object.entries({ c1: '40', c2: '25' })) await client.deploy({ name, config: { price } }, contractor);
    await client.deploy(
      { name: 'broker', config: { 'service-type': 'delivery', 'deadline-ms': '300' } },
      readFileSync(builtExample('contract-net/js-initiator', 'cnet-initiator.wasm')),
    );
    for (let i = 0; i < COUNTED; i++)
      await client.send({
        structured: { performative: 'request', receivers: [{ name: 'counter' }], content: '+1', conversationId: `count-${i}` },
      });
    for (let i = 0; i < TICKS; i++)
      await client.send({
        structured: { performative: 'request', receivers: [{ name: 'ticker' }], content: 'tick 5', conversationId: `tick-${i}` },
      });
    for (let i = 0; i < 5; i++)
      await client.send({
        structured: { performative: 'request', receivers: [{ name: 'broker' }], content: `parcel ${i}`, conversationId: `parcel-${i}` },
      });
    // Everything handled and committed: the counter counted all, every timer fired, every contract net ended.
    await until(
      async () => {
        const agents = await client.listAgents();
        const handled = (n: string): number => agents.find((a) => a.name === n)?.messagesHandled ?? 0;
        const count = await client.getState('counter', 'count').catch(() => undefined);
        const ticks = await client.getState('ticker', 'count').catch(() => undefined);
        return count?.value === String(COUNTED) && ticks?.value === String(TICKS) && handled('broker') >= 5 * 4;
      },
      'the counter, the ticker and the broker done',
      120_000,
      200,
    );
  });
  after(async () => {
    await stopStragglers();
    if (serve?.proc.running) await serve.stop();
  });

  it('replays the recorded versions with nothing differing, and leaves the data directory as it was', async () => {
    const before = listing(serve.dataDir);
    const counter = await replay(serve, ['counter']);
    assert.equal(counter.code, 0, counter.text);
    assert.equal(counter.summary.replayed, COUNTED, counter.text);
    assert.equal(counter.summary.diverged, 0, counter.text);

    const ticker = await replay(serve, ['ticker']);
    assert.equal(ticker.code, 0, ticker.text);
    assert.equal(ticker.summary.replayed, 2 * TICKS, 'each request and each firing');
    assert.equal(ticker.handlings.filter((h) => h.work.kind === 'timer').length, TICKS, ticker.text);
    assert.equal(ticker.summary.diverged, 0, ticker.text);

    // The broker computes each call for proposals' reply-by from its clock: the log records what a
    // handling's first clock read returned (decision 2178), and the replay's first read returns it,
    // so the cfp's reply-by is the one recorded. Its ids (conversations, reply-with) derive from the
    // work. Nothing differs.
    const broker = await replay(serve, ['broker', '--all']);
    assert.ok(broker.summary.replayed >= 5 * 4, broker.text);
    assert.ok(
      broker.handlings.some((h) => h.clockReads > 0),
      'the broker read the clock (else this says nothing of the recorded time)',
    );
    assert.equal(broker.summary.diverged, 0, broker.text);

    // A contractor checks a call's reply-by against its clock: a call it handled late (a loaded
    // machine) declined it; the replay reads the recorded time, so it declines it again.
    const contractor = await replay(serve, ['c1']);
    assert.equal(contractor.summary.diverged, 0, contractor.text);
    assert.ok(contractor.summary.replayed > 0, contractor.text);
    // The replay created no file anywhere in the directory, and the components it read are as they
    // were; the running node itself goes on appending (late timers) and writing leases and agent logs.
    const names = (l: readonly string[]): string[] => l.map((x) => x.split(' ')[0]!).filter((n) => !n.startsWith('logs'));
    const after = listing(serve.dataDir);
    assert.deepEqual(names(after), names(before));
    const read = (l: readonly string[]): string[] => l.filter((x) => x.startsWith('artifacts'));
    assert.deepEqual(read(after), read(before));
  });

  it('a replay killed with SIGKILL while it reports leaves the data directory as it was', async () => {
    const before = listing(serve.dataDir);
    const names = (l: readonly string[]): string[] => l.map((x) => x.split(' ')[0]!).filter((n) => !n.startsWith('logs'));
    // Its own temporary files (the prepare cache it makes) go where this test removes them: a killed
    // process removes nothing.
    const tmp = await mkdtemp(path.join(tmpdir(), 'caxton-replay-killed-'));
    try {
      // Killed at its fifth handling (a fault point: no timing-based kill hits a run this short),
      // mid-replay, its reader holding segments open and its sandbox running.
      const proc = spawnCaxton(['replay', 'ticker', '--all', '--json', '--data-dir', serve.dataDir], {
        env: { TMPDIR: tmp, CAXTON_FAULT_POINT: 'replay-handled:5' },
      });
      const end = await proc.done;
      assert.equal(end.signal, 'SIGKILL', show(end));
      // Reported before it died: at most the four before (a pipe's writes still queued die with it).
      assert.ok(end.stdout.split('\n').filter((l) => l.includes('"type":"handling"')).length <= 4, end.stdout);
      assert.ok(!end.stdout.includes('"type":"summary"'), 'it never finished');
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    const after = listing(serve.dataDir);
    assert.deepEqual(names(after), names(before));
    const read = (l: readonly string[]): string[] => l.filter((x) => x.startsWith('artifacts'));
    assert.deepEqual(read(after), read(before));
  });

  it('with another version shows what it does otherwise: the same replies, none of the state writes', async () => {
    const r = await replay(serve, ['counter', '--with', builtExample('as-counter', 'as-counter.wasm')]);
    assert.equal(r.code, 1, r.text);
    assert.equal(r.summary.replayed, COUNTED);
    assert.equal(r.summary.diverged, COUNTED, r.text);
    for (const h of r.handlings)
      assert.deepEqual(
        h.differences.map((d) => d.what),
        ['state'],
        JSON.stringify(h),
      );
    assert.deepEqual(r.handlings[2]!.differences[0]!.recorded, { count: '3' });
    assert.deepEqual(r.handlings[2]!.differences[0]!.replayed, {});
  });

  it('only the handlings of one conversation, and typed errors for what is not there', async () => {
    const one = await replay(serve, ['counter', '--conversation', 'count-7']);
    assert.equal(one.summary.replayed, 1, one.text);
    assert.equal(one.summary.recorded, COUNTED);
    assert.equal(one.summary.diverged, 0, one.text);
    // Step by step: what the handling was handed, the count before and after, what it answered.
    const steps = await caxton(['replay', 'counter', '--conversation', 'count-7', '--trace', '--data-dir', serve.dataDir]);
    assert.equal(steps.code, 0, show(steps));
    assert.match(steps.stdout, /in {5}request from operator@caxton: "\+1"/);
    assert.match(steps.stdout, /state {2}"count": "7" -> "8"/);
    assert.match(steps.stdout, /sent {3}inform to operator@caxton: "8"/);
    const missing = await caxton(['replay', 'nobody', '--data-dir', serve.dataDir]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /no agent nobody is deployed/);
    const noDir = await caxton(['replay', 'counter', '--data-dir', path.join(serve.dataDir, 'nope')]);
    assert.notEqual(noDir.code, 0);
    assert.match(noDir.stderr, /is not a directory/);
  });

  it('exports the history to a file that replays anywhere (--input): the same handlings, nothing differing; a truncated copy fails typed', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'caxton-replay-export-'));
    try {
      const file = path.join(dir, 'counter.caxton-replay');
      const exported = await caxton(['replay', 'counter', '--data-dir', serve.dataDir, '--export', file, '--json']);
      assert.equal(exported.code, 0, show(exported));
      const written = JSON.parse(exported.stdout) as { type: string; events: number; bytes: number; file: string };
      assert.equal(written.type, 'export');
      assert.equal(written.file, file);
      assert.equal(written.bytes, statSync(file).size);
      assert.ok(written.events >= COUNTED, show(exported));
      const again = await caxton(['replay', 'counter', '--data-dir', serve.dataDir, '--export', file]);
      assert.notEqual(again.code, 0);
      assert.match(again.stderr, /exists already/, show(again));
      assert.equal(statSync(file).size, written.bytes);

      // From the file alone: run where there is no data directory at all.
      const fromDir = await replay(serve, ['counter']);
      const r = replayOutput(await caxton(['replay', 'counter', '--input', file, '--json'], { cwd: dir }));
      assert.equal(r.code, 0, r.text);
      assert.equal(r.summary.replayed, COUNTED, r.text);
      assert.equal(r.summary.replayed, fromDir.summary.replayed);
      assert.equal(r.summary.recorded, fromDir.summary.recorded);
      assert.equal(r.summary.diverged, 0, r.text);
      const other = await caxton(['replay', 'ticker', '--input', file], { cwd: dir });
      assert.equal(other.code, 2, show(other));
      assert.match(other.stderr, /holds the history of counter, not ticker/);

      // Cut before its end line: every handling is reported, then the command fails with the typed error.
      const bytes = readFileSync(file);
      const cut = path.join(dir, 'cut.caxton-replay');
      writeFileSync(cut, bytes.subarray(0, bytes.lastIndexOf('{"end"')));
      const t = await caxton(['replay', 'counter', '--input', cut, '--json'], { cwd: dir });
      assert.notEqual(t.code, 0, show(t));
      assert.match(
        t.stderr,
        /the export file .*cut\.caxton-replay is truncated: it ends after line \d+, after \d+ events, without its end line/,
        show(t),
      );
      const reported = t.stdout.split('\n').filter((l) => l.trim() !== '');
      assert.equal(reported.length, COUNTED, 'a report per handling, and no summary');
      assert.ok(reported.every((l) => (JSON.parse(l) as { type: string }).type === 'handling'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
