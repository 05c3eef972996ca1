/**
 * A handling's completion rides in the same commit group as its sends (decision 2111, continued):
 * SIGKILL inside such groups loses nothing accepted and redoes nothing completed. The child
 * (crash/node-child.ts) runs pinger/echo pairs — every handling sends one message to a local agent
 * and completes, so its completion is queued right behind its send — and each life is killed at a
 * fault point: `group-torn` (half of a commit group's bytes written, then SIGKILL: recovery must
 * cut the torn tail at its first incomplete frame, so a completion never survives without the
 * sends queued before it), `group-written` (the whole group written, not fdatasynced: the page
 * cache keeps it, both its sends and its completions count), `before-commit` (sends queued, the
 * completion not yet). A last life runs unarmed to the end. Asserted from the lives' records:
 *   - every accepted delivery was handled and completed; nothing is left pending in the log;
 *   - no delivery recorded completed in one life was handled again in a later one;
 *   - the run reaches its total with exactly the expected distinct deliveries, every chain finished
 *     (a completion kept without its handling's send would stall that chain for good).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedMessageLog } from '@caxton/runtime';
import { runLives } from './support/lives.js';
import { parseNodeLives } from './support/node-records.js';

const PAIRS = 4;
const CHAINS = 10;
const ROUNDS = 400;
/** Requests + informs: 2 × 4 × 10 × 400 = 32,000 (plus one start message per pinger). */
const MESSAGES = 2 * PAIRS * CHAINS * ROUNDS;
/** One fault point per life, counted from the life's start (past the first life's deploys). */
const FAULTS = ['group-torn:200', 'group-written:150', 'before-commit:400', 'group-torn:120'];

test(`SIGKILL in commit groups holding sends and the completions queued behind them (${FAULTS.join(', ')}): nothing accepted is lost, nothing completed is redone`, {
  timeout: 240_000,
}, async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'caxton-group-crash-'));
  const records = path.join(dataDir, 'records.txt');
  const nodeDir = path.join(dataDir, 'node');
  const torn: string[] = [];
  try {
    const lives = await runLives({
      child: 'node-child.js',
      args: (mode) => [mode, nodeDir, records, String(PAIRS), String(CHAINS), String(ROUNDS)],
      faultPoint: async (done) => {
        const last = done.at(-1);
        if (last?.fault.startsWith('group-torn') && last.signal === 'SIGKILL') {
          // The torn group is cut as recovery opens the log (what the next life would do first).
          const log = new EmbeddedMessageLog({ dir: path.join(nodeDir, 'log'), dedupWindow: 10 * MESSAGES });
          log.events.on(
            (e) => {
              if (e.type === 'warning') torn.push(e.warning.code);
            },
            ['warning'],
          );
          await log.open();
          await log.close();
        }
        return FAULTS[done.length];
      },
      maxLives: FAULTS.length + 1,
      lifeTimeoutMs: 90_000,
    });
    const killed = lives.filter((l) => l.signal === 'SIGKILL').map((l) => l.fault);
    assert.deepEqual(
      killed,
      FAULTS,
      `every armed life was killed at its point: ${lives.map((l) => `${l.fault}:${l.signal ?? l.code}`).join(', ')}`,
    );
    assert.equal(
      torn.filter((c) => c === 'log.torn-tail-truncated').length,
      FAULTS.filter((f) => f.startsWith('group-torn')).length,
      `a torn tail cut after each torn group: ${torn.join(', ')}`,
    );

    const parsed = parseNodeLives(await readFile(records, 'utf8'));
    assert.equal(parsed.length, lives.length);
    const handled = new Set(parsed.flatMap((l) => l.handled));
    const completed = new Set(parsed.flatMap((l) => [...l.completed]));
    const accepted = new Set(parsed.flatMap((l) => [...l.accepted]));
    const unhandled = [...accepted].filter((id) => !handled.has(id));
    assert.deepEqual(unhandled.slice(0, 5), [], `${unhandled.length} accepted deliveries were never handled`);

    const log = new EmbeddedMessageLog({ dir: path.join(nodeDir, 'log'), dedupWindow: 10 * MESSAGES });
    log.events.on(() => {}, ['warning']);
    await log.open();
    const pendingInLog = log.stats().pending;
    const deadLetters = await log.deadLetters();
    const uncompleted = [...accepted, ...handled].filter((id) => !completed.has(id) && !log.hasCompleted(id));
    await log.close();
    assert.equal(pendingInLog, 0, 'deliveries left pending in the log');
    assert.equal(deadLetters.length, 0);
    assert.deepEqual(uncompleted.slice(0, 5), [], `${uncompleted.length} accepted deliveries were never completed`);

    // Nothing recorded completed (its group durable and acknowledged) in a life was handled again later.
    for (let i = 0; i < parsed.length; i++) {
      for (let j = i + 1; j < parsed.length; j++) {
        const redone = parsed[j]!.handled.filter((id) => parsed[i]!.completed.has(id));
        assert.deepEqual(redone.slice(0, 5), [], `${redone.length} deliveries completed in life ${i} were handled again in life ${j}`);
      }
    }
    for (const life of parsed) assert.equal(new Set(life.handled).size, life.handled.length, 'a delivery handled twice in one life');
    assert.equal(handled.size, MESSAGES + PAIRS, 'distinct deliveries handled: every request and inform once, plus the start messages');
    assert.equal(new Set(parsed.flatMap((l) => [...l.done])).size, PAIRS * CHAINS, 'every chain finished');
    process.stdout.write(
      `# group crash: ${MESSAGES} messages over ${lives.length} lives (${killed.join(', ')}); handled per life ${parsed.map((l) => l.handled.length).join(', ')}\n`,
    );
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
