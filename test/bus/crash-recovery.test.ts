/**
 * The crash test: a node in a child process (embedded log, fsync 'always') runs pinger/echo pairs
 * exchanging request/inform — 100,000 messages in all — and is killed with SIGKILL mid-run, then
 * restarted on the same data directory and left to finish. From the child's event records (one
 * synchronous line per accepted delivery, handled delivery and durable completion) the test proves:
 *   - every accepted delivery was handled (ok) and completed, across the two lives (and the log on
 *     disk has nothing pending);
 *   - no delivery whose completion was recorded before the kill was handled again afterwards;
 *   - the run reaches its total: every round trip of every chain happened, exactly once as far as
 *     the agents' messages go (re-handled deliveries re-send with the same derived ids, which the
 *     bus drops as duplicates, so the number of distinct deliveries is exactly the expected one).
 * The chains' positions travel in the messages (examples/conformance/pinger), not in agent memory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedMessageLog } from '@caxton/runtime';
import { childExit, reapChildren, spawnCrashChild, untilChild, type CrashChild } from './support/crash-child.js';
import { parseNodeLives } from './support/node-records.js';

const PAIRS = 4;
const CHAINS = 25;
const ROUNDS = 500;
/** Requests + informs: 2 × 4 × 25 × 500 = 100,000 (plus one start message per pinger). */
const MESSAGES = 2 * PAIRS * CHAINS * ROUNDS;
const childArgs = (mode: 'start' | 'resume', dataDir: string, records: string): string[] => [
  mode,
  dataDir,
  records,
  String(PAIRS),
  String(CHAINS),
  String(ROUNDS),
];

test('kill -9 mid-run: nothing accepted is lost, nothing completed is redone, the run reaches its total', {
  timeout: 110_000,
}, async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'caxton-crash-'));
  const records = path.join(dataDir, 'records.txt');
  const started = Date.now();
  const children: CrashChild[] = [];
  try {
    // Life 1: run until about 40% of the deliveries were handled, then SIGKILL.
    const first = spawnCrashChild('node-child.js', childArgs('start', path.join(dataDir, 'node'), records));
    children.push(first);
    await untilChild(first, 'the first life to be 40% through', () => first.progress >= 0.4 * MESSAGES, 60_000);
    first.proc.kill('SIGKILL');
    const killed = await first.exited;
    assert.equal(killed.signal, 'SIGKILL');
    const killedAt = Date.now();

    // Life 2: same data directory, no new deploys or sends; it must finish the run by itself.
    const second = spawnCrashChild('node-child.js', childArgs('resume', path.join(dataDir, 'node'), records));
    children.push(second);
    const ended = await childExit(second, 'the second life', 80_000);
    assert.equal(ended.code, 0, second.output);
    const finishedAt = Date.now();

    const [one, two, ...extra] = parseNodeLives(await readFile(records, 'utf8'));
    assert.ok(one && two && extra.length === 0, 'two lives recorded');
    assert.ok(one.handled.length > 0 && one.handled.length < MESSAGES, 'the kill came mid-run');
    assert.ok(one.completed.size > 0, 'completions were recorded before the kill');

    // Every accepted delivery was handled and completed (in one life or the other).
    const handled = new Set([...one.handled, ...two.handled]);
    const completed = new Set([...one.completed, ...two.completed]);
    const accepted = new Set([...one.accepted, ...two.accepted]);
    const unhandled = [...accepted].filter((id) => !handled.has(id));
    assert.deepEqual(unhandled.slice(0, 5), [], `${unhandled.length} accepted deliveries were never handled`);
    // Completed: the records say so, or — for a kill between a completion becoming durable and its
    // C line being written — the log on disk does. Nothing is left pending in the log.
    const log = new EmbeddedMessageLog({ dir: path.join(dataDir, 'node', 'log'), dedupWindow: 10 * MESSAGES });
    log.events.on(() => {}, ['warning']);
    await log.open();
    const pendingInLog = log.stats().pending;
    const deadLetters = await log.deadLetters();
    const uncompleted = [...accepted, ...handled].filter((id) => !completed.has(id) && !log.hasCompleted(id));
    await log.close();
    assert.equal(pendingInLog, 0, 'deliveries left pending in the log');
    assert.equal(deadLetters.length, 0);
    assert.deepEqual(uncompleted.slice(0, 5), [], `${uncompleted.length} accepted deliveries were never completed`);

    // Nothing whose completion was recorded before the kill was handled again.
    const redone = two.handled.filter((id) => one.completed.has(id));
    assert.deepEqual(redone.slice(0, 5), [], `${redone.length} completed deliveries were handed out again`);
    // What the second life handled again had been accepted (durable) before the kill but not completed.
    const handledInOne = new Set(one.handled);
    const replayed = two.handled.filter((id) => handledInOne.has(id));
    // Within one life a delivery is handled (ok) once.
    for (const life of [one, two]) assert.equal(new Set(life.handled).size, life.handled.length, 'a delivery handled twice in one life');

    // The run reached its total, with exactly the expected distinct deliveries.
    // (`accepted` may miss a few ids: a kill between an append becoming durable and its A line
    // being written. Those deliveries are replayed and handled in life 2, so they count above.)
    assert.equal(handled.size, MESSAGES + PAIRS, 'distinct deliveries handled: every request and inform once, plus the start messages');
    assert.equal(new Set([...one.done, ...two.done]).size, PAIRS * CHAINS, 'every chain finished');

    const secondsBeforeKill = (killedAt - started) / 1000;
    const secondsAfter = (finishedAt - killedAt) / 1000;
    process.stdout.write(
      `# crash test: ${MESSAGES} messages; life 1 handled ${one.handled.length} in ${secondsBeforeKill.toFixed(1)} s, killed; ` +
        `life 2 handled ${two.handled.length} (${replayed.length} replayed) in ${secondsAfter.toFixed(1)} s\n`,
    );
  } finally {
    await reapChildren(children);
    await rm(dataDir, { recursive: true, force: true });
  }
});
