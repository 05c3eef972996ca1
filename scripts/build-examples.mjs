#!/usr/bin/env node
// Builds every agent under examples/ (echo, counter, contract net, hostile test agents) into
// `<example>/build/<name>.wasm` with the Caxton build library, skipping artifacts whose sources,
// SDK, WIT and toolchain are unchanged (source hash recorded in `<name>.build.json`). Idempotent;
// `npm test` and `npm start` run it. Writes examples/build/index.json: every artifact's path,
// SHA-256, language and size, for tests and demos that need "the echo agent" etc.
//
//   node scripts/build-examples.mjs [--force] [--json] [--examples-dir DIR] [filter …]
//     --force   rebuild even when up to date
//     --json    print the index as JSON on stdout instead of the table
//     --examples-dir DIR  the agent projects under DIR instead of examples/ (the index goes to DIR/build)
//     filter    build only examples whose path contains one of these strings
//   CAXTON_BUILD_JOBS=N  builds N examples at a time (default: 2, or 1 on a one-core machine)
// Requires the runtime to be compiled first (`npx tsc -b toolchain`; `npm test` does that).
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const defaultExamplesDir = path.join(root, 'examples');
const buildLib = path.join(root, 'toolchain/dist/src/index.js');

/** Files that make a directory an agent project, whatever its language (see build/project.ts). */
const PROJECT_FILES = ['package.json', 'asconfig.json', 'caxton.json', 'Cargo.toml', 'go.mod', 'pyproject.toml', 'app.py'];

/** Directories under examples/ that hold an agent project. */
export function findExamples(dir = defaultExamplesDir, depth = 0) {
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
export async function buildExamples({
  force = false,
  filters = [],
  examplesDir = defaultExamplesDir,
  log = (line) => process.stderr.write(`${line}\n`),
} = {}) {
  if (!existsSync(buildLib)) {
    throw Object.assign(new Error(`${path.relative(root, buildLib)} is missing`), {
      hint: 'compile the runtime first: npx tsc -b toolchain',
    });
  }
  const jobs = buildJobs();
  const { buildAgent, detectProject, ensureToolchain } = await import(pathToFileURL(buildLib).href);
  const selected = findExamples(examplesDir).filter(
    (d) =>
      filters.length === 0 || filters.some((f) => [path.relative(root, d), path.relative(examplesDir, d)].some((rel) => rel.includes(f))),
  );
  // Install (once, cached) the toolchain of every language among the selected examples first, so
  // a fresh machine builds them all; a toolchain that cannot be installed fails the build here.
  const languageOf = new Map(selected.map((d) => [d, detectProject(d).language]));
  const languages = [...new Set(languageOf.values())];
  for (const language of languages) {
    const status = await ensureToolchain(language, (line) => log(`toolchain ${language}: ${line}`));
    if (!['assemblyscript', 'javascript'].includes(language)) {
      log(
        `toolchain   ${language.padEnd(14)} ${Object.entries(status.versions)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
      );
    }
  }
  const built = new Map();
  const failures = [];
  // Builds run `jobs` at a time: each compiler is mostly one thread, and one after another a fresh
  // clone's 65 examples left a core idle for much of their 3-4 minutes (decision 2143). The toolchains
  // are all installed above, so no two builds install at once (apt takes one install at a time);
  // compilers that run as their own processes are made for concurrent builds (cargo's target dir is
  // locked, each build stages in its own temp dir). AssemblyScript and JavaScript compile inside
  // this process (asc, componentize-qjs), whose libraries keep process-wide state (binaryen's
  // optimisation settings), so those take one lane: one such build at a time. (Every language's
  // last step, wrapping the core module as a component, also runs here, as one synchronous call:
  // it cannot interleave with another.) The slowest
  // languages go first, so the last builds are short ones.
  const cost = (dir) => LANGUAGE_BUILD_COST[languageOf.get(dir)] ?? 0;
  const queue = [...selected].sort((a, b) => cost(b) - cost(a));
  let inProcessLane = Promise.resolve();
  const inLane = (dir, build) => {
    if (!IN_PROCESS_LANGUAGES.has(languageOf.get(dir))) return build();
    const run = inProcessLane.then(build);
    inProcessLane = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  };
  const worker = async () => {
    for (let dir = queue.shift(); dir !== undefined; dir = queue.shift()) {
      const rel = path.relative(root, dir);
      try {
        const r = await inLane(dir, () => buildAgent(dir, { reuse: !force }));
        built.set(dir, { artifact: path.relative(root, r.artifactPath), sha256: r.sha256, language: r.language, bytes: r.bytes });
        log(
          `${r.reused ? 'up to date' : 'built     '}  ${rel.padEnd(44)} ${r.language.padEnd(14)} ${String(r.bytes).padStart(9)} B ${r.reused ? '' : `${Math.round(r.durationMs)} ms`}`,
        );
      } catch (err) {
        failures.push(rel);
        log(`FAILED      ${rel}: ${typeof err?.describe === 'function' ? err.describe() : (err?.stack ?? err)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  // The index in path order, whatever order the builds finished in.
  const index = {};
  for (const dir of selected) if (built.has(dir)) index[path.relative(examplesDir, dir)] = built.get(dir);
  if (filters.length === 0 && failures.length === 0) {
    mkdirSync(path.join(examplesDir, 'build'), { recursive: true });
    writeFileSync(path.join(examplesDir, 'build', 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
  }
  if (failures.length > 0) {
    failures.sort();
    throw Object.assign(new Error(`${failures.length} example(s) failed to build: ${failures.join(', ')}`), { failures });
  }
  return index;
}

/** Languages whose compiler runs inside this process (see buildExamples). */
const IN_PROCESS_LANGUAGES = new Set(['assemblyscript', 'javascript']);

/** How many examples build at once: CAXTON_BUILD_JOBS, else two (one on a one-core machine). */
export function buildJobs(given = process.env['CAXTON_BUILD_JOBS']) {
  if (given === undefined || given === '') return Math.min(2, availableParallelism());
  const n = /^[0-9]{1,2}$/.test(given) ? Number(given) : NaN;
  if (!(n >= 1 && n <= 64)) {
    throw Object.assign(new Error(`CAXTON_BUILD_JOBS=${given} is not a whole number from 1 to 64`), {
      hint: 'unset it for two builds at a time, or give e.g. CAXTON_BUILD_JOBS=1 to build one after another',
    });
  }
  return n;
}

/** A rough order of a fresh build's time by language (measured: Python ~12 s, Rust ~9, C ~5.5, JavaScript ~2, AssemblyScript ~1, Go <1). */
const LANGUAGE_BUILD_COST = { python: 6, rust: 5, c: 4, javascript: 3, assemblyscript: 2, go: 1 };

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const dirAt = args.indexOf('--examples-dir');
  if (dirAt >= 0 && (args[dirAt + 1] ?? '--').startsWith('--')) {
    console.error('--examples-dir takes a directory');
    process.exit(64);
  }
  const examplesDir = dirAt < 0 ? defaultExamplesDir : path.resolve(args[dirAt + 1]);
  const filters = args.filter((a, i) => !a.startsWith('--') && !(dirAt >= 0 && i === dirAt + 1));
  try {
    const index = await buildExamples({ force: args.includes('--force'), filters, examplesDir });
    if (json) process.stdout.write(`${JSON.stringify(index, null, 2)}\n`);
  } catch (err) {
    console.error(err.message);
    if (err.hint) console.error(`hint: ${err.hint}`);
    process.exit(1);
  }
}
