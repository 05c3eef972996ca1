/**
 * An agent's commits stay in handled order across SIGKILL (issue 24: per-agent chains). The timer
 * counter (examples/as-timer-counter) is sent alternately A = "tick 1 <note>" (a registry write
 * before its commit point: the timer; then its state: `armed`, the note) and B = "note <note>"
 * (state only), notes numbered in send order. Handlings run ahead of their commits (early
 * release), so a later, cheaper B could become durable before an earlier A — unless the agent's
 * commits are chained. A child node (crash/timer-child.ts, plan `chain`) is killed at
 * `before-commit` (the k-th time, k varied) in several lives, then finishes unarmed. Asserted:
 *   - after every kill, the committed `notes` are exactly a prefix of the messages in send order
 *     (never B's note without A's, nothing twice), and `armed` equals the ticks in that prefix;
 *   - at the end, `notes` is the whole sequence, once each, in order; `armed` and `count` equal
 *     the ticks; no timer left.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runLives } from './support/lives.js';
import { committed, readRecords } from './support/timer-records.js';

const TOTAL = 120;
const WINDOW = 16;
const KILLS = 4;

/** `q<life>-<n>t|n` -> [life, n]. */
function order(id: string): [number, number] {
  const m = /^q(\d+)-(\d+)[tn]$/.exec(id);
  if (m === null) throw new Error(`unexpected request id ${id}`);
  return [Number(m[1]), Number(m[2])];
}

const byOrder = (a: string, b: string): number => {
  const [la, na] = order(a);
  const [lb, nb] = order(b);
  return la - lb || na - nb;
};

/** The note a request leaves: `<life>.<n>`. */
const noteOf = (id: string): string => order(id).join('.');

/** The committed notes, and the sequence they must be a prefix of (every request known, in send order). */
async function check(
  nodeDir: string,
  records: string,
  final: boolean,
): Promise<{ notes: string[]; ids: string[]; state: Map<string, string>; timers: number }> {
  const r = await readRecords(records);
  const { state, timers } = await committed(nodeDir);
  const notes = (state.get('notes') ?? '').split(';').slice(0, -1);
  // Known requests: accepted (A), answered, and any the log committed (accepted just before a kill).
  const known = new Set([...r.accepted.map((a) => a.id), ...r.fired.keys(), ...r.answers.keys()]);
  for (const note of notes) {
    const [life, n] = note.split('.');
    known.add(`q${life}-${n}${Number(n) % 2 === 1 ? 'n' : 't'}`);
  }
  const ids = [...known].sort(byOrder);
  const expected = ids.map(noteOf);
  assert.deepEqual(
    notes,
    expected.slice(0, notes.length),
    `the committed notes are not a prefix of the send order${final ? ' (final)' : ''}`,
  );
  const ticks = ids.slice(0, notes.length).filter((id) => id.endsWith('t')).length;
  assert.equal(state.get('armed') ?? '0', String(ticks), 'armed is not the ticks among the committed notes');
  return { notes, ids, state, timers };
}

test(`SIGKILL at before-commit, ${KILLS} lives: a timer-setting request and a state-only one alternate; the committed notes are always a prefix of the send order`, {
  timeout: 120_000,
}, async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'caxton-commit-order-'));
  const records = path.join(dataDir, 'records.txt');
  const nodeDir = path.join(dataDir, 'node');
  const prefixes: number[] = [];
  try {
    const lives = await runLives({
      args: (mode) => [mode, nodeDir, records, String(TOTAL), String(WINDOW), 'chain'],
      child: 'timer-child.js',
      faultPoint: async (done) => {
        if (done.length > 0) prefixes.push((await check(nodeDir, records, false)).notes.length);
        return done.length < KILLS ? `before-commit:${8 + ((done.length * 29) % 19)}` : undefined;
      },
      maxLives: KILLS + 1,
    });
    assert.equal(lives.filter((l) => l.signal === 'SIGKILL').length, KILLS);
    const { notes, ids, state, timers } = await check(nodeDir, records, true);
    assert.ok(ids.length >= TOTAL, `only ${ids.length} requests accepted`);
    assert.equal(notes.length, ids.length, 'not every request left its note');
    const ticks = ids.filter((id) => id.endsWith('t')).length;
    assert.equal(state.get('armed'), String(ticks));
    assert.equal(state.get('count'), String(ticks), 'each timer counted once');
    assert.equal(timers, 0, 'timers left in the registry');
    process.stdout.write(
      `# commit order: ${ids.length} requests over ${lives.length} lives; committed prefixes after the kills: ${prefixes.join(', ')}\n`,
    );
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
