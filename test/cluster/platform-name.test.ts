/**
 * One platform name per cluster (decision 1910): two real nodes on real Kafka and etcd, one
 * cluster. The first keeps its `platform` in etcd; a second node started with another name is
 * refused `cluster.platform-changed` (with the kept name in its hint) before it joins, and one with
 * the same name starts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startNode, type RunningNode, type StartNodeOptions } from '@caxton/runtime';
import { servers, type Servers } from './support/servers.js';

let infra: Servers;
let dir: string;
const running: RunningNode[] = [];

before(async () => {
  infra = await servers();
  dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-platform-cluster-'));
});
after(async () => {
  for (const n of running) await n.stop().catch(() => undefined);
  await infra?.stop();
  await rm(dir, { recursive: true, force: true });
});

test("a node started with another platform name than its cluster's is refused before it joins", async () => {
  const cluster = { name: `platform-${randomBytes(3).toString('hex')}`, partitions: 2 };
  const options = (nodeId: string, platform: string): StartNodeOptions => ({
    dataDir: path.join(dir, nodeId),
    nodeId,
    platform,
    apiHost: '127.0.0.1',
    apiPort: 0,
    auth: { mode: 'none' },
    api: false,
    kafka: { brokers: [infra.kafka] },
    etcd: { endpoints: [infra.etcd] },
    cluster,
  });
  running.push(await startNode(options('n1', 'caxton-x')));
  await assert.rejects(startNode(options('n2', 'caxton-y')), (err: Error & { code?: string; hint?: string }) => {
    assert.equal(err.code, 'cluster.platform-changed');
    assert.match(err.message, /is platform "caxton-x", not "caxton-y"/);
    assert.match(err.hint ?? '', /--platform caxton-x/);
    return true;
  });
  running.push(await startNode(options('n3', 'caxton-x')));
  assert.equal(running[1]!.platform, 'caxton-x');
});
