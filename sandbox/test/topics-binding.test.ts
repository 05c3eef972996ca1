/**
 * caxton:agent/topics through both bindings (decision 1961), with a real AssemblyScript agent
 * (examples/conformance/topic-probe): the direct path binds it (the probe stays direct), jco's glue
 * too, and both give the same typed answers and the same directory effects — the calls' changes,
 * in order, handed back with the result, never applied in the sandbox. A name over its cap is
 * refused from its length; a trap hands back no effect; init's subscriptions come back with init.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { buildAgent } from '@caxton/toolchain';
import { Engine } from '../src/engine.js';
import { Sandbox } from '../src/sandbox.js';
import type { WorkResult } from '../src/results.js';
import { REPO, TEST_ENGINE_CACHE } from './fixtures/build.js';
import { work } from './helpers.js';

let artifact: Uint8Array;

before(async () => {
  const built = await buildAgent(join(REPO, 'examples/conformance/topic-probe'), { reuse: true });
  artifact = new Uint8Array(readFileSync(built.artifactPath));
});

const SCRIPT = [
  'sub jobs {"all":[{"field":"performative","match":{"in":["cfp","propose"]}},{"field":"X-region","match":{"prefix":"eu-"}}]}',
  'sub bad!name',
  'sub jobs2 {"all":[{"field":"performative","match":{"equals":"cfp"}}],"any":[]}',
  'sub-long 100000',
  'unsub jobs',
  'sub plain',
].join('\n');

const outcomes: Record<string, { logs: string[]; directory: WorkResult['directory'] }> = {};

for (const binding of ['auto', 'jco'] as const) {
  const path = binding === 'auto' ? 'direct' : 'jco';
  describe(`topics on the ${path} path`, () => {
    let sandbox: Sandbox;
    const agent = `probe-${path}@test`;

    before(async () => {
      sandbox = new Sandbox({ engine: new Engine({ cacheDir: TEST_ENGINE_CACHE, binding }), newId: () => 'id' });
      await sandbox.deploy({
        name: agent,
        artifact,
        limits: { fuelPerMessage: 20_000_000, memoryPages: 32 },
        config: { subscribe: 'boot' },
      });
    });

    it(`runs on the ${path} path; its calls return typed errors and hand back the accepted changes in order`, () => {
      assert.equal(sandbox.agent(agent)!.artifact.manifest.path, path);
      const r = sandbox.run(work(agent, SCRIPT));
      assert.equal(r.status, 'ok', JSON.stringify(r.status === 'crashed' ? r.message : r.status));
      const logs = r.logs.map((l) => l.message);
      assert.equal(logs[0], 'sub jobs: ok');
      assert.match(logs[1]!, /^sub bad!name: invalid-name: /);
      assert.match(logs[2]!, /^sub jobs2: invalid-filter: filter\.any: is not a filter key/);
      assert.equal(logs[3], 'sub-long 100000: invalid-name: the topic name has 100000 code units; at most 200');
      assert.equal(logs[4], 'unsub jobs: ok');
      assert.equal(logs[5], 'sub plain: ok');
      assert.deepEqual(r.directory, [
        {
          kind: 'subscribe-topic',
          topic: 'jobs',
          filter: {
            all: [
              { field: 'performative', match: { in: ['cfp', 'propose'] } },
              { field: 'X-region', match: { prefix: 'eu-' } },
            ],
          },
        },
        { kind: 'unsubscribe-topic', topic: 'jobs' },
        { kind: 'subscribe-topic', topic: 'plain' },
      ]);
      outcomes[path] = { logs, directory: r.directory };
    });

    it("a trap hands back none of the call's changes", () => {
      const r = sandbox.run(work(agent, 'sub lost\ncrash'));
      assert.equal(r.status, 'crashed');
      assert.deepEqual(r.directory, []);
    });
  });
}

describe('both paths', () => {
  it('answer alike', () => {
    assert.deepEqual(outcomes['direct'], outcomes['jco']);
  });
});
