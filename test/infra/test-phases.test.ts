/**
 * `npm test`'s phases (scripts/test-run/phases.mjs, decision 2117): every file on the LTS, the unit
 * and sandbox suites (CPython file aside) again on the machine's older Node, the files that run
 * alone last and on the LTS; everything on this Node when asked to or when it is the LTS itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../cluster/support/paths.js';

interface TestNode { node: string; version: string; flags: string[] }
interface Phase extends TestNode { files: string[]; concurrency: number; what: string; second?: true }
interface Phases {
  nodeWishes(env: Record<string, string | undefined>, wholeRun: boolean): { onlyThisNode: boolean; secondNode: boolean };
  testPhases(o: { files: string[]; alone: string[]; main: TestNode; thisNode: TestNode; secondNode: boolean; concurrency: number; marker: string }): Phase[];
}
const phases = (): Promise<Phases> => import(pathToFileURL(path.join(ROOT, 'scripts', 'test-run', 'phases.mjs')).href) as Promise<Phases>;

const LTS: TestNode = { node: '/cache/node-24/bin/node', version: '24.21.0', flags: [] };
const MACHINE: TestNode = { node: '/usr/bin/node', version: '20.20.2', flags: ['--experimental-wasm-extended-const'] };
const CORE = path.join('core', 'dist', 'test', 'acl.test.js');
const SANDBOX = path.join('sandbox', 'dist', 'test', 'traps.test.js');
const PYTHON = path.join('sandbox', 'dist', 'test', 'python-agents.test.js');
const RUNTIME = path.join('runtime', 'dist', 'test', 'bus.test.js');
const SOAK = path.join('test', 'dist', 'bus', 'soak.test.js');
const FILES = [CORE, PYTHON, RUNTIME, SANDBOX, SOAK];

test('a whole run: everything on the LTS, core and sandbox again on the machine\'s Node, the lone files last on the LTS', async () => {
  const { nodeWishes, testPhases } = await phases();
  const wishes = nodeWishes({}, true);
  assert.deepEqual(wishes, { onlyThisNode: false, secondNode: true });
  const got = testPhases({ files: FILES, alone: [SOAK], main: LTS, thisNode: MACHINE, secondNode: wishes.secondNode, concurrency: 2, marker: '@alone' });
  assert.deepEqual(got.map((p) => [p.node, p.flags, p.concurrency, p.files]), [
    [LTS.node, [], 2, [CORE, PYTHON, RUNTIME, SANDBOX]],
    [MACHINE.node, MACHINE.flags, 2, [CORE, SANDBOX]],
    [LTS.node, [], 1, [SOAK]],
  ]);
  assert.equal(got[1]!.second, true);
  assert.match(got[1]!.what, /again on this machine's Node 20\.20\.2/);
  // Every file runs on the LTS.
  assert.deepEqual(got.filter((p) => p.node === LTS.node).flatMap((p) => p.files).sort(), [...FILES].sort());
});

test('the escape hatches: CAXTON_TEST_NODE_LTS=0 and CAXTON_TEST_NODE_MINIMUM', async () => {
  const { nodeWishes } = await phases();
  assert.deepEqual(nodeWishes({ CAXTON_TEST_NODE_LTS: '0' }, true), { onlyThisNode: true, secondNode: false });
  assert.deepEqual(nodeWishes({ CAXTON_TEST_NODE_MINIMUM: '0' }, true), { onlyThisNode: false, secondNode: false });
  assert.deepEqual(nodeWishes({}, false), { onlyThisNode: false, secondNode: false }, 'selected files run once, on the LTS');
  assert.deepEqual(nodeWishes({ CAXTON_TEST_NODE_MINIMUM: '1' }, false), { onlyThisNode: false, secondNode: true });
  assert.deepEqual(nodeWishes({ CAXTON_TEST_NODE_LTS: '0', CAXTON_TEST_NODE_MINIMUM: '1' }, false), { onlyThisNode: true, secondNode: false });
});

test('everything on this Node (asked for, the LTS unavailable, or this Node is the LTS): one pass, no second phase', async () => {
  const { testPhases } = await phases();
  const got = testPhases({ files: FILES, alone: [SOAK], main: MACHINE, thisNode: MACHINE, secondNode: true, concurrency: 2, marker: '@alone' });
  assert.deepEqual(got.map((p) => [p.node, p.flags, p.files]), [
    [MACHINE.node, MACHINE.flags, [CORE, PYTHON, RUNTIME, SANDBOX]],
    [MACHINE.node, MACHINE.flags, [SOAK]],
  ]);
});
