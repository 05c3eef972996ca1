// Which Node runs which test files in `npm test`, in which order (decision 2117). Pure: the runner
// (scripts/test.mjs) finds the files and the Nodes, this decides; test/infra/test-phases.test.ts
// checks it.
//
// Every file runs on the current Node LTS, the Node the product runs on (`productNode()`, decision
// 2115: pinned, installed into the cache on first use). The pure-logic unit suite and the sandbox
// suite run a second time on this machine's own Node when it is older (the engines' minimum, still
// supported): pure logic can rely on what a V8 changed (Node 24's JSON.parse key bug, decision
// 1820), and V8 is what the sandbox sandboxes with (memory reservation, traps, wasm feature flags)
// — all of the sandbox but the CPython file, whose 18 MB components alone would cost the phase
// minutes (decision 1820). Files marked `@test-runs-alone` run last, one at a time, on the LTS.
import path from 'node:path';

export const SECOND_NODE_SUITES = ['core/dist/test', 'sandbox/dist/test'];
export const SECOND_NODE_LEFT_OUT = [path.join('sandbox', 'dist', 'test', 'python-agents.test.js')];

/**
 * What the environment asks for. `CAXTON_TEST_NODE_LTS=0` runs everything on this Node only
 * (`CAXTON_NODE=machine`, which keeps the product there, does the same through productNode()).
 * The second phase is on by default in a whole run; `CAXTON_TEST_NODE_MINIMUM=0` skips it, `=1`
 * adds it to a run of selected files.
 * @param {Record<string, string | undefined>} env
 * @param {boolean} wholeRun no files or folders were named
 */
export function nodeWishes(env, wholeRun) {
  const onlyThisNode = env['CAXTON_TEST_NODE_LTS'] === '0';
  const secondNode = !onlyThisNode && (env['CAXTON_TEST_NODE_MINIMUM'] ?? (wholeRun ? '1' : '0')) !== '0';
  return { onlyThisNode, secondNode };
}

/**
 * @typedef {{ node: string, version: string, flags: string[] }} TestNode
 * @typedef {TestNode & { files: string[], concurrency: number, what: string, second?: true }} Phase
 * @param {{ files: string[], alone: string[], main: TestNode, thisNode: TestNode, secondNode: boolean,
 *   concurrency: number, marker: string }} o `main` is `thisNode` itself when everything runs here
 * @returns {Phase[]} in the order they run, the empty ones left out
 */
export function testPhases(o) {
  const shared = o.files.filter((f) => !o.alone.includes(f));
  const again = o.secondNode && o.main.node !== o.thisNode.node
    ? shared.filter((f) => SECOND_NODE_SUITES.some((s) => f.startsWith(s + path.sep)) && !SECOND_NODE_LEFT_OUT.includes(f))
    : [];
  /** @type {Phase[]} */
  const phases = [
    { files: shared, concurrency: o.concurrency, what: `on Node ${o.main.version}, ${o.concurrency} at a time`, ...o.main },
    { files: again, concurrency: o.concurrency, what: `the unit and sandbox suites again on this machine's Node ${o.thisNode.version}, ${o.concurrency} at a time`, ...o.thisNode, second: true },
    { files: o.alone, concurrency: 1, what: `on Node ${o.main.version}, one at a time, each alone on the machine (${o.marker})`, ...o.main },
  ];
  return phases.filter((p) => p.files.length > 0);
}
