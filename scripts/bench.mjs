#!/usr/bin/env node
// `npm run bench -- <name> [--record] [args]`: runs bench/dist/<name>.js in a child process and passes
// its JSON lines through to stdout. With --record it also appends the run (its figures, the machine,
// Node and commit) to bench/results/<name>.jsonl and regenerates docs/benchmarks.md from the results
// (scripts/bench-record.mjs, scripts/bench-page.mjs). Without it nothing is written: trial runs, A/B
// alternations and runs on a busy machine should not become the page's figures by default.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { appendRuns, runRecords } from './bench-record.mjs';
import { productNode } from './infra/node-lts.mjs';
// Built by `npm run bench`'s build step before this script runs: the flag only where V8 needs it.
const { wasmFeatureNodeFlags } = await import('../sandbox/dist/src/wasm-features.js');

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [name, ...rest] = process.argv.slice(2);
const record = rest.includes('--record');
const args = rest.filter((a) => a !== '--record');
const available = readdirSync(path.join(root, 'bench'))
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.startsWith('lib-'))
  .map((f) => f.replace(/\.ts$/, ''));
if (!name) {
  console.error(`usage: npm run bench -- <name> [--record] [args]   (available: ${available.join(', ')})`);
  process.exit(64);
}
const script = path.join(root, 'bench', 'dist', `${name}.js`);
if (!existsSync(script)) {
  console.error(`no benchmark named "${name}" (looked for ${path.relative(root, script)}); available: ${available.join(', ')}`);
  process.exit(64);
}

// Every benchmark runs on the example agents: build them first (idempotent and quick when up to
// date), so a fresh clone can run any benchmark without `npm test` having run before. (bus,
// cluster, api and hostile also build the agents they deploy themselves, via bench/lib-artifacts,
// so `node bench/dist/<name>.js` works on a fresh clone too.)
const built = await new Promise((resolve) => {
  const b = spawn(process.execPath, [path.join(root, 'scripts', 'build-examples.mjs')], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  b.on('close', resolve);
});
if (built !== 0) {
  console.error('building the example agents failed (see above); the benchmark needs them');
  process.exit(1);
}

// The benchmark runs on the Node the product runs on (the current LTS; CAXTON_NODE=machine for this
// machine's own). Only this process's own Node may need the extended-const flag: the LTS has the
// feature on by default and refuses the flag (sandbox/src/wasm-features.ts).
const runtime = await productNode((line) => process.stderr.write(`note: ${line}\n`));
const nodeFlags = runtime.node === process.execPath ? wasmFeatureNodeFlags() : [];
process.stderr.write(`running ${name} on Node ${runtime.version}\n`);
const child = spawn(runtime.node, ['--expose-gc', ...nodeFlags, script, ...args], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'inherit'],
});
const results = [];
let buffer = '';
child.stdout.on('data', (chunk) => {
  buffer += chunk;
  let nl;
  while ((nl = buffer.indexOf('\n')) >= 0) {
    const line = buffer.slice(0, nl);
    buffer = buffer.slice(nl + 1);
    process.stdout.write(`${line}\n`);
    try {
      const rec = JSON.parse(line);
      if (rec && typeof rec.metric === 'string' && typeof rec.value === 'number') results.push(rec);
    } catch {
      // not a result line (the bench may print progress); passed through above
    }
  }
});
const code = await new Promise((resolve) => child.on('close', resolve));
if (!record) {
  process.stderr.write(`not recorded: add --record to keep this run in bench/results/ and docs/benchmarks.md\n`);
} else if (results.length === 0) {
  process.stderr.write('nothing recorded: the benchmark printed no figures\n');
} else {
  recordRun(code);
}
process.exit(code ?? 1);

function recordRun(exitCode) {
  const git = (...a) => spawnSync('git', a, { cwd: root, encoding: 'utf8' });
  const head = git('rev-parse', '--short=8', 'HEAD');
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  const records = runRecords(name, results, {
    date: new Date().toISOString(),
    machine: `${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}`,
    node: runtime.version.replace(/^v/, ''),
    commit: head.status === 0 ? head.stdout.trim() : null,
    // Uncommitted changes to the build; earlier recorded runs not yet committed do not count.
    dirty: git('status', '--porcelain', '--untracked-files=no', '--', '.', ':!bench/results', ':!docs/benchmarks.md').stdout.trim() !== '',
    // A run that stopped early measured only some phases, as `--only` does.
    partial: exitCode !== 0 || args.some((a) => a === '--only' || a.startsWith('--only=')),
  });
  appendRuns(path.join(root, 'bench', 'results'), records);
  process.stderr.write(`recorded ${records.map((r) => `bench/results/${r.bench}.jsonl`).join(', ')}\n`);
  const page = spawnSync(process.execPath, [path.join(root, 'scripts', 'bench-page.mjs')], { cwd: root, stdio: 'inherit' });
  if (page.status !== 0)
    process.stderr.write('docs/benchmarks.md: see above (the run is recorded; shorten bench/notes/ if the page is too large)\n');
}
