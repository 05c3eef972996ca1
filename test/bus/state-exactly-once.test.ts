/**
 * Runs beside other files: 16 senders keep up to 256 requests unanswered. 20,000 requests: the
 * property needs kills that land while requests are in flight, not a long run between kills; at
 * 50,000 the file took 92 s in CI and ran past its 300 s timeout beside other files at load 22
 * (decision 2132; before that, decision 1740). The summary line prints, per kill, the requests
 * accepted before it and answered after it, not asserted: where a kill lands is chance, and in the
 * run that first printed it two of the three left no accepted request unfinished (0/12/0).
 *
 * Exactly-once state under kill -9 (issue 16): the state counter (examples/as-state-counter)
 * keeps its count in durable state, committed with each message's completion. 20,000 requests are
 * sent while the node is killed with SIGKILL three times and restarted on the same data directory
 * (child: crash/state-child.ts). At the end:
 *   - every request the node accepted was answered, once (per request one count, however often a
 *     re-handled delivery re-sent its reply);
 *   - the answers carry distinct counts, exactly 1..N for N answered requests: no increment was
 *     lost or applied twice, across the kills;
 *   - the count stored in the log equals N.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedMessageLog } from '@caxton/runtime';
import { childExit, reapChildren, spawnCrashChild, untilChild, type CrashChild } from './support/crash-child.js';

const TOTAL = 20_000;
const WINDOW = 256;
const KILLS_AT = [0.15, 0.4, 0.65];
const childArgs = (mode: 'start' | 'resume', dataDir: string, records: string): string[] => [
  mode,
  dataDir,
  records,
  String(TOTAL),
  String(WINDOW),
];

test('kill -9 three times during 20,000 counted requests: the stored count equals the answered requests, every answer a distinct count', {
  timeout: 300_000,
}, async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'caxton-state-crash-'));
  const records = path.join(dataDir, 'records.txt');
  const nodeDir = path.join(dataDir, 'node');
  const children: CrashChild[] = [];
  try {
    let mode: 'start' | 'resume' = 'start';
    for (const at of KILLS_AT) {
      const child = spawnCrashChild('state-child.js', childArgs(mode, nodeDir, records));
      children.push(child);
      await untilChild(child, `${Math.round(at * 100)}% of the answers`, () => child.progress >= at * TOTAL, 120_000);
      child.proc.kill('SIGKILL');
      assert.equal((await child.exited).signal, 'SIGKILL');
      mode = 'resume';
    }
    const last = spawnCrashChild('state-child.js', childArgs('resume', nodeDir, records));
    children.push(last);
    const ended = await childExit(last, 'the last life', 180_000);
    assert.equal(ended.code, 0, last.output.slice(-3000));

    const accepted = new Set<string>();
    const counts = new Map<string, Set<string>>();
    let lives = 0;
    /**
     * Per kill: requests sent by an earlier life and first answered in the next one — accepted, not
     * yet completed when the kill landed, handled after the restart. (Not "A lines without an R line
     * at the kill": a reply usually reaches the operator before the sender's await returns and
     * writes the A line, so that count is 0.)
     */
    const redoneAfterKill: number[] = [];
    for (const line of (await readFile(records, 'utf8')).split('\n')) {
      if (line.startsWith('S ')) {
        if (lives > 0) redoneAfterKill.push(0);
        lives++;
      } else if (line.startsWith('A ')) accepted.add(line.slice(2));
      else if (line.startsWith('R ')) {
        const [, id, count] = line.split(' ');
        const seen = counts.get(id!) ?? new Set<string>();
        if (seen.size === 0 && lives > 1 && Number(/^q(\d+)-/.exec(id!)?.[1]) < lives - 1) redoneAfterKill[lives - 2]! += 1;
        seen.add(count!);
        counts.set(id!, seen);
      }
    }
    assert.equal(lives, KILLS_AT.length + 1);
    assert.ok(accepted.size >= TOTAL, `only ${accepted.size} requests accepted`);
    const unanswered = [...accepted].filter((id) => !counts.has(id));
    assert.deepEqual(unanswered.slice(0, 5), [], `${unanswered.length} accepted requests were never answered`);
    // A request answered twice (a re-handled delivery re-sending its reply) must carry the same count.
    const twoCounts = [...counts].filter(([, seen]) => seen.size !== 1);
    assert.deepEqual(
      twoCounts.slice(0, 5).map(([id, seen]) => `${id}: ${[...seen].join(',')}`),
      [],
      'a request answered with two different counts',
    );
    // Answered requests: those the driver saw accepted, plus any accepted just before a kill
    // (durable, but its A line not yet written) — replayed and answered in the next life.
    const answered = counts.size;
    const values = [...counts.values()].map((seen) => Number([...seen][0]));
    const distinct = new Set(values);
    assert.equal(distinct.size, answered, 'two requests were answered with the same count');
    assert.equal(Math.min(...values), 1);
    assert.equal(Math.max(...values), answered, 'the counts are not exactly 1..N');

    const log = new EmbeddedMessageLog({ dir: path.join(nodeDir, 'log') });
    log.events.on(() => {}, ['warning']);
    await log.open();
    const state = await log.readState('counter');
    await log.close();
    assert.equal(state.get('count'), String(answered), 'the stored count is not the number of answered requests');
    process.stdout.write(
      `# state crash test: ${answered} requests answered over ${lives} lives (${KILLS_AT.length} kill -9, ${redoneAfterKill.join('/')} accepted before and answered after them), stored count ${state.get('count')}\n`,
    );
  } finally {
    await reapChildren(children);
    await rm(dataDir, { recursive: true, force: true });
  }
});
