#!/usr/bin/env node
/**
 * Bundles the console for the node to serve: console/dist/{index.html, app.js, app.css}.
 * Runs after `tsc -b` (which type-checks this package) as part of `npm run build`. esbuild does
 * the bundling only: preact's JSX through its automatic runtime, minified, ES2022, one file.
 *
 * The browser bundle takes only the console contract from @caxton/core: the package's entry point
 * also exports Node-only code (byte counting with node:buffer), so `@caxton/core` is aliased to the
 * contract module, which is types and pure helpers. Importing anything else from @caxton/core in
 * console/src fails this build, loudly, on purpose.
 */
import { build } from 'esbuild';
import { copyFile, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, 'dist');
const contract = path.join(here, '..', 'core', 'dist', 'src', 'console', 'contract.js');

const started = Date.now();
await mkdir(out, { recursive: true });
await build({
  entryPoints: [path.join(here, 'src', 'main.tsx')],
  outfile: path.join(out, 'app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  alias: { '@caxton/core': contract },
  tsconfig: path.join(here, 'tsconfig.json'),
  logLevel: 'warning',
});
await copyFile(path.join(here, 'src', 'app.css'), path.join(out, 'app.css'));
await copyFile(path.join(here, 'src', 'index.html'), path.join(out, 'index.html'));
if (process.env.CAXTON_BUILD_QUIET !== '1') {
  const kib = async (f) => ((await stat(path.join(out, f))).size / 1024).toFixed(1);
  process.stderr.write(`console bundle: app.js ${await kib('app.js')} KiB, app.css ${await kib('app.css')} KiB (${Date.now() - started} ms)\n`);
}
