/** The AssemblyScript SDK's state and http ABI layer, end to end through jco (see state-http-sdk-cases.ts). */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { buildAgent } from '../src/index.js';
import { asMirrorDir, asStateHttpDir } from './fixtures.js';
import { loadAgent } from './harness.js';
import { stateHttpCases } from './state-http-sdk-cases.js';

stateHttpCases('AssemblyScript', async () => (await buildAgent(asStateHttpDir, { reuse: true })).artifactPath);

it('an AssemblyScript agent that uses neither state nor http imports only caxton:agent/host', async () => {
  const mirror = await loadAgent((await buildAgent(asMirrorDir, { reuse: true })).artifactPath);
  assert.deepEqual(mirror.imports.filter((i) => i.startsWith('caxton:')), ['caxton:agent/host']);
});
