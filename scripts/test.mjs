#!/usr/bin/env node
// `npm test`: the whole suite against real servers.
//  1. builds the example and hostile agents (idempotent, skipped when up to date);
//  2. installs (once, cached) and starts a real Kafka broker (KRaft) and etcd on loopback;
//  3. runs every compiled test file with node:test, pointing tests at those servers through
//     CAXTON_TEST_KAFKA / CAXTON_TEST_ETCD (tests that must restart a server start their own);
//  4. stops the servers, whatever happened.
// `npm test -- <path-or-dir> …` runs just those compiled test files or folders.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cacheDir, installNodeLts, NODE_LTS_VERSION, startEtcdAndKafka } from './infra/index.mjs';
import { caxtonTempEntries, leftoverWarning, leftTempEntries } from './test-run/temp-leftovers.mjs';
import { fileTimes } from './test-run/file-times.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const selected = process.argv.slice(2);
const defaultTargets = [
  'core/dist/test',
  'toolchain/dist/test',
  'sandbox/dist/test',
  'runtime/dist/test',
  'cli/dist/test',
  'console/out/test',
  'test/dist',
];
const targets = (selected.length > 0 ? selected : defaultTargets).filter((t) => existsSync(path.join(root, t)));

// Explicit *.test.js files: given a directory, node's runner would also execute every other .js
// file under a folder named `test` (helpers, fixtures, crash children) as if it were a test.
function testFiles(target) {
  const abs = path.join(root, target);
  if (statSync(abs).isFile()) return [target];
  const out = [];
  for (const entry of readdirSync(abs, { withFileTypes: true })) {
    const rel = path.join(target, entry.name);
    if (entry.isDirectory()) out.push(...testFiles(rel));
    else if (entry.name.endsWith('.test.js') && hasSource(rel)) out.push(rel);
  }
  return out.sort();
}

/**
 * A compiled test whose TypeScript source is gone (deleted or renamed: `tsc -b` leaves its old
 * output behind) is not run from a folder: it would test code that no longer exists. Said once.
 */
function hasSource(rel) {
  const parts = rel.split(path.sep);
  const at = parts.indexOf('dist');
  if (at < 0) return true;
  const source = path.join(root, ...parts.slice(0, at), ...parts.slice(at + 1)).replace(/\.js$/, '.ts');
  if (existsSync(source)) return true;
  process.stderr.write(`npm test: skipped ${rel}: its source ${path.relative(root, source)} is gone (a stale build output)\n`);
  return false;
}
const files = targets.flatMap(testFiles);

// Files start longest first (decision 2166): the runner starts them in the order given, and in
// path order the last file to start could be a two-minute one, running alone while the other slot
// sat idle. Each file's time is what a whole run measured (scripts/test-run/file-times.json,
// rewritten by `CAXTON_TEST_RECORD_TIMES=1 npm test`); a file the record does not know yet is taken
// as long, so a new heavy file never lands at the tail.
const { recordFileTimes, longestFirst } = fileTimes(path.join(root, 'scripts', 'test-run', 'file-times.json'));

// A file whose header says `@test-runs-alone` (a soak under SIGKILL, a three-node cluster under
// load) needs the machine's cores to itself: it runs after the others, one such file at a time.
// Everything else runs `concurrency` files side by side (decision 1740).
const RUNS_ALONE = '@test-runs-alone';
const runsAlone = (file) => readFileSync(path.join(root, file), 'utf8').slice(0, 4096).includes(RUNS_ALONE);
const aloneFiles = files.filter(runsAlone);
const sharedFiles = longestFirst(files.filter((f) => !aloneFiles.includes(f)));

// The suite runs on the current Node LTS (decision 2166): Node 20, the machine's, is past its end
// of life, and on 24 the same files take about a third less CPU. Every process a test starts as
// `node` (the `caxton` bin, crash children, `caxton serve`) runs on it too: its folder goes first on
// PATH. A Node 24 that cannot be fetched fails the run with the reason; CAXTON_TEST_NODE=machine
// runs everything on this process's Node instead (another platform, no registry).
// What users on Node 20 run is checked there too: the pure-logic unit suite and the sandbox suite
// run a second time on the machine's Node (V8 is what the sandbox sandboxes with: memory
// reservation, traps and wasm feature flags differ between V8 11.3 and 13.6) — all of it but the
// CPython file, whose 18 MB components alone would cost the phase minutes (decision 1820). On by
// default in a whole run; CAXTON_TEST_MACHINE_NODE=0 skips it, =1 adds it to a selected run.
const onMachineNode =
  process.env['CAXTON_TEST_NODE'] === 'machine' || Number(process.versions.node.split('.')[0]) >= Number(NODE_LTS_VERSION.split('.')[0]);
