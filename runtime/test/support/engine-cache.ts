/**
 * Where the runtime tests' nodes keep the components they prepared: the sandbox tests' shared engine
 * cache (sandbox/test/fixtures/build.ts, a known cache kept between runs) rather than each test's
 * fresh data directory, whose cold preparation (3.5 s of CPU for as-echo on this machine) was much
 * of many files' time (decisions 2132, 2134). The test tree's nodes use the same one
 * (test/support/engine-cache.ts). Tests about preparation itself give their node its own.
 */
const fixtures = new URL('../../../../sandbox/dist/test/fixtures/build.js', import.meta.url).href;
export const { TEST_ENGINE_CACHE } = (await import(fixtures)) as { TEST_ENGINE_CACHE: string };
