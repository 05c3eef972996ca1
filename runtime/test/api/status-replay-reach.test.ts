/**
 * NodeStatus.replay over real gRPC (issue 57): a real node on its embedded log says how far back a
 * replay reaches — the oldest record it holds, its segments and bytes, the history it keeps
 * (`replayHistory`, decision 2179); a node on the memory log says it holds nothing to replay.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually } from './support/harness.js';
import { artifact } from './support/rollout-node.js';
import { startServedNode, type ServedNode } from './support/served-node.js';

describe('NodeStatus says how far back replay reaches', () => {
  let served: ServedNode;
  let started: number;

  before(async () => {
    started = Date.now();
    served = await startServedNode('caxton-status-reach-', {
      shards: 1,
      replayHistory: { seconds: 3600, bytes: 128 * 1024 * 1024 },
      tail: { filter: { agent: 'echo' }, keep: (e) => e.message.sender?.name.startsWith('echo') === true },
    });
  });
  after(async () => {
    await served?.stop();
  });

  it('on the embedded log: from the oldest record held, with its segments, bytes and the history kept', async () => {
    await served.client.deploy({ name: 'echo', limits: { fuelPerMessage: 2_000_000 } }, await artifact('as-echo', 'as-echo'));
    await served.client.send({ structured: { performative: 'request', receivers: [{ name: 'echo' }], content: 'hello' } });
    await eventually(() => served.replies.length > 0, 'the echo answers', 15_000);

    const { replay } = await served.client.status();
    assert.ok(replay, 'the field arrives');
    assert.equal(replay.source, 'embedded');
    assert.ok(
      replay.oldestRecordAt !== undefined && replay.oldestRecordAt >= started - 1000 && replay.oldestRecordAt <= Date.now(),
      `the log's first segment was made as the node started: ${replay.oldestRecordAt} (started ${started})`,
    );
    assert.equal(replay.segments, 1);
    assert.ok(replay.heldBytes > 24, `the handling's records are held: ${replay.heldBytes} bytes`);
    assert.equal(replay.historySeconds, 3600);
    assert.equal(replay.historyBytes, 128 * 1024 * 1024);
  });

  it('on the memory log: nothing held for a replay, no figures made up', async () => {
    const memory = await startServedNode('caxton-status-reach-memory-', { shards: 1, persistence: 'memory' });
    try {
      assert.deepEqual((await memory.client.status()).replay, {
        source: 'memory',
        segments: 0,
        heldBytes: 0,
        historySeconds: 0,
        historyBytes: 0,
      });
    } finally {
      await memory.stop();
    }
  });
});
