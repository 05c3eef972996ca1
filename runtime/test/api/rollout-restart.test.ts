/**
 * A rollout does not survive a restart (decision 1871): the restarted node finds it open in its
 * audit trail, writes its closing `AbortRollout` record and shows it aborted, once.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { artifact } from './support/rollout-node.js';
import { intents } from './support/audit-intents.js';
import { startServedNode } from './support/served-node.js';

describe('a rollout the node restarted during', () => {
  it('is closed at start (AbortRollout, the restart as reason) and shown aborted in the list', async () => {
    const echo = await artifact('as-echo', 'as-echo');
    const counter = await artifact('as-counter', 'as-counter');
    const served = await startServedNode('caxton-rollout-restart-', { shards: 1 });
    try {
      await served.client.deploy({ name: 'restarted' }, echo);
      await served.client.upgrade(
        { name: 'restarted', rollout: { strategy: { kind: 'canary', percent: 25 }, thresholds: { bakeMs: 90_000, maxP99Ms: 700 } } },
        counter,
      );

      await served.restart();
      const listed = (await served.client.listAgents()).find((a) => a.name === 'restarted');
      assert.equal(listed?.version, 1, 'back on the running version');
      assert.equal(listed?.rollout?.phase, 'aborted');
      assert.equal(listed?.rollout?.candidateVersion, 2);
      assert.deepEqual(listed?.rollout?.strategy, { kind: 'canary', percent: 25 });
      assert.deepEqual(
        { bakeMs: listed?.rollout?.thresholds.bakeMs, maxP99Ms: listed?.rollout?.thresholds.maxP99Ms },
        { bakeMs: 90_000, maxP99Ms: 700 },
        'the thresholds asked',
      );
      assert.match(listed?.rollout?.reason ?? '', /started with this rollout open/);
      const closing = await intents(served.client, 'AbortRollout', 'restarted');
      assert.equal(closing.length, 1);
      assert.deepEqual({ outcome: closing[0]?.outcome, version: closing[0]?.version }, { outcome: 'aborted', version: '2' });

      // A second restart finds it closed: no second record.
      await served.restart();
      assert.equal((await intents(served.client, 'AbortRollout', 'restarted')).length, 1, 'closed once');
    } finally {
      await served.stop();
    }
  });
});
