/**
 * A prepared artifact records whether its component imports the state interface's writes
 * (caxton:agent/state `set` or `delete`): what a cluster reads to refuse scaling an agent that may
 * keep state to stateless workers across nodes (decision 2163). Read from the component's imports,
 * so an agent that never calls `State.set` does not import it (AssemblyScript imports only what is
 * called). The examples are built by scripts/build-examples.mjs (`npm test` builds them first).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { example } from './fixtures/build.js';
import { testEngine } from './helpers.js';

const engine = testEngine();

function built(path: string): Uint8Array {
  const bytes = example(path);
  assert.ok(bytes !== null, `examples/${path} is built (scripts/build-examples.mjs)`);
  return bytes;
}

it('an agent that writes state is recorded as writing state; a stateless worker is not', async () => {
  const writer = await engine.loadArtifact(built('as-replica-echo/build/as-replica-echo.wasm'));
  assert.equal(writer.manifest.writesState, true, 'the replica echo calls State.set');
  const counter = await engine.loadArtifact(built('as-state-counter/build/as-state-counter.wasm'));
  assert.equal(counter.manifest.writesState, true);
  const worker = await engine.loadArtifact(built('as-worker/build/as-worker.wasm'));
  assert.equal(worker.manifest.writesState, false, 'the worker keeps nothing durable');
  const echo = await engine.loadArtifact(built('as-echo/build/as-echo.wasm'));
  assert.equal(echo.manifest.writesState, false);
});
