/** The pure parts of choosing a JavaScript agent's world (src/js-world.ts). */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { resolveJco } from '../src/component.js';
import { missingImportHint } from '../src/javascript.js';
import { toolchainPackageDir } from '../src/toolchain.js';
import {
  NARROWED_WORLD,
  planWorldNarrowing,
  unresolvedAgentInterface,
  unresolvedWasiFiles,
  WASI_FILES_INTERFACES,
  WASI_FILES_VERSION,
} from '../src/js-world.js';
import { defaultWitPath } from '../src/wit.js';
import { tempOutDir } from './fixtures.js';

describe('JavaScript agent world narrowing', () => {
  it('offers state, http, a2a, topics and message-info of the agent world and writes a world importing host plus what is used', async () => {
    const plan = planWorldNarrowing(defaultWitPath(), 'agent');
    assert.ok(plan);
    assert.deepEqual(plan.optional, ['state', 'http', 'a2a', 'topics', 'message-info']);
    const dir = tempOutDir('js-world');
    const { witPath, world } = await plan.write(dir, ['http']);
    assert.equal(world, NARROWED_WORLD);
    const text = readFileSync(witPath, 'utf8');
    assert.match(text, new RegExp(`world ${NARROWED_WORLD} \\{\\n  import host;\\n  import http;\\n  export guest;\\n\\}\\n$`));
    assert.ok(text.startsWith(readFileSync(defaultWitPath(), 'utf8')), 'the agent world itself is kept unchanged');
  });

  it('with the SDK’s files, writes a WIT folder whose world also imports wasi:filesystem, with the WASI packages it uses (decision 2191)', async () => {
    const plan = planWorldNarrowing(defaultWitPath(), 'agent');
    assert.ok(plan);
    const jcoWit = path.join(resolveJco([toolchainPackageDir()]).dir, 'lib', 'wit', 'builtin', WASI_FILES_VERSION);
    const { witPath } = await plan.write(tempOutDir('js-world'), [], jcoWit);
    const text = readFileSync(path.join(witPath, 'agent-world.wit'), 'utf8');
    for (const i of WASI_FILES_INTERFACES) assert.match(text, new RegExp(`  import ${i.replace(/[/.]/g, '\\$&')};\n`));
    for (const pkg of ['wasi-io', 'wasi-clocks', 'wasi-filesystem']) assert.ok(existsSync(path.join(witPath, 'deps', pkg)), pkg);
    const text2 = `failed to resolve JavaScript import "wasi:filesystem/preopens@${WASI_FILES_VERSION}" from /p/e.js`;
    assert.equal(unresolvedWasiFiles(text2), true);
    assert.equal(unresolvedWasiFiles('failed to resolve JavaScript import "wasi:sockets/tcp@0.2.12" from /p/e.js'), false);
  });

  it('leaves other worlds and WIT packages alone', () => {
    assert.equal(planWorldNarrowing(defaultWitPath(), 'other'), undefined);
    const dir = tempOutDir('js-world');
    const foreign = path.join(dir, 'x.wit');
    writeFileSync(foreign, 'package acme:thing@1.0.0;\ninterface host { f: func(); }\nworld agent { import host; }\n');
    assert.equal(planWorldNarrowing(foreign, 'agent'), undefined);
    assert.equal(planWorldNarrowing(dir, 'agent'), undefined, 'a WIT directory is used as given');
  });

  it('recognises QuickJS failing to resolve an optional interface, and nothing else', () => {
    const text = (spec: string): string =>
      `Error resolving module '${spec}' from '/e.js': filesystem module not found: failed to resolve JavaScript import "${spec}" from /p/e.js`;
    assert.equal(unresolvedAgentInterface(text('caxton:agent/state@0.1.0'), ['state', 'http']), 'state');
    assert.equal(unresolvedAgentInterface(text('caxton:agent/http@0.1.0'), ['state', 'http']), 'http');
    assert.equal(unresolvedAgentInterface(text('caxton:agent/a2a@0.1.0'), ['http', 'a2a']), 'a2a', 'a name with a digit (decision 2193)');
    assert.equal(unresolvedAgentInterface(text('caxton:agent/http@0.1.0'), ['state']), undefined);
    assert.equal(unresolvedAgentInterface(text('caxton:agent/files@0.1.0'), ['state', 'http']), undefined);
    assert.equal(unresolvedAgentInterface(text('lodash'), ['state', 'http']), undefined);
  });

  it('explains a caxton: import the world does not have instead of suggesting npm install', () => {
    const hint = missingImportHint('failed to resolve JavaScript import "caxton:agent/files@0.1.0" from /p/a.js', 'proj');
    assert.equal(hint, 'caxton:agent/files@0.1.0 is not an interface of the world this agent is built against (see wit/agent.wit)');
  });
});
