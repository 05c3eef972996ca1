#!/usr/bin/env node
// The `caxton` command. The implementation is TypeScript compiled to cli/dist (npx tsc -b cli);
// `npm run build` also bundles it into cli/dist/bundle (scripts/bundle-cli.mjs, decision 2051),
// which starts several times faster. The bundle runs only while it matches what it was made from
// (bundle-stamp.js); otherwise, or with CAXTON_CLI_UNBUNDLED=1, the compiled modules run.
import { bundleIsCurrent } from './bundle-stamp.js';

const ROOT = new URL('../../', import.meta.url);
const BUNDLE_DIR = new URL('../dist/bundle/', import.meta.url).href;
/** Set by the first bundle file that runs (its banner, scripts/bundle-cli.mjs): from then on a command may have started. */
const BUNDLE_EVALUATED = Symbol.for('caxton.cli.bundle-evaluated');

/**
 * A bundle file missing although the stamp matched (a user cleaning files, a parallel build's
 * prune): main.js or a chunk it imports statically could not be linked, so no bundle code ran and
 * the compiled modules can run the command instead. A chunk missing later (a command's lazy
 * import) is the command's failure: it may have done part of its work, so it is not run twice.
 */
function isMissingBundleFile(err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || globalThis[BUNDLE_EVALUATED] === true) return false;
  const missing = typeof err.url === 'string' ? err.url : /Cannot find module '([^']+)'/.exec(String(err.message))?.[1];
  if (missing === undefined) return false;
  const url = missing.startsWith('file:') ? missing : new URL(`file://${missing}`).href;
  return url.startsWith(BUNDLE_DIR);
}

if (process.env.CAXTON_CLI_UNBUNDLED !== '1' && bundleIsCurrent(ROOT)) {
  try {
    await import('../dist/bundle/main.js');
  } catch (err) {
    if (!isMissingBundleFile(err)) throw err;
    process.stderr.write(
      `caxton: the bundled CLI is incomplete (${err.url ?? err.message}); running the compiled modules (\`npm run build\` remakes the bundle)\n`,
    );
    await import('../dist/src/main.js');
  }
} else {
  await import('../dist/src/main.js');
}
