/**
 * The pure decisions of scripts/bundle-cli.mjs (decision 2051), apart so that they are unit-tested
 * (cli/test/bundle-stamp.test.ts): which files the stamp must cover, which old chunks a build
 * removes, and the `net` grpc-js is given. No I/O here.
 */

/**
 * The `net` module grpc-js requires in the bundle (CommonJS source): Node's, but `isIPv6` of a
 * string without ':' is false without asking Node, whose first call compiles its large IPv6
 * regular expression (~8 ms of every remote command). Every IPv6 text form holds at least two
 * colons, so the answer is Node's for every input; anything else goes to Node's function.
 */
export const FAST_NET_MODULE = `const net = require('node:net');
const isIPv6 = (s) => (typeof s === 'string' && !s.includes(':') ? false : net.isIPv6(s));
module.exports = Object.create(net, {
  isIPv6: { value: isIPv6, enumerable: true },
  isIP: { value: (s) => (net.isIPv4(s) ? 4 : isIPv6(s) ? 6 : 0), enumerable: true },
});`;

/**
 * The module that stands in for string-width in the bundle (ESM source; `realPath` is the real
 * string-width it wraps: yargs, cliui and wrap-ansi each have their own copy). Printable ASCII (no
 * escape codes, no controls) is one column per character in every mode of string-width, so it is
 * answered by its length; anything else goes to the real module. That module is required on first
 * need, not imported: evaluating it builds an Intl.Segmenter and (string-width 8) a \p{RGI_Emoji}
 * regular expression, ~15 ms of every start-up before a single width is asked. esbuild bundles the
 * require (the module evaluated lazily, once).
 */
export function fastStringWidthSource(realPath) {
  return `let realWidth;
const PRINTABLE_ASCII = /^[\\x20-\\x7e]*$/;
export default function stringWidth(text, options) {
  if (typeof text === 'string' && PRINTABLE_ASCII.test(text)) return text.length;
  realWidth ??= require(${JSON.stringify(realPath)}).default;
  return realWidth(text, options);
}`;
}

/** How long a chunk is kept after it stopped being part of the current bundle. */
export const CHUNK_GRACE_MS = 24 * 3600 * 1000;

/**
 * The workspace packages the bundle holds, from esbuild's metafile inputs (paths relative to the
 * root, or `namespace:path` for what a plugin made): the first folder of every input outside
 * node_modules. Derived, not listed by hand, so a package the CLI starts to import is stamped too.
 */
export function bundledWorkspaces(inputs) {
  const found = new Set();
  for (const input of Object.keys(inputs)) {
    if (/^[a-z-]+:/.test(input)) continue;
    const parts = input.split(/[/\\]/);
    if (parts[0] === 'node_modules' || parts.length < 2) continue;
    found.add(parts[0]);
  }
  return [...found].sort();
}

/**
 * The folders of the node_modules packages the bundle holds (yargs, grpc-js…, nested copies too),
 * from the same inputs: `node_modules/<name>` or `node_modules/@scope/<name>`, up to the last
 * node_modules of the path. The stamp covers each one's package.json, so an `npm install` that
 * moves one makes the bundle stale, while one that only prunes others (`npm prune --omit=dev`
 * in the Docker build) does not.
 */
export function bundledPackageDirs(inputs) {
  const found = new Set();
  for (const input of Object.keys(inputs)) {
    if (/^[a-z-]+:/.test(input)) continue;
    const parts = input.split(/[/\\]/);
    const last = parts.lastIndexOf('node_modules');
    if (last < 0 || last + 1 >= parts.length) continue;
    const width = parts[last + 1].startsWith('@') ? 2 : 1;
    if (last + 1 + width >= parts.length) continue;
    found.add(parts.slice(0, last + 1 + width).join('/'));
  }
  return [...found].sort();
}

/**
 * Which `.js` files of the bundle folder to remove. `staleSince` records, per file name, when a
 * build first found it no longer current: a chunk is removed a grace period after that, never
 * sooner, because a running caxton (a `serve` for days) imports some chunks only when it needs
 * them. (A file's mtime would not do: esbuild rewrites every output on every build, so a chunk's
 * mtime is the build before the one that superseded it.) Returns the files to remove and the
 * record to keep for the next build: current files leave it, vanished ones too.
 */
export function chunksToPrune({ names, current, staleSince, now, graceMs = CHUNK_GRACE_MS }) {
  const remove = [];
  const next = {};
  for (const name of names) {
    if (!name.endsWith('.js') || current.has(name)) continue;
    const since =
      typeof staleSince[name] === 'number' && Number.isFinite(staleSince[name]) && staleSince[name] <= now ? staleSince[name] : now;
    if (now - since >= graceMs) remove.push(name);
    else next[name] = since;
  }
  return { remove, staleSince: next };
}
