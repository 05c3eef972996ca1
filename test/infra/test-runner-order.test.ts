/**
 * How `npm test` orders its files (decision 2124): files whose header says `@test-slow` start first
 * in their phase, and the phase runs them in that order. `node --test <files…>` sorts its files by
 * name, so the runner hands them to scripts/test-run/run-files.mjs, which must keep the order it
 * is given and fail the way `node --test` fails (exit 1 on a failed test, not on a failing todo).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../cluster/support/paths.js';

interface Order {
  RUNS_ALONE: string;
  SLOW: string;
  headerSays(text: string, tag: string): boolean;
  slowFirst(files: string[], isSlow: (f: string) => boolean): string[];
}
const order = (): Promise<Order> => import(pathToFileURL(path.join(ROOT, 'scripts', 'test-run', 'order.mjs')).href) as Promise<Order>;
const RUN_FILES = path.join(ROOT, 'scripts', 'test-run', 'run-files.mjs');

test('slow files come first, each group in the order it was given', async () => {
  const { slowFirst } = await order();
  const slow = new Set(['c', 'e']);
  assert.deepEqual(slowFirst(['a', 'b', 'c', 'd', 'e'], (f) => slow.has(f)), ['c', 'e', 'a', 'b', 'd']);
  assert.deepEqual(slowFirst(['a', 'b'], () => false), ['a', 'b']);
});

test('a tag counts in the header only', async () => {
  const { headerSays, SLOW, RUNS_ALONE } = await order();
  assert.equal(headerSays(`/**\n * ${SLOW} (why)\n */\nimport x;`, SLOW), true);
  assert.equal(headerSays(`/**\n * ${SLOW} (why)\n */`, RUNS_ALONE), false);
  assert.equal(headerSays(`${' '.repeat(5000)}${SLOW}`, SLOW), false, 'past the first 4 KiB');
});

/** Runs run-files.mjs on the given files in a fresh directory; each file appends its name to a log. */
async function runFiles(files: Record<string, string>, orderGiven: string[]): Promise<{ code: number | null; log: string[]; totals: Record<string, unknown> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'caxton-run-files-'));
  try {
    const log = path.join(dir, 'order.log');
    for (const [name, body] of Object.entries(files)) {
      await writeFile(path.join(dir, name), `import { test } from 'node:test';\nimport { appendFileSync } from 'node:fs';\n` +
        `appendFileSync(${JSON.stringify(log)}, ${JSON.stringify(`${name}\n`)});\n${body}\n`);
    }
    const summary = path.join(dir, 'totals.json');
    // Not this file's own runner context: run-files.mjs starts a runner of its own, as `npm test` does.
    const env = { ...process.env };
    delete env['NODE_TEST_CONTEXT'];
    const child = spawn(process.execPath, [RUN_FILES, '--concurrency', '1', '--summary', summary, ...orderGiven.map((f) => path.join(dir, f))], { env, stdio: 'ignore' });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const text = await readFile(log, 'utf8').catch(() => '');
    return { code, log: text.split('\n').filter(Boolean), totals: JSON.parse(await readFile(summary, 'utf8')) as Record<string, unknown> };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const PASS = "test('passes', () => {});";

test('run-files.mjs runs the files in the order given (node --test would sort them by name)', async () => {
  const r = await runFiles({ 'b.test.mjs': PASS, 'a.test.mjs': PASS, 'c.test.mjs': PASS }, ['c.test.mjs', 'a.test.mjs', 'b.test.mjs']);
  assert.equal(r.code, 0);
  assert.deepEqual(r.log, ['c.test.mjs', 'a.test.mjs', 'b.test.mjs']);
  assert.equal(r.totals['tests'], 3);
  assert.equal(r.totals['pass'], 3);
});

test('run-files.mjs exits 1 when a test fails, and not for a failing todo', async () => {
  const failed = await runFiles({ 'a.test.mjs': PASS, 'b.test.mjs': "test('fails', () => { throw new Error('boom'); });" }, ['a.test.mjs', 'b.test.mjs']);
  assert.equal(failed.code, 1);
  assert.equal(failed.totals['fail'], 1);
  const todo = await runFiles({ 'a.test.mjs': "test('not yet', { todo: true }, () => { throw new Error('later'); });" }, ['a.test.mjs']);
  assert.equal(todo.code, 0);
  assert.equal(todo.totals['todo'], 1);
});
