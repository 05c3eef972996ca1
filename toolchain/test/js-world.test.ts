/** The pure parts of choosing a JavaScript agent's world (src/js-world.ts). */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { missingImportHint } from '../src/javascript.js';
import { NARROWED_WORLD, planWorldNarrowing, unresolvedAgentInterface } from '../src/js-world.js';
import { defaultWitPath } from '../src/wit.js';
import { tempOutDir } from './fixtures.js';

describe('JavaScript agent world narrowing', () => {
  it('offers state, http, topics and message-info of the agent world and writes a world importing host plus what is used', async () => {
    const plan = planWorldNarrowing(defaultWitPath(), 'agent');
    assert.ok(plan);
    assert.deepEqual(plan.optional, ['state', 'http', 'topics', 'message-info']);
    const dir = tempOutDir('js-world');
    const { witPath, world } = await plan.write(dir, ['http']);
    assert.equal(world, NARROWED_WORLD);
    const text = readFileSync(witPath, 'utf8');
    assert.match(text, new RegExp(`world ${NARROWED_WORLD} \\{\\n  import host;\\n  import http;\\n  export guest;\\n\\}\\n$`));
    assert.ok(text.startsWith(readFileSync(defaultWitPath(), 'utf8')), 'the agent world itself is kept unchanged');
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
    assert.equal(unresolvedAgentInterface(text('caxton:agent/http@0.1.0'), ['state']), undefined);
    assert.equal(unresolvedAgentInterface(text('caxton:agent/files@0.1.0'), ['state', 'http']), undefined);
    assert.equal(unresolvedAgentInterface(text('lodash'), ['state', 'http']), undefined);
  });

  it('explains a caxton: import the world does not have instead of suggesting npm install', () => {
    const hint = missingImportHint('failed to resolve JavaScript import "caxton:agent/files@0.1.0" from /p/a.js', 'proj');
    assert.equal(hint, 'caxton:agent/files@0.1.0 is not an interface of the world this agent is built against (see wit/agent.wit)');
  });
});
