/**
 * A receiver the bus refused as unknown is refused on the sender's shard next time, and reachable
 * again at once when it becomes known (decision 2123). A real node (platform `p`, one shard) runs
 * the lift-bomb agent, whose `F` message sends to `b@p` until `send` returns an error (here its
 * 20-message outbox): the first flood's sends reach the bus and are refused `unknown-receiver`;
 * in the next only the first send reaches the bus (a routing failure's `failure` message, as
 * before), the second is refused on the shard; deploying `b`, or an outside client sending as `b`,
 * makes the next flood's sends reach the bus again.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CaxtonClient } from '@caxton/client';
import { startNode, type RunningNode } from '../../src/start/start-node.js';

interface LiftBombs {
  liftBombComponent(): Promise<Uint8Array>;
  ATTACKS: Record<string, string>;
  MEMORY_CAP_PAGES: number;
}
const liftBombs = (): Promise<LiftBombs> =>
  import(new URL('../../../../sandbox/dist/test/fixtures/lift-bombs.js', import.meta.url).href) as Promise<LiftBombs>;

describe("unknown receivers refused on the sender's shard", () => {
  let dir: string;
  let node: RunningNode;
  let client: CaxtonClient;
  let bombs: LiftBombs;
  let bytes: Uint8Array;
  /** Sends refused `unknown-receiver` by the bus (its `accepted` events). */
  let busRefusals = 0;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-unknown-on-shard-'));
    node = await startNode({ dataDir: dir, apiHost: '127.0.0.1', apiPort: 0, auth: { mode: 'none' }, shards: 1, platform: 'p' });
    client = await CaxtonClient.connect({ address: `127.0.0.1:${node.apiPort}` });
    bombs = await liftBombs();
    bytes = await bombs.liftBombComponent();
    node.events.on(
      (e) => {
        if (e.type === 'accepted') busRefusals += e.refused.filter((r) => r.reason === 'unknown-receiver').length;
      },
      ['accepted'],
    );
  });
  after(async () => {
    client?.close();
    await node?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Sends the flood to `agent`; how its handling ended, and how many sends the bus refused meanwhile. */
  async function flood(agent: string): Promise<{ reason: string; busRefused: number }> {
    const before = busRefusals;
    // The agent also handles the bus's `failure` answers to earlier refused sends: take only the
    // handling of this request, by its message id (events recorded from before the send).
    const outcomes = new Map<string, string>();
    let waiting: { id: string; resolve: (reason: string) => void } | undefined;
    const off = node.events.on(
      (e) => {
        if (e.type !== 'handled' || e.agent !== agent) return;
        const reason = e.outcome.status === 'rejected' ? e.outcome.reason : e.outcome.status;
        outcomes.set(e.messageId, reason);
        if (waiting?.id === e.messageId) waiting.resolve(reason);
      },
      ['handled'],
    );
    let reason: string;
    try {
      const sent = await client.send({
        structured: { performative: 'request', receivers: [{ name: agent }], content: bombs.ATTACKS['sendFlood']! },
      });
      reason = await new Promise<string>((resolve) => {
        const seen = outcomes.get(sent.messageId);
        if (seen !== undefined) resolve(seen);
        else waiting = { id: sent.messageId, resolve };
      });
    } finally {
      off();
    }
    // The handling's sends are refused after it: wait until the bus has refused nothing for a while.
    let seen = -1;
    while (seen !== busRefusals) {
      seen = busRefusals;
      await new Promise((r) => setTimeout(r, 300));
    }
    return { reason, busRefused: busRefusals - before };
  }

  const OUTBOX_FULL = 'outbox full: at most 20 messages per call';

  it('refuses the flood on the shard once the bus refused its receiver, until `b` is deployed', async () => {
    await client.deploy({ name: 'flooder', limits: { memoryPages: bombs.MEMORY_CAP_PAGES, maxOutbox: 20 } }, bytes);
    assert.deepEqual(await flood('flooder'), { reason: OUTBOX_FULL, busRefused: 20 });
    assert.deepEqual(await flood('flooder'), { reason: 'no agent named b@p', busRefused: 1 });
    await client.deploy({ name: 'b', limits: { memoryPages: bombs.MEMORY_CAP_PAGES } }, bytes);
    const reached = await flood('flooder');
    assert.equal(reached.reason, OUTBOX_FULL, 'b@p is an agent now: the sends left the shard at once');
    assert.equal(reached.busRefused, 0, 'and the bus took them');
  });

  it('reaches a name an outside client has sent as at once (an external identity)', async () => {
    await client.deploy({ name: 'flooder-2', limits: { memoryPages: bombs.MEMORY_CAP_PAGES, maxOutbox: 20 } }, bytes);
    await client.stop('b', true);
    assert.deepEqual(await flood('flooder-2'), { reason: OUTBOX_FULL, busRefused: 20 });
    assert.deepEqual(await flood('flooder-2'), { reason: 'no agent named b@p', busRefused: 1 });
    await client.send({
      structured: { performative: 'inform', sender: { name: 'b@p' }, receivers: [{ name: 'flooder-2' }], content: 'hello' },
    });
    const reached = await flood('flooder-2');
    assert.equal(reached.reason, OUTBOX_FULL);
    assert.equal(reached.busRefused, 0, 'b is a known outside sender now: routed as external, not refused');
  });
});
