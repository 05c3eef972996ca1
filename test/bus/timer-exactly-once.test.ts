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
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedRegistry } from '@caxton/runtime';
import { runLives, type Life } from './support/lives.js';
import { AGENT, committed, readRecords } from './support/timer-records.js';

const TOTAL = 100;
const WINDOW = 16;
const KILLS = 4;
const MAX_KILLS = 8;

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
  test(`SIGKILL at ${point}, ${KILLS}+ lives: ${TOTAL} requests each arm one timer; the committed count equals the requests accepted, no timer left`, {
    timeout: 120_000,
  }, async () => {
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
      if (point === 'after-commit')
        assert.ok(windows > 0, `no life died between a timer's commit and its deletion: ${lives.map((l) => l.fault).join(', ')}`);

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
      process.stdout.write(
        `# ${point}: ${ids.size} requests over ${lives.length} lives (${kills} SIGKILL, ${windows} timer windows hit), committed count ${state.get('count')}, armed ${state.get('armed')}\n`,
      );
    } finally {
      if (process.env['CAXTON_KEEP_TEST_DIR'] === undefined) await rm(dataDir, { recursive: true, force: true });
      else process.stdout.write(`# kept ${dataDir}\n`);
    }
  });
}
