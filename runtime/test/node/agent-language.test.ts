/**
 * The deployer-stated source language is part of the agent record (issue 15): on a real node (a
 * real WASM agent) a deploy stores it, the status shows it, it survives a restart of the node (the
 * embedded registry journal), an upgrade takes the new artifact's language and one without a
 * language clears it rather than keeping the old artifact's.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { startNode } from '../../src/start/start-node.js';
import { example } from '../support/examples.js';

test('the language is kept per version: deploy, status, restart, upgrade', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'caxton-agent-language-'));
  try {
    const base = {
      dataDir: path.join(dataDir, 'node'),
      apiHost: '127.0.0.1',
      apiPort: 0,
      auth: { mode: 'none' as const },
      api: false,
      shards: 1,
    };
    const first = await startNode(base);
    try {
      const deployed = await first.control.deploy(
        { name: 'echo', limits: {}, config: {}, language: 'assemblyscript' },
        await example('as-echo'),
      );
      assert.equal(deployed.language, 'assemblyscript');
      assert.equal((await first.control.getAgent('echo'))?.language, 'assemblyscript');
      assert.deepEqual(
        (await first.control.listAgents()).map((a) => [a.name, a.language]),
        [['echo', 'assemblyscript']],
      );
    } finally {
      await first.stop();
    }

    const second = await startNode(base);
    try {
      assert.equal((await second.control.getAgent('echo'))?.language, 'assemblyscript', 'kept in the registry across the restart');
      const up = await second.control.upgrade({ name: 'echo', limits: {}, language: 'rust' }, await example('as-counter'));
      assert.equal(up.agent.version, 2);
      assert.equal(up.agent.language, 'rust', "the new artifact's language");
      const unstated = await second.control.upgrade({ name: 'echo', limits: {} }, await example('as-echo'));
      assert.equal(unstated.agent.language, undefined, "an upgrade stating none shows none, not the old artifact's");
      assert.equal((await second.control.getAgent('echo'))?.language, undefined);
    } finally {
      await second.stop();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
