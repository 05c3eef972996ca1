/**
 * The watchdog `npm test` loads into every test file's process (decision 2130): a file whose tests
 * are over but whose process stays alive, or a file that runs past its deadline, is stopped and
 * reported failed by name, so one file cannot hold the whole run until its global deadline. Each
 * case runs node's own test runner on small fixture files, the way scripts/test.mjs does.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../cluster/support/paths.js';
import { tempDirRemovedAtExit } from '../support/temp-dir.js';

const WATCHDOG = pathToFileURL(path.join(ROOT, 'scripts', 'test-run', 'file-watchdog.mjs')).href;
const dir = tempDirRemovedAtExit('caxton-watchdog-test-');

function fixture(name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, body);
  return file;
}

interface Outcome {
  code: number | null;
  out: string;
}

/** `env` entries set to undefined are removed from this process's environment for the child. */
function run(args: string[], env: Record<string, string | undefined>): Promise<Outcome> {
  const childEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', WATCHDOG, ...args], {
      cwd: dir,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

/**
 * node's runner on the given files, as `npm test` runs it (the tap reporter, easy to read back);
 * not as a child of this test file's runner, whose context the runner would otherwise see.
 */
const runTests = (files: string[], env: Record<string, string>): Promise<Outcome> =>
  run(['--test', '--test-reporter=tap', ...files], { NODE_TEST_CONTEXT: undefined, ...env });

describe('the test file watchdog', { timeout: 120_000 }, () => {
  it('stops a file whose tests passed but whose process does not exit, and reports it failed', async () => {
    const lingering = fixture(
      'lingering.test.mjs',
      "import test from 'node:test';\ntest('passes but leaves a timer', () => { setInterval(() => {}, 1000); });\n",
    );
    const clean = fixture('clean.test.mjs', "import test, { after } from 'node:test';\nafter(() => {});\ntest('passes', () => {});\n");
    const { code, out } = await runTests([lingering, clean], { CAXTON_TEST_EXIT_GRACE_S: '1' });
    assert.notEqual(code, 0, out);
    assert.match(
      out,
      /test watchdog: lingering\.test\.mjs finished its tests 1 s ago but its process has not exited; still open: [^\n]*Timeout/,
    );
    assert.match(out, /not ok \d+ - [^\n]*lingering\.test\.mjs/, 'the lingering file is reported failed');
    assert.match(out, /ok \d+ - passes but leaves a timer/, 'its own test still passed');
    assert.doesNotMatch(out, /test watchdog: clean/, 'a file that exits is left alone');
    assert.match(out, /# pass 2/);
  });

  it('waits for tests a file registers after a top-level await (node runs the root after hooks before them)', async () => {
    // The root `after` hooks run once `first` is done; `second` starts a second later and runs for
    // six, past a five-second grace counted from that hook: the file must still pass.
    const late = fixture(
      'late.test.mjs',
      `${[
        "import test from 'node:test';",
        'const sleep = (ms) => new Promise((r) => setTimeout(r, ms));',
        "test('first', () => {});",
        'await sleep(1000);',
        "test('second', () => sleep(6000));",
      ].join('\n')}\n`,
    );
    const { code, out } = await runTests([late], { CAXTON_TEST_EXIT_GRACE_S: '5' });
    assert.equal(code, 0, out);
    assert.doesNotMatch(out, /test watchdog/);
    assert.match(out, /# pass 2/);
  });

  it('stops a lingering file whose root before hook failed (node cancels its tests without their beforeEach)', async () => {
    const broken = fixture(
      'broken-setup.test.mjs',
      `${[
        "import test, { before } from 'node:test';",
        "before(() => { setInterval(() => {}, 1000); throw new Error('setup failed'); });",
        "test('a', () => {});",
        "test('b', () => {});",
      ].join('\n')}\n`,
    );
    const { code, out } = await runTests([broken], { CAXTON_TEST_EXIT_GRACE_S: '1' });
    assert.notEqual(code, 0, out);
    assert.match(out, /test watchdog: broken-setup\.test\.mjs finished its tests 1 s ago but its process has not exited/);
  });

  it('stops a file that runs past its deadline, whatever it is doing', async () => {
    const stuck = fixture(
      'stuck.test.mjs',
      "import test from 'node:test';\ntest('never ends', () => new Promise(() => { setInterval(() => {}, 1000); }));\n",
    );
    const { code, out } = await runTests([stuck], { CAXTON_TEST_FILE_DEADLINE_MIN: '0.02' });
    assert.notEqual(code, 0, out);
    assert.match(out, /test watchdog: stuck\.test\.mjs ran past its 0\.02-minute deadline/);
    assert.match(out, /not ok \d+ - [^\n]*stuck\.test\.mjs/);
  });

  it('leaves a process alone that is not a test file, even with the runner context in its environment', async () => {
    // A child a test spawns inherits NODE_TEST_CONTEXT; it must neither become a test root (its
    // stdout would carry the runner's serialized events) nor be stopped.
    const script = fixture('child.mjs', "setTimeout(() => { process.stdout.write('done'); }, 1500);\n");
    const { code, out } = await run([script], {
      NODE_TEST_CONTEXT: 'child-v8',
      CAXTON_TEST_EXIT_GRACE_S: '0.1',
      CAXTON_TEST_FILE_DEADLINE_MIN: '0.001',
    });
    assert.equal(code, 0, out);
    assert.equal(out, 'done');
  });
});
