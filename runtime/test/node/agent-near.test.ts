/**
 * `deploy --near` on one embedded node (decision 2189), through the node's control: a real WASM
 * agent placed near another records the placement (noted: one node runs every agent), keeps it
 * across a restart, an upgrade and a rollback; an upgrade naming another `--near` is refused typed;
 * the fallbacks deploy the agent by its own name with a note; a kind given `--near` is refused.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { startNode } from '../../src/start/start-node.js';
import { example } from '../support/examples.js';

test('near: recorded, kept by restart, upgrade and rollback; changed refused; fallbacks noted; a kind refused', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'caxton-agent-near-'));
  try {
    const base = {
      dataDir: path.join(dataDir, 'node'),
      apiHost: '127.0.0.1',
      apiPort: 0,
      auth: { mode: 'none' as const },
      api: false,
      shards: 1,
    };
    const echo = await example('as-echo');
    const first = await startNode(base);
    try {
      await first.control.deploy({ name: 'echo', limits: {}, config: {} }, echo);
      const ping = await first.control.deploy({ name: 'ping', limits: {}, config: {}, near: 'echo' }, echo);
      assert.equal(ping.near?.agent, 'echo');
      assert.equal(ping.near?.key, 'echo');
      assert.match(ping.near?.note ?? '', /one node/);
      // A chain collapses to its root.
      const pong = await first.control.deploy({ name: 'pong', limits: {}, config: {}, near: 'ping' }, echo);
      assert.deepEqual([pong.near?.agent, pong.near?.key], ['ping', 'echo']);

      const absent = await first.control.deploy({ name: 'lonely', limits: {}, config: {}, near: 'nobody' }, echo);
      assert.equal(absent.near?.key, undefined);
      assert.match(absent.near?.note ?? '', /no agent nobody is deployed; placed by its own name/);
      const self = await first.control.deploy({ name: 'narcissus', limits: {}, config: {}, near: 'narcissus' }, echo);
      assert.match(self.near?.note ?? '', /near itself/);

      await assert.rejects(
        first.control.deploy({ name: 'counter', limits: {}, config: {}, kind: {}, near: 'echo' }, await example('as-counter')),
        (e: { code?: string }) => e.code === 'agent.near-kind',
      );
      assert.equal(await first.control.getAgent('counter'), undefined, 'nothing deployed');
      await assert.rejects(
        first.control.deploy({ name: 'bad', limits: {}, config: {}, near: 'no such/thing!' }, echo),
        (e: { code?: string }) => e.code === 'api.invalid',
      );
    } finally {
      await first.stop();
    }

    const second = await startNode(base);
    try {
      assert.equal((await second.control.getAgent('ping'))?.near?.key, 'echo', 'kept in the registry across the restart');
      const same = await second.control.upgrade({ name: 'ping', limits: {}, near: 'echo' }, echo);
      assert.equal(same.agent.version, 2);
      assert.equal(same.agent.near?.key, 'echo', 'an upgrade repeating --near keeps it');
      const none = await second.control.upgrade({ name: 'ping', limits: {} }, echo);
      assert.equal(none.agent.near?.key, 'echo', 'an upgrade without --near keeps it');
      await assert.rejects(
        second.control.upgrade({ name: 'ping', limits: {}, near: 'pong' }, echo),
        (e: { code?: string; hint?: string }) => e.code === 'agent.near-changed' && /caxton stop ping/.test(e.hint ?? ''),
      );
      await assert.rejects(
        second.control.upgrade({ name: 'echo', limits: {}, near: 'ping' }, echo),
        (e: { code?: string }) => e.code === 'agent.near-changed',
        'an agent placed by its own name cannot be moved near another by an upgrade',
      );
      const back = await second.control.rollback('ping');
      assert.equal(back.agent.near?.key, 'echo', 'a rollback keeps it');
    } finally {
      await second.stop();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
