// What a test run left in the OS temp dir (decision 2128). scripts/test.mjs notes the `caxton-*`
// entries before the run and, at its end, names those the run added that are not a known cache:
// a warning, not a failure (a test killed at its deadline can leave one legitimately, and another
// engineer's run on the same machine may add some of its own meanwhile).
import { readdirSync } from 'node:fs';

/**
 * The caches kept in the temp dir on purpose, shared between test files and between runs; each is
 * named where it is made, with a comment saying so.
 */
export const KNOWN_TEMP_CACHES = [
  /^caxton-sandbox-fixtures-\d+$/, // sandbox/test/fixtures/build.ts: built fixture components
  /^caxton-sandbox-test-cache-\d+$/, // sandbox/test/fixtures/build.ts: TEST_ENGINE_CACHE (also the test trees' nodes', decision 2134)
  /^caxton-c-sdk-test-\d+$/, // sandbox/test/c-agents.test.ts: the C SDK's test agent, built with reuse
  /^caxton-bench-sandbox-\d+$/, // bench/sandbox.ts: the bench's engine cache
  /^caxton-bench-[0-9a-f]{16}$/, // sdk-assemblyscript/bench/lib.mjs: jco's output, one per component
  /^caxton-jade-bench-[0-9a-f]{16}$/, // bench/lib-jade.ts: the compiled JADE harness
];

/** The `caxton-*` entries of `dir` (none if it cannot be read). */
export function caxtonTempEntries(dir) {
  try {
    return readdirSync(dir).filter((name) => name.startsWith('caxton-'));
  } catch {
    return [];
  }
}

/** The entries of `after` that were not in `before` and are not a known cache, sorted. */
export function leftTempEntries(before, after) {
  const had = new Set(before);
  return after.filter((name) => !had.has(name) && !KNOWN_TEMP_CACHES.some((re) => re.test(name))).sort();
}

/** The warning lines for what was left, grouped by prefix (the name without its random tail); none if nothing. */
export function leftoverWarning(left, dir) {
  if (left.length === 0) return [];
  const byPrefix = new Map();
  for (const name of left) {
    const prefix = name.replace(/-[A-Za-z0-9]{6}$/, '-*');
    byPrefix.set(prefix, (byPrefix.get(prefix) ?? 0) + 1);
  }
  return [
    `warning: the run left ${left.length} entr${left.length === 1 ? 'y' : 'ies'} in ${dir} that no known cache explains ` +
      '(a test that makes a temp dir must remove it; a killed test or another run on this machine can leave some too):',
    ...[...byPrefix].map(([prefix, n]) => `  ${n > 1 ? `${n} × ` : ''}${prefix}`),
  ];
}
