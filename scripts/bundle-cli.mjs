#!/usr/bin/env node
/**
 * Bundles the `caxton` command (issue 28, decision 2051): cli/dist/bundle/main.js and the chunks it
 * loads lazily, made by esbuild from what tsc wrote to the packages' dist folders. Runs after
 * `tsc -b` as part of `npm run build`. cli/bin/caxton.js runs the bundle when it matches the
 * compiled packages (stamp.json, below) and cli/dist/src/main.js otherwise.
 *
 * Why: a remote command otherwise resolves, reads and compiles some 250 files (core, the CLI's
 * command modules, yargs, grpc-js); one file per command path is most of the start-up left.
 * - The workspace packages, yargs (with cliui and its helpers), @grpc/grpc-js and protobufjs'
 *   light build (with long and @protobufjs/*: plain requires in protobufjs 7.6) are bundled;
 *   every other package stays an import of node_modules, as it is unbundled (protobufjs' full
 *   build and its descriptor extension, proto-loader, OpenTelemetry, Kafka, etcd, the node's servers).
 * - Start-up costs that do none of a command's work are moved off its path (string-width's module
 *   body, Node's IPv6 regex for grpc-js): see the plugin below and decision 2051.
 * - `splitting`: a command's dynamic import() (the node for serve, the toolchain for build, the
 *   client for remote commands) stays a chunk loaded only when that command runs.
 * - Code that finds files beside itself (`new URL('../proto/…', import.meta.url)`) is given the
 *   URL of its own compiled file, relative to the bundle, so it reads what it read unbundled.
 * - string-width (yargs' help layout measures every cell with it: Intl.Segmenter and an emoji
 *   regex per character, the largest single cost of `--help`) answers printable ASCII by its
 *   length, which is exact there, and asks the real module for anything else; wrap-ansi (cliui
 *   wraps every cell with it) returns a printable ASCII result as it is instead of walking it
 *   character by character for escape codes it cannot hold.
 * - meta.json (esbuild's metafile) maps each chunk to the files it holds: the start-up test reads
 *   it to say which compiled modules a run loaded.
 * - stamp.json (cli/bin/bundle-stamp.js) covers the tsc build info of every workspace package the
 *   metafile shows in the bundle, and the package.json of every node_modules package it holds.
 * - One build at a time per checkout (a lock file): two at once would stamp files the other is
 *   still rewriting, or prune what the other just made.
 */
