/**
 * An agent's state tells the truth after an upgrade that fails: when the new version does not start
 * and the rolled-back old version does not start either, the upgrade's error reaches the caller and
 * the agent is `failed` with the reason — not shown as `running` while no instance of it can run.
 * The puppet's `fail-init-after` makes both versions refuse to start once its time has passed.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { agentArtifact } from './support/artifacts.js';
import { TestNode } from './support/test-node.js';

let t: TestNode;

before(async () => {
  t = await TestNode.start();
});
after(async () => {
  await t?.dispose();
});

test('neither the new nor the rolled-back version starts: the upgrade fails and the agent is failed', async () => {
  // Long enough for the first deploy to start even on a loaded 2-core machine (it took 1.7–2.5 s there).
  const failAfter = Date.now() + 6_000;
  await t.deploy('brittle', 'conformance/puppet', { 'fail-init-after': String(failAfter) });
  assert.equal((await t.control.getAgent('brittle'))?.state, 'running');
  await new Promise((r) => setTimeout(r, Math.max(0, failAfter - Date.now()) + 100));

  await assert.rejects(t.control.upgrade({ name: 'brittle', limits: {} }, await agentArtifact('conformance/puppet')), /init/);
  const status = await t.control.getAgent('brittle');
  assert.equal(status?.state, 'failed', 'no instance can run, so it is not running');
  assert.match(status?.lastError?.message ?? '', /init refuses to start/);
});

test('a failed new version with a healthy old one rolls back and keeps running', async () => {
  await t.deploy('sturdy', 'conformance/puppet');
  // The new version's config makes its init fail at once; the old config still starts.
  await assert.rejects(
    t.control.upgrade({ name: 'sturdy', limits: {}, config: { 'fail-init-after': '0' } }, await agentArtifact('conformance/puppet')),
  );
  assert.equal((await t.control.getAgent('sturdy'))?.state, 'running');
});
