#!/usr/bin/env node
/**
 * Bundles the `caxton` command (issue 28, decision 2051): cli/dist/bundle/main.js and the chunks it
 * loads lazily, made by esbuild from what tsc wrote to the packages' dist folders. Runs after
 * `tsc -b` as part of `npm run build`. cli/bin/caxton.js runs the bundle when it matches the
 * compiled packages (stamp.json, below) and cli/dist/src/main.js otherwise.
 *
 * Why: a remote command otherwise resolves, reads and compiles some 250 files (core, the CLI's
 * command modules, yargs, grpc-js); one file per command path is most of the start-up left.
 * - The workspace packages, yargs (with cliui and its helpers) and @grpc/grpc-js are bundled;
 *   every other package stays an import of node_modules, as it is unbundled (protobufjs, whose
 *   optional requires esbuild cannot follow; OpenTelemetry, Kafka, etcd, the node's servers).
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
 */
import { build } from 'esbuild';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'cli', 'dist', 'bundle');
/** The packages whose tsc output is bundled: the bundle is current while their build info is. */
export const BUNDLED_WORKSPACES = ['core', 'client', 'sandbox', 'toolchain', 'runtime', 'cli'];
const BUNDLED_PACKAGES = /^(@caxton\/|yargs(-parser)?(\/|$)|cliui(\/|$)|y18n(\/|$)|escalade(\/|$)|get-caller-file(\/|$)|string-width(\/|$)|strip-ansi(\/|$)|ansi-regex(\/|$)|wrap-ansi(\/|$)|emoji-regex(\/|$)|get-east-asian-width(\/|$)|ansi-styles(\/|$)|@grpc\/grpc-js(\/|$)|@js-sdsl\/ordered-map(\/|$))/;
const FAST_WIDTH = 'caxton-fast-string-width';
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
      // Printable ASCII (no escape codes, no controls) is one column per character in every mode of string-width.
      contents: `import realWidth from ${JSON.stringify(args.path)};
const PRINTABLE_ASCII = /^[\\x20-\\x7e]*$/;
export default function stringWidth(text, options) {
  return typeof text === 'string' && PRINTABLE_ASCII.test(text) ? text.length : realWidth(text, options);
}`,
      resolveDir: path.dirname(args.path),
    }));
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.namespace === FAST_WIDTH && args.path === 'string-width') return undefined;
      if (args.path.startsWith('node:') || !BUNDLED_PACKAGES.test(args.path)) return { path: args.path, external: true };
      return undefined;
    });
    b.onLoad({ filter: /[/\\]node_modules[/\\]wrap-ansi[/\\]index\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes(WRAP_ANSI_ANCHOR)) throw new Error(`${args.path}: no "${WRAP_ANSI_ANCHOR}" to put the ASCII fast path after; see scripts/bundle-cli.mjs`);
      // What follows the anchor only copies each character and re-opens escape codes and links
      // across line breaks: with no escape character (\x1b, \x9b) in the text, it returns the text.
      return { contents: text.replace(WRAP_ANSI_ANCHOR, `${WRAP_ANSI_ANCHOR}\n\tif (/^[\\x20-\\x7e\\n]*$/.test(preString)) return preString;`), loader: 'js', resolveDir: path.dirname(args.path) };
    });
    b.onLoad({ filter: /\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const own = path.relative(outdir, args.path).split(path.sep).join('/');
      return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(own)}, import.meta.url).href`), loader: 'js', resolveDir: path.dirname(args.path) };
    });
  },
};

/** What the bundle was made from: size and mtime of each bundled package's tsc build info. */
export async function buildInfoStamp() {
  const stamp = {};
  for (const ws of BUNDLED_WORKSPACES) {
    const s = await stat(path.join(root, ws, 'dist', 'tsconfig.tsbuildinfo'));
    stamp[ws] = `${s.size}:${s.mtimeMs}`;
  }
  return stamp;
}

/**
 * Chunks are named by their content, and a running caxton (a `serve` for days) imports some only
 * when it needs them: the chunks of earlier builds are kept for a day, so a rebuild under a
 * running process does not take away what it will import, then removed.
 */
async function pruneOldChunks(current) {
  const dayAgo = Date.now() - 24 * 3600 * 1000;
  for (const name of await readdir(outdir)) {
    const file = path.join(outdir, name);
    if (!name.endsWith('.js') || current.has(file)) continue;
    if ((await stat(file)).mtimeMs < dayAgo) await rm(file, { force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
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
    banner: { js: "import { createRequire as __caxtonCreateRequire } from 'node:module'; const require = __caxtonCreateRequire(import.meta.url);" },
    plugins: [cliBundle],
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
    absWorkingDir: root,
  });
  await writeFile(path.join(outdir, 'meta.json'), JSON.stringify(result.metafile));
  await pruneOldChunks(new Set(Object.keys(result.metafile.outputs).map((o) => path.join(root, o))));
  // Written last: a bundle without its stamp is never run.
  await writeFile(path.join(outdir, 'stamp.json'), JSON.stringify(await buildInfoStamp()));
}
