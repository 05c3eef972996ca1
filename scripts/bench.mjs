#!/usr/bin/env node
// `npm run bench -- <name> [args]`: runs bench/dist/<name>.js in a child process, passes its JSON
// lines through to stdout, and rewrites that benchmark's section of docs/benchmarks.md with the
// figures and the machine they came from.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sectionsOf, updateBenchSection } from './bench-doc.mjs';
import { productNode } from './infra/node-lts.mjs';
// Built by `npm run bench`'s build step before this script runs: the flag only where V8 needs it.
const { wasmFeatureNodeFlags } = await import('../sandbox/dist/src/wasm-features.js');

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [name, ...args] = process.argv.slice(2);
const available = readdirSync(path.join(root, 'bench'))
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.startsWith('lib-'))
  .map((f) => f.replace(/\.ts$/, ''));
if (!name) {
  console.error(`usage: npm run bench -- <name>   (available: ${available.join(', ')})`);
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
  const b = spawn(process.execPath, [path.join(root, 'scripts', 'build-examples.mjs')], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
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
    process.stdout.write(line + '\n');
    try {
      const rec = JSON.parse(line);
      if (rec && typeof rec.metric === 'string' && typeof rec.value === 'number') results.push(rec);
    } catch {
      // not a result line (the bench may print progress); passed through above
    }
  }
});
const code = await new Promise((resolve) => child.on('close', resolve));
for (const [section, rows] of sectionsOf(name, results)) updateDoc(section, rows);
process.exit(code ?? 1);

function updateDoc(bench, rows) {
  const file = path.join(root, 'docs', 'benchmarks.md');
  const doc = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n\nFigures written by `npm run bench -- <name>`; each section is rewritten by its latest run.\n';
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  const machine = `${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}, Node ${runtime.version}`;
  writeFileSync(file, updateBenchSection(doc, bench, rows, { machine, now: new Date().toISOString(), partial: args.some((a) => a === '--only' || a.startsWith('--only=')) }));
}
