#!/usr/bin/env node
// The `caxton` command. The implementation is TypeScript compiled to cli/dist (npx tsc -b cli);
// `npm run build` also bundles it into cli/dist/bundle (scripts/bundle-cli.mjs, decision 2051),
// which starts several times faster. The bundle runs only while it matches the compiled packages:
// its stamp.json holds the size and mtime of each bundled package's tsc build info as they were
// when it was made, so a `tsc -b` since (or no bundle at all) runs the compiled modules instead.
import { readFileSync, statSync } from 'node:fs';

function bundleIsCurrent() {
  try {
    const stamp = JSON.parse(readFileSync(new URL('../dist/bundle/stamp.json', import.meta.url), 'utf8'));
    const packages = Object.keys(stamp);
    return packages.length > 0 && packages.every((ws) => {
      const s = statSync(new URL(`../../${ws}/dist/tsconfig.tsbuildinfo`, import.meta.url));
      return stamp[ws] === `${s.size}:${s.mtimeMs}`;
    });
  } catch {
    return false;
  }
}

if (process.env.CAXTON_CLI_UNBUNDLED !== '1' && bundleIsCurrent()) await import('../dist/bundle/main.js');
else await import('../dist/src/main.js');
