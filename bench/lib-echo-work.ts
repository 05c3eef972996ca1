/**
 * `echoWork`, the echo work item, from the sandbox's test fixtures (sandbox/test/fixtures/echo-work.ts)
 * where as-echo-fuel.test.ts bounds the fuel of the same message: one definition for the figure the
 * bench measures and the bound the test holds. Loaded from the sandbox's build, as the bench loads
 * its other fixtures (a test file is not part of @caxton/sandbox's entry point).
 */
type EchoWorkModule = typeof import('../sandbox/test/fixtures/echo-work.js');

export const { echoWork } = (await import(
  new URL('../../sandbox/dist/test/fixtures/echo-work.js', import.meta.url).href
)) as EchoWorkModule;
