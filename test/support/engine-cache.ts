/**
 * Where the test tree's nodes keep the components they prepared: the sandbox tests' shared engine
 * cache (sandbox/test/fixtures/build.ts, a known cache kept between runs), not each node's fresh
 * data directory. Preparing is the sandbox's to test; every fresh node preparing every component
 * again (binaryen loaded, each core module instrumented: 3.5 s of CPU for as-echo, ~15 s for a
 * Python agent on this machine) was much of many files' time (decisions 2132, 2134). Entries are
 * named by the component's digest and the preparing code's versions and written by rename, so
 * nodes in parallel test files may share it. A test may still give a node its own.
 */
const fixtures = new URL('../../../sandbox/dist/test/fixtures/build.js', import.meta.url).href;
export const { TEST_ENGINE_CACHE } = (await import(fixtures)) as { TEST_ENGINE_CACHE: string };
