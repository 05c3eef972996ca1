/**
 * The JavaScript SDK's state and http objects, end to end through jco (see state-http-sdk-cases.ts),
 * and the build giving a JS agent only the agent-world interfaces its modules import.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { buildAgent } from '../src/index.js';
import { jsMirrorDir, jsStateHttpDir } from './fixtures.js';
import { loadAgent } from './harness.js';
import { stateHttpCases } from './state-http-sdk-cases.js';

stateHttpCases('JavaScript', async () => (await buildAgent(jsStateHttpDir, { reuse: true })).artifactPath);

it('a JavaScript agent that uses neither state nor http imports only caxton:agent/host', async () => {
  const mirror = await loadAgent((await buildAgent(jsMirrorDir, { reuse: true })).artifactPath);
  assert.deepEqual(
    mirror.imports.filter((i) => i.startsWith('caxton:')),
    ['caxton:agent/host'],
  );
});
