/**
 * The AssemblyScript SDK's state and http ABI layer, end to end through jco (see
 * state-http-sdk-cases.ts), under both garbage collectors like the mirror's round trip.
 */
import assert from 'node:assert/strict';
import { cpSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { buildAgent } from '../src/index.js';
import { asMirrorDir, asStateHttpDir, tempOutDir } from './fixtures.js';
import { loadAgent } from './harness.js';
import { stateHttpCases } from './state-http-sdk-cases.js';

stateHttpCases('AssemblyScript (incremental runtime)', async () => (await buildAgent(asStateHttpDir, { reuse: true })).artifactPath);
stateHttpCases('AssemblyScript (minimal runtime)', async () => {
  const dir = tempOutDir('as-state-http-minimal');
  cpSync(path.join(asStateHttpDir, 'assembly'), path.join(dir, 'assembly'), { recursive: true });
  writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'sdk-as-state-http-minimal', caxton: { language: 'assemblyscript', runtime: 'minimal' } }),
  );
  return (await buildAgent(dir)).artifactPath;
});

it('an AssemblyScript agent that uses neither state nor http imports only caxton:agent/host', async () => {
  const mirror = await loadAgent((await buildAgent(asMirrorDir, { reuse: true })).artifactPath);
  assert.deepEqual(
    mirror.imports.filter((i) => i.startsWith('caxton:')),
    ['caxton:agent/host'],
  );
});