const MACHINE_NODE_SUITES = ['core/dist/test', 'sandbox/dist/test'];
const MACHINE_NODE_LEFT_OUT = [path.join('sandbox', 'dist', 'test', 'python-agents.test.js')];
const machineNodeWanted = !onMachineNode && (process.env['CAXTON_TEST_MACHINE_NODE'] ?? (selected.length === 0 ? '1' : '0')) !== '0';
const machineNodeFiles = machineNodeWanted
  ? longestFirst(
      files.filter(
        (f) => MACHINE_NODE_SUITES.some((s) => f.startsWith(s + path.sep)) && !MACHINE_NODE_LEFT_OUT.includes(f) && !aloneFiles.includes(f),
      ),
    )
  : [];
let machineNodeRan = false;

// A hung test must fail the run with a clear message, not eat CI's whole time budget. Each file's
// process is bounded by the file watchdog (a file that does not exit within minutes of its tests'
// end, or runs past 30 min, is stopped and reported failed: decision 2130); this whole-run deadline
// is the last backstop (the runner itself stuck). It is not a time budget: a green run on a slow
// machine must not fail for being slow (the last CI's test phases took 52 min at a quarter of the
// machine's normal speed). Raise it with CAXTON_TEST_DEADLINE_MIN.
const deadlineMin = Number(process.env['CAXTON_TEST_DEADLINE_MIN'] ?? 90);
const watchdogFlags = ['--import', pathToFileURL(path.join(root, 'scripts', 'test-run', 'file-watchdog.mjs')).href];
// Test files run side by side: most of a file's time is spent waiting (on Kafka, etcd, child
// processes, timers), not computing, so two at a time on two cores nearly halves the run
// (decision 1740). CAXTON_TEST_CONCURRENCY=1 runs them one after another, e.g. to read one
// file's output undisturbed.
const concurrency = Math.max(1, Number(process.env['CAXTON_TEST_CONCURRENCY'] ?? 2) || 1);