import { build } from 'esbuild';
import { open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { stampOf } from '../cli/bin/bundle-stamp.js';
import { bundledPackageDirs, bundledWorkspaces, chunksToPrune, FAST_NET_MODULE, fastStringWidthSource } from './bundle-cli-policy.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'cli', 'dist', 'bundle');
const LOCK = path.join(root, 'cli', 'dist', 'bundle.lock');
const SUPERSEDED = path.join(outdir, 'superseded.json');
const BUNDLED_PACKAGES =
  /^(@caxton\/|yargs(-parser)?(\/|$)|cliui(\/|$)|y18n(\/|$)|escalade(\/|$)|get-caller-file(\/|$)|string-width(\/|$)|strip-ansi(\/|$)|ansi-regex(\/|$)|wrap-ansi(\/|$)|emoji-regex(\/|$)|get-east-asian-width(\/|$)|ansi-styles(\/|$)|@grpc\/grpc-js(\/|$)|@js-sdsl\/ordered-map(\/|$)|protobufjs\/light\.js$|@protobufjs\/[^/]+$|long$)/;
const FAST_WIDTH = 'caxton-fast-string-width';
const FAST_NET = 'caxton-fast-net';
const GRPC_JS_FILE = /[/\\]node_modules[/\\]@grpc[/\\]grpc-js[/\\]/;
const WRAP_ANSI_ANCHOR = "const preString = rows.join('\\n');";

const cliBundle = {
  name: 'caxton-cli-bundle',
  setup(b) {
    b.onResolve({ filter: /^string-width$/ }, async (args) => {
      if (args.namespace === FAST_WIDTH) return undefined; // the wrapper's own import: the real module
      const real = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, namespace: FAST_WIDTH });
      if (real.errors.length > 0) return { errors: real.errors };
      return { path: real.path, namespace: FAST_WIDTH };
    });
    b.onLoad({ filter: /.*/, namespace: FAST_WIDTH }, (args) => ({
      contents: fastStringWidthSource(args.path), // ASCII answered by its length, the real module required on first other string
      resolveDir: path.dirname(args.path),
    }));
    // grpc-js asks net.isIPv6 of every address it resolves or connects to (FAST_NET_MODULE).
    b.onResolve({ filter: /^(node:)?net$/ }, (args) =>
      GRPC_JS_FILE.test(args.importer) ? { path: 'net', namespace: FAST_NET } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: FAST_NET }, () => ({
      contents: FAST_NET_MODULE,
      loader: 'js',
    }));
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.namespace === FAST_WIDTH && args.path === 'string-width') return undefined;
      if (args.path.startsWith('node:') || !BUNDLED_PACKAGES.test(args.path)) return { path: args.path, external: true };
      return undefined;
    });
    b.onLoad({ filter: /[/\\]node_modules[/\\]wrap-ansi[/\\]index\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes(WRAP_ANSI_ANCHOR))
        throw new Error(`${args.path}: no "${WRAP_ANSI_ANCHOR}" to put the ASCII fast path after; see scripts/bundle-cli.mjs`);
      // What follows the anchor only copies each character and re-opens escape codes and links
      // across line breaks: with no escape character (\x1b, \x9b) in the text, it returns the text.
      return {
        contents: text.replace(WRAP_ANSI_ANCHOR, `${WRAP_ANSI_ANCHOR}\n\tif (/^[\\x20-\\x7e\\n]*$/.test(preString)) return preString;`),
        loader: 'js',
        resolveDir: path.dirname(args.path),
      };
    });
    // .mjs too: yargs finds its locales/ folder from import.meta.url in lib/platform-shims/esm.mjs.
    b.onLoad({ filter: /\.m?js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const own = path.relative(outdir, args.path).split(path.sep).join('/');
      return {
        contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(own)}, import.meta.url).href`),
        loader: 'js',
        resolveDir: path.dirname(args.path),
      };
    });
  },
};

/** What the bundle was made from: the build info of each bundled workspace, the package.json of each bundled dependency. */
export async function bundleStamp(metafile) {
  const stamp = {};
  for (const ws of bundledWorkspaces(metafile.inputs)) {
    const rel = `${ws}/dist/tsconfig.tsbuildinfo`;
    const s = await stat(path.join(root, rel)).catch(() => undefined);
    if (!s)
      throw new Error(
        `the bundle holds ${ws}/ but ${rel} does not exist: build it with tsc -b (a bundled package must have build info for the stamp to cover it)`,
      );
    stamp[rel] = stampOf(s);
  }
  // A bundled package (yargs, grpc-js…) moved by `npm install` makes the bundle stale too.
  for (const dir of bundledPackageDirs(metafile.inputs)) {
    const rel = `${dir}/package.json`;
    stamp[rel] = stampOf(await stat(path.join(root, rel)));
  }
  return stamp;
}

/** Removes the chunks of earlier builds a day after they stopped being current (chunksToPrune). */
async function pruneOldChunks(currentPaths) {
  const current = new Set([...currentPaths].map((p) => path.basename(p)));
  let staleSince = {};
  try {
    const parsed = JSON.parse(await readFile(SUPERSEDED, 'utf8'));
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) staleSince = parsed;
  } catch {
    // none yet, or unreadable: every old chunk starts its day now
  }
  const decided = chunksToPrune({ names: await readdir(outdir), current, staleSince, now: Date.now() });
  for (const name of decided.remove) await rm(path.join(outdir, name), { force: true });
  await writeFile(SUPERSEDED, JSON.stringify(decided.staleSince));
}

/** Takes the build lock (O_EXCL, with the pid); waits for a live holder, takes over from a dead one. */
async function lockBuild() {
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      const handle = await open(LOCK, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return;
    } catch (err) {
      if (err.code === 'ENOENT') throw new Error(`${path.dirname(LOCK)} does not exist: run tsc -b first`);
      if (err.code !== 'EEXIST') throw err;
    }
    const holder = Number.parseInt(await readFile(LOCK, 'utf8').catch(() => ''), 10);
    if (!isAlive(holder)) {
      await rm(LOCK, { force: true });
      continue;
    }
    if (Date.now() > deadline)
      throw new Error(`another bundle build (pid ${holder}) has held ${LOCK} for 10 minutes; remove it if that process is not a build`);
    await sleep(250);
  }
}

function isAlive(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await lockBuild();
  try {
    // The stamp goes first: a caxton started while the files are rewritten runs the compiled modules.
    await rm(path.join(outdir, 'stamp.json'), { force: true });
    const result = await build({
      entryPoints: [path.join(root, 'cli', 'dist', 'src', 'main.js')],
      outdir,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      // grpc-js and yargs' helpers are CommonJS: their require() of Node's modules needs a require.
      // The flag tells cli/bin/caxton.js that bundle code ran, so a missing chunk is no longer retried unbundled.
      banner: {
        js: "import { createRequire as __caxtonCreateRequire } from 'node:module'; const require = __caxtonCreateRequire(import.meta.url); globalThis[Symbol.for('caxton.cli.bundle-evaluated')] = true;",
      },
      plugins: [cliBundle],
      legalComments: 'none',
      logLevel: 'warning',
      metafile: true,
      absWorkingDir: root,
    });
    await writeFile(path.join(outdir, 'meta.json'), JSON.stringify(result.metafile));
    await pruneOldChunks(Object.keys(result.metafile.outputs).map((o) => path.join(root, o)));
    // Written last: a bundle without its stamp is never run.
    await writeFile(path.join(outdir, 'stamp.json'), JSON.stringify(await bundleStamp(result.metafile)));
  } finally {
    await rm(LOCK, { force: true });
  }
}
