/**
 * `caxton status` says how far back replay reaches (issue 57), as a separate process against a real
 * node (its embedded log keeping an hour of history, token auth found through --data-dir): one
 * `replay` line — the oldest record held, its age, the segments and bytes held, the history kept —
 * a line for the agent whose own history it keeps, and the same figures under `replay` in --json.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { CaxtonClient, startNode, type RunningNode } from '@caxton/runtime';
import type { ReplayReach } from '@caxton/core';
import { caxton } from './support/run-cli.js';

const counterWasm = fileURLToPath(new URL('../../../examples/as-counter/build/as-counter.wasm', import.meta.url));

describe('caxton status against a real node: the replay line', () => {
  let dir: string;
  let node: RunningNode;
  let client: CaxtonClient;
  let args: string[];
  let started: number;
  before(async () => {
    started = Date.now();
    dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-cli-status-reach-'));
    const dataDir = path.join(dir, 'node');
    node = await startNode({
      dataDir,
      apiHost: '127.0.0.1',
      apiPort: 0,
      auth: { mode: 'token' },
      shards: 1,
      replayHistory: { seconds: 3600 },
      agentReplayHistory: { counter: { seconds: 86_400 } },
    });
    const address = `127.0.0.1:${node.apiPort}`;
    client = await CaxtonClient.connect({ address, token: (await readFile(path.join(dataDir, 'auth-token'), 'utf8')).trim() });
    await client.deploy({ name: 'counter' }, new Uint8Array(await readFile(counterWasm)));
    // A handling, so the log holds records.
    await client.send({ structured: { performative: 'request', receivers: [{ name: 'counter' }], content: 'increment' } });
    const until = Date.now() + 15_000;
    while ((await client.getAgent('counter')).messagesHandled < 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    args = ['--addr', address, '--data-dir', dataDir];
  });
  after(async () => {
    client?.close();
    await node?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('prints how far back replay reaches, what is held and the history kept', async () => {
    const r = await caxton(['status', ...args]);
    assert.equal(r.code, 0, r.stderr);
    const line = r.stdout.split('\n').find((l) => l.startsWith('replay'));
    assert.ok(line, r.stdout);
    const m = /^replay\s+back to (\S+Z), \S+ ago \(1 segment, [\d.]+ (?:B|KiB) held; history 3600 s \/ 1\.0 GiB\)$/.exec(line);
    assert.ok(m, line);
    const at = Date.parse(m[1]!);
    assert.ok(at >= started - 1000 && at <= Date.now(), `the log was started with the node: ${m[1]}`);
    // The agent whose own history the node keeps (decision 2182): nothing deleted yet, so nothing copied.
    assert.match(
      r.stdout,
      /^replay counter\s+nothing copied yet: the log still holds all of it \(0 files, 0 B held; history 86400 s \/ 256 MiB\)$/m,
    );
  });

  it('--json carries the same under replay', async () => {
    const r = await caxton(['status', '--json', ...args]);
    assert.equal(r.code, 0, r.stderr);
    const { replay } = JSON.parse(r.stdout) as { replay: ReplayReach };
    assert.equal(replay.source, 'embedded');
    assert.ok(replay.oldestRecordAt! >= started - 1000 && replay.oldestRecordAt! <= Date.now());
    assert.equal(replay.segments, 1);
    assert.ok(replay.heldBytes > 24);
    assert.equal(replay.historySeconds, 3600);
    assert.equal(replay.historyBytes, 1024 * 1024 * 1024);
    assert.deepEqual(replay.agents, [
      { agent: 'counter', files: 0, heldBytes: 0, historySeconds: 86_400, historyBytes: 256 * 1024 * 1024 },
    ]);
  });
});
