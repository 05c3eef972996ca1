#!/usr/bin/env node
// Builds every agent under examples/ (echo, counter, contract net, hostile test agents) into
// `<example>/build/<name>.wasm` with the Caxton build library, skipping artifacts whose sources,
// SDK, WIT and toolchain are unchanged (source hash recorded in `<name>.build.json`). Idempotent;
// `npm test` and `npm start` run it. Writes examples/build/index.json: every artifact's path,
// SHA-256, language and size, for tests and demos that need "the echo agent" etc.
//
//   node scripts/build-examples.mjs [--force] [--json] [filter …]
//     --force   rebuild even when up to date
//     --json    print the index as JSON on stdout instead of the table
//     filter    build only examples whose path contains one of these strings
// Requires the runtime to be compiled first (`npx tsc -b toolchain`; `npm test` does that).
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const examplesDir = path.join(root, 'examples');
const buildLib = path.join(root, 'toolchain/dist/src/index.js');

/** Files that make a directory an agent project, whatever its language (see build/project.ts). */
const PROJECT_FILES = ['package.json', 'asconfig.json', 'caxton.json', 'Cargo.toml', 'go.mod', 'pyproject.toml', 'app.py'];

/** Directories under examples/ that hold an agent project. */
export function findExamples(dir = examplesDir, depth = 0) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.') || entry.name === 'node_modules' || entry.name === 'build') continue;
    const sub = path.join(dir, entry.name);
    if (PROJECT_FILES.some((f) => existsSync(path.join(sub, f)))) found.push(sub);
    else if (depth < 2) found.push(...findExamples(sub, depth + 1));
  }
  return found.sort();
}

/** Builds the examples; returns the index written to examples/build/index.json. */
export async function buildExamples({ force = false, filters = [], log = (line) => process.stderr.write(`${line}\n`) } = {}) {
  if (!existsSync(buildLib)) {
    throw Object.assign(new Error(`${path.relative(root, buildLib)} is missing`), { hint: 'compile the runtime first: npx tsc -b toolchain' });
  }
  const { buildAgent, detectProject, ensureToolchain } = await import(pathToFileURL(buildLib).href);
  const selected = findExamples().filter((d) => filters.length === 0 || filters.some((f) => path.relative(root, d).includes(f)));
  // Install (once, cached) the toolchain of every language among the selected examples first, so
  // a fresh machine builds them all; a toolchain that cannot be installed fails the build here.
  const languages = [...new Set(selected.map((d) => detectProject(d).language))];
  for (const language of languages) {
    const status = await ensureToolchain(language, (line) => log(`toolchain ${language}: ${line}`));
    if (!['assemblyscript', 'javascript'].includes(language)) {
      log(`toolchain   ${language.padEnd(14)} ${Object.entries(status.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    }
  }
  const index = {};
  const failures = [];
  for (const dir of selected) {
    const rel = path.relative(root, dir);
    try {
      const r = await buildAgent(dir, { reuse: !force });
      index[path.relative(examplesDir, dir)] = {
        artifact: path.relative(root, r.artifactPath), sha256: r.sha256, language: r.language, bytes: r.bytes,
      };
      log(`${r.reused ? 'up to date' : 'built     '}  ${rel.padEnd(44)} ${r.language.padEnd(14)} ${String(r.bytes).padStart(9)} B ${r.reused ? '' : `${Math.round(r.durationMs)} ms`}`);
    } catch (err) {
      failures.push(rel);
      log(`FAILED      ${rel}: ${typeof err?.describe === 'function' ? err.describe() : err?.stack ?? err}`);
    }
  }
  if (filters.length === 0 && failures.length === 0) {
    mkdirSync(path.join(examplesDir, 'build'), { recursive: true });
    writeFileSync(path.join(examplesDir, 'build', 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
  }
  if (failures.length > 0) {
    throw Object.assign(new Error(`${failures.length} example(s) failed to build: ${failures.join(', ')}`), { failures });
  }
  return index;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  try {
    const index = await buildExamples({ force: args.includes('--force'), filters: args.filter((a) => !a.startsWith('--')) });
    if (json) process.stdout.write(`${JSON.stringify(index, null, 2)}\n`);
  } catch (err) {
    console.error(err.message);
    if (err.hint) console.error(`hint: ${err.hint}`);
    process.exit(1);
  }
}
