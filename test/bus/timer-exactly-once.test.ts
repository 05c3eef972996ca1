/**
 * Timers exactly once under SIGKILL at a plan's step boundaries (issue 24). The timer counter
 * (examples/as-timer-counter) arms one timer per request and counts the firings in durable state,
 * committed with each firing. A child node (crash/timer-child.ts) is driven with 120 requests over
 * several lives on one data directory; every life but the last dies by SIGKILL at a fault point
 * the test arms (CAXTON_FAULT_POINT), the k-th time the applier reaches it:
 *   - `after-commit`: a commit point is durable, the steps after it are not done — for a timer,
 *     its firing (count + done marker) committed, its registry entry not deleted: the timer fires
 *     again at the next start and must only be forgotten, not counted again;
 *   - `before-commit`: sends and effects durable, the commit point not made — the handling (a
 *     request arming its timer, or a timer's firing) is handled again at the next start.
 * At the end, read from the log and the registry with every process gone:
 *   - the committed `count` equals exactly the number of requests the node accepted, and so does
 *     `armed` (each request counted once, each timer fired and counted once);
 *   - no timer is left in the registry, and no done marker in the agent's state;
 *   - every request was answered with agree and its timer's inform.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedMessageLog, EmbeddedRegistry } from '@caxton/runtime';
import { runLives, type Life } from './support/lives.js';

const AGENT = 'timer-counter';
const TOTAL = 100;
const WINDOW = 16;
const KILLS = 4;
const MAX_KILLS = 8;

export interface Records {
  lives: number;
  /** Request ids in the order they were accepted (A lines), with their kind. */
  accepted: { id: string; kind: 'tick' | 'note' }[];
  /** Per request id: the counts its timer's informs carried. */
  fired: Map<string, string[]>;
  /** Per request id: the performatives of its other answers. */
  answers: Map<string, string[]>;
}

export async function readRecords(file: string): Promise<Records> {
  const r: Records = { lives: 0, accepted: [], fired: new Map(), answers: new Map() };
  for (const line of (await readFile(file, 'utf8')).split('\n')) {
    const [kind, id, value] = line.split(' ');
    if (kind === 'S') r.lives++;
    else if (kind === 'A') r.accepted.push({ id: id!, kind: value === 'note' ? 'note' : 'tick' });
    else if (kind === 'F') r.fired.set(id!, [...(r.fired.get(id!) ?? []), value ?? '']);
    else if (kind === 'G') r.answers.set(id!, [...(r.answers.get(id!) ?? []), value ?? '']);
  }
  return r;
}

/** The agent's committed state and the timers still registered, read with no node running. */
export async function committed(nodeDir: string): Promise<{ state: Map<string, string>; timers: number }> {
  const log = new EmbeddedMessageLog({ dir: path.join(nodeDir, 'log') });
  log.events.on(() => {}, ['warning']);
  await log.open();
  const state = new Map(await log.readState(AGENT));
  await log.close();
  const registry = new EmbeddedRegistry({ dir: path.join(nodeDir, 'registry') });
  await registry.open();
  const timers = (await registry.listTimers(AGENT)).length;
  await registry.close();
  return { state, timers };
}

/** The k of the n-th armed life: varied, deterministic (a failure names the lives it ran). */
function faultAt(point: string, n: number): string {
  return `${point}:${10 + ((n * 37) % 17)}`;
}

/**
 * Done markers committed whose timer is still registered: a life died inside a timer's window
 * (its firing committed, the timer not deleted yet). Read between lives, no node running.
 */
async function openWindows(nodeDir: string): Promise<number> {
  const { state } = await committed(nodeDir);
  const registry = new EmbeddedRegistry({ dir: path.join(nodeDir, 'registry') });
  await registry.open();
  const ids = new Set((await registry.listTimers(AGENT)).map((t) => t.id));
  await registry.close();
  return [...state.keys()].filter((k) => k.startsWith('\u0000timer/') && ids.has(k.slice('\u0000timer/'.length))).length;
}

for (const point of ['after-commit', 'before-commit']) {
  test(`SIGKILL at ${point}, ${KILLS}+ lives: ${TOTAL} requests each arm one timer; the committed count equals the requests accepted, no timer left`, { timeout: 120_000 }, async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), `caxton-timer-crash-${point}-`));
    const records = path.join(dataDir, 'records.txt');
    const nodeDir = path.join(dataDir, 'node');
    try {
      // Armed lives: at least KILLS of them; at after-commit, more (up to MAX_KILLS) until one died
      // inside a timer's window. Then one life unarmed, which finishes the work.
      let windows = 0;
      const lives: Life[] = await runLives({
        args: (mode) => [mode, nodeDir, records, String(TOTAL), String(WINDOW), 'ticks'],
        child: 'timer-child.js',
        faultPoint: async (done) => {
          if (done.length > 0) windows += await openWindows(nodeDir);
          const kills = done.length;
          const more = kills < KILLS || (point === 'after-commit' && windows === 0 && kills < MAX_KILLS);
          return more ? faultAt(point, kills) : undefined;
        },
        maxLives: MAX_KILLS + 1,
      });
      const kills = lives.filter((l) => l.signal === 'SIGKILL').length;
      assert.ok(kills >= KILLS, `only ${kills} lives ended at ${point}: ${lives.map((l) => l.fault).join(', ')}`);
      if (point === 'after-commit') assert.ok(windows > 0, `no life died between a timer's commit and its deletion: ${lives.map((l) => l.fault).join(', ')}`);

      const r = await readRecords(records);
      // Requests the node accepted: those seen accepted, plus any accepted just before a kill
      // (durable, its A line not written yet), answered in a later life.
      const ids = new Set([...r.accepted.map((a) => a.id), ...r.fired.keys(), ...r.answers.keys()]);
      assert.ok(ids.size >= TOTAL, `only ${ids.size} requests accepted`);
      const notFired = [...ids].filter((id) => !r.fired.has(id));
      assert.deepEqual(notFired.slice(0, 5), [], `${notFired.length} requests' timers never fired`);
      const refused = [...r.answers].filter(([, ps]) => ps.some((p) => p !== 'agree'));
      assert.deepEqual(refused.slice(0, 5), [], 'a request was not agreed');

      const { state, timers } = await committed(nodeDir);
      assert.equal(timers, 0, 'timers left in the registry');
      const markers = [...state.keys()].filter((k) => k.startsWith('\u0000timer/'));
      assert.deepEqual(markers, [], 'done markers left in the state');
      assert.equal(state.get('armed'), String(ids.size), 'each request armed one timer, once');
      assert.equal(state.get('count'), String(ids.size), `the committed count is not the ${ids.size} timers armed`);
      process.stdout.write(`# ${point}: ${ids.size} requests over ${lives.length} lives (${kills} SIGKILL, ${windows} timer windows hit), committed count ${state.get('count')}, armed ${state.get('armed')}\n`);
    } finally {
      if (process.env["CAXTON_KEEP_TEST_DIR"] === undefined) await rm(dataDir, { recursive: true, force: true });
      else process.stdout.write(`# kept ${dataDir}\n`);
    }
  });
}