/** Run a command in its own process group so that the whole tree can be stopped at the deadline. */
function run(cmd, args, env = process.env, { deadlineMs } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: 'inherit', env, detached: true });
    const killTree = (signal) => {
      try {
        process.kill(-child.pid, signal);
      } catch {
        /* already gone */
      }
    };
    const onSignal = (signal) => killTree(signal);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const timer =
      deadlineMs === undefined
        ? undefined
        : setTimeout(() => {
            console.error(
              `\n✖ the test run passed its ${deadlineMin}-minute deadline and was stopped; the last file above ` +
                'is the one that hung (raise CAXTON_TEST_DEADLINE_MIN if this machine is simply slow)',
            );
            killTree('SIGTERM');
            setTimeout(() => killTree('SIGKILL'), 10_000).unref();
          }, deadlineMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      // A process ended by a signal (a native crash, the OOM killer) prints nothing itself: say so.
      if (signal) console.error(`\n✖ ${path.basename(args[0] ?? cmd)} was ended by ${signal}`);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

// Each step says when it began (seconds since the run started, and the UTC time), so a slow run's
// log shows which phase took the time without anyone re-running it.
const runStarted = Date.now();
const step = (text) =>
  process.stderr.write(
    `\n▶ ${text}  [+${Math.round((Date.now() - runStarted) / 1000)} s, ${new Date().toISOString().slice(11, 19)} UTC]\n`,
  );

// Lint and format first (decision 2167): Biome, as CI runs it — a whole run fails on a finding,
// before minutes of suites. `npm run format` writes the formatting; `npm run lint` shows the rest.
if (selected.length === 0) {
  step('checking lint and formatting (Biome)');
  const biome = path.join(root, 'node_modules', '@biomejs', 'biome', 'bin', 'biome');
  if ((await run(process.execPath, [biome, 'ci', '--colors=off', '.'])) !== 0) {
    console.error(
      'lint or formatting findings (above): `npm run format` rewrites the formatting; fix the rest, or say in biome.json why a rule is off',
    );
    process.exit(1);
  }
}

step('building example agents');
if ((await run(process.execPath, ['scripts/build-examples.mjs'])) !== 0) {
  // Once more: the builder is idempotent (what it built is kept), and a run once ended with no
  // FAILED line and no message at all (a child's crash) on a loaded machine; a real compile error
  // fails the second attempt the same way, with the compiler's own lines.
  console.error('building the example agents failed (see above); trying once more');
  if ((await run(process.execPath, ['scripts/build-examples.mjs'])) !== 0) {
    console.error('building the example agents failed (see above)');
    process.exit(1);
  }
}

// What was in the temp dir before the run, to name at the end what the run left (decision 2128).
const tempBefore = caxtonTempEntries(tmpdir());
const summaryDir = mkdtempSync(path.join(tmpdir(), 'caxton-test-summary-'));
// Removed by printTotals, or at exit when a signal ends the run (the infra's hook exits at once).
process.on('exit', () => rmSync(summaryDir, { recursive: true, force: true }));
const servers = [];
let exitCode = 1;
try {
  // The suite's Node first, before any server starts: a fetch that fails fails the run at once, with
  // its reason. A platform the registry has no binaries for is not a failed fetch: the suite runs on
  // this machine's Node there, and says so.
  const ltsNode = onMachineNode
    ? undefined
    : await installNodeLts().catch((err) => {
        if (err?.code === 'infra.node-lts.unsupported-platform') {
          process.stderr.write(`  note: the suite runs on this machine's Node ${process.versions.node}: ${err.message}\n`);
          return undefined;
        }
        throw Object.assign(err, {
          hint: `${err?.hint ? `${err.hint}\n` : ''}or run the whole suite on this machine's Node ${process.versions.node}: CAXTON_TEST_NODE=machine npm test`,
        });
      });
  step('starting etcd and Kafka on loopback (first run installs them)');
  const { etcd, kafka } = await startEtcdAndKafka();
  servers.push(etcd, kafka);
  process.stderr.write(`  etcd ${etcd.endpoint}, Kafka ${kafka.bootstrap}\n`);

  const env = {
    ...process.env,
    CAXTON_TEST_KAFKA: kafka.bootstrap,
    CAXTON_TEST_ETCD: etcd.endpoint,
  };
  const deadlineAt = Date.now() + deadlineMin * 60_000;
  // QuickJS-based components need extended-const on Node 20 (V8 refuses it in NODE_OPTIONS; the
  // test runner passes its own flags on to each test file's process). Node 24 has it on by default
  // and refuses the flag.
  const { wasmFeatureNodeFlags } = await import('../sandbox/dist/src/wasm-features.js');
  const machineNode = { node: process.execPath, flags: wasmFeatureNodeFlags(), env };
  const suiteNode = ltsNode === undefined ? machineNode : { node: ltsNode, flags: [], env: ltsEnv(env, ltsNode) };
  const suiteNodeName = ltsNode === undefined ? `Node ${process.versions.node}` : `Node ${NODE_LTS_VERSION}`;
  const phases = [
    { files: sharedFiles, concurrency, what: `${concurrency} at a time, on ${suiteNodeName}`, ...suiteNode },
    {
      files: ltsNode === undefined ? [] : machineNodeFiles,
      concurrency,
      what: `the unit and sandbox suites again on this machine's Node ${process.versions.node}, ${concurrency} at a time`,
      ...machineNode,
      again: true,
    },
    {
      files: aloneFiles,
      concurrency: 1,
      what: `one at a time, each alone on the machine (${RUNS_ALONE}), on ${suiteNodeName}`,
      ...suiteNode,
    },
  ].filter((p) => p.files.length > 0);
  exitCode = 0;
  for (const [i, phase] of phases.entries()) {
    step(`running ${phase.files.length} of ${files.length} test files from ${targets.join(' ')}, ${phase.what}`);
    if (phase.again) machineNodeRan = true;
    // Not --test-force-exit: on Node 20 it can end a file's process before its last results reach
    // the runner (a clean-clone run lost 17 reported tests that way). A file that cannot exit is
    // stopped by the file watchdog instead (decision 2130), and servers are started as pairs that
    // clean up.
    // Two reporters: the usual one on stdout and the summary one into a file, read back below.
    const code = await run(
      phase.node,
      [
        ...phase.flags,
        ...watchdogFlags,
        path.join(root, 'scripts', 'test-run', 'run-files.mjs'),
        String(phase.concurrency),
        path.join(summaryDir, `totals-${i}${phase.again ? '-again' : ''}.json`),
        ...phase.files,
      ],
      phase.env,
      { deadlineMs: Math.max(1000, deadlineAt - Date.now()) },
    );
    if (code !== 0) exitCode = code;
  }
} catch (err) {
  console.error(`test setup failed: ${err?.message ?? err}`);
  if (err?.hint) console.error(`hint: ${err.hint}`);
} finally {
  step('stopping servers');
  await Promise.allSettled(servers.map((s) => s.stop()));
}
printTotals();
for (const line of leftoverWarning(leftTempEntries(tempBefore, caxtonTempEntries(tmpdir())), tmpdir())) console.log(line);
process.exit(exitCode);

/** The run's closing line, the same whichever directory the clone is in (CI checks the count). */
function printTotals() {
  const parts = [];
  // Each file's time in the suite's own phases (the machine-Node phase runs some of the same files again).
  const sharedPhaseTimes = [];
  for (const name of existsSync(summaryDir) ? readdirSync(summaryDir) : []) {
    try {
      const part = JSON.parse(readFileSync(path.join(summaryDir, name), 'utf8'));
      parts.push(part);
      if (!name.endsWith('-again.json')) sharedPhaseTimes.push(...(part.files ?? []));
    } catch {
      /* a phase that never finished */
    }
  }
  rmSync(summaryDir, { recursive: true, force: true });
  const totals = parts.length === 0 || parts.some((p) => p.tests === undefined) ? undefined : sumTotals(parts);
  if (totals === undefined) {
    console.log('\ntests: no totals were reported (the run stopped before the test runner finished)');
    if (exitCode === 0) exitCode = 1;
    return;
  }
  // Only a whole run that passed: a failed or cut-short file's time says nothing about its length.
  if (
    process.env['CAXTON_TEST_RECORD_TIMES'] === '1' &&
    selected.length === 0 &&
    exitCode === 0 &&
    (totals.fail ?? 0) + (totals.cancelled ?? 0) === 0
  ) {
    const shared = new Set([...sharedFiles, ...aloneFiles]);
    const written = recordFileTimes(
      sharedPhaseTimes.filter((f) => shared.has(path.relative(root, f.file))).map((f) => ({ file: path.relative(root, f.file), ms: f.ms })),
    );
    console.log(`\nfile times of ${written} files recorded in scripts/test-run/file-times.json`);
  }
  const skipped = (totals.skipped ?? 0) + (totals.todo ?? 0);
  const failed = (totals.fail ?? 0) + (totals.cancelled ?? 0);
  const lts = machineNodeRan ? ` (${machineNodeFiles.length} of them run again on Node ${process.versions.node})` : '';
  console.log(`\n${totals.tests} tests in ${files.length} files${lts}`);
  const slowest = (totals.files ?? []).slice(0, 12);
  if (slowest.length > 0 && selected.length === 0) {
    console.log('\nslowest test files (sum of their top-level tests):');
    for (const f of slowest) console.log(`  ${(f.ms / 1000).toFixed(1).padStart(7)} s  ${path.relative(root, f.file)}`);
  }
  const failures = totals.failures ?? [];
  if (failures.length > 0) {
    console.log(`\nfailed (${failures.length}):`);
    for (const f of failures.slice(0, 20)) {
      console.log(`  ✖ ${path.relative(root, f.file) || '(no file)'}: ${f.name}`);
      if (f.error) console.log(`      ${f.error}`);
    }
  }
  console.log(`tests: ${totals.pass ?? 0} passed, ${failed} failed, ${skipped} skipped`);
}

/** One phase's totals added to another's; the per-file times merged, slowest first. */
function sumTotals(parts) {
  const sum = { files: [] };
  for (const p of parts) {
    for (const [k, v] of Object.entries(p)) {
      if (k === 'files') sum.files.push(...v);
      else if (k === 'failures') (sum.failures ??= []).push(...v);
      else if (typeof v === 'number') sum[k] = (sum[k] ?? 0) + v;
    }
  }
  sum.files.sort((a, b) => b.ms - a.ms);
  return sum;
}

/**
 * The environment of the phases on the LTS: its folder first on PATH, so that what a test starts
 * as `node` runs on it as well, and V8's compile cache on (Node 22+: the ~1,000 modules a node
 * loads are compiled once per run, not once per process).
 */
function ltsEnv(env, node) {
  return {
    ...env,
    PATH: `${path.dirname(node)}${path.delimiter}${env.PATH ?? ''}`,
    NODE_COMPILE_CACHE: path.join(cacheDir(), 'node-compile-cache'),
  };
}
