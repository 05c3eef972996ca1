/**
 * The kubelet's view of a cluster node (serve --health-addr): SERVING while it holds its etcd
 * membership, NOT_SERVING once it has lost it for real (its private etcd stopped for longer than
 * the lease), SERVING again once it has rejoined; NOT_SERVING while it shuts down. The Kafka broker
 * is the shared one: only etcd must go away.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProto } from 'grpc-health-check';
import type { EtcdHandle } from '../../scripts/infra/index.d.mts';
import { infra, servers, uniqueCluster, type Servers } from './support/servers.js';
import { NodeProcess } from './support/node-process.js';

type HealthClient = grpc.Client & { Check(r: { service: string }, cb: (e: grpc.ServiceError | null, r: { status: string }) => void): void };
const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(healthProto, { keepCase: false, enums: String })) as unknown as {
  grpc: { health: { v1: { Health: new (address: string, creds: grpc.ChannelCredentials) => HealthClient } } };
};

let shared: Servers;
let etcd: EtcdHandle;
let node: NodeProcess | undefined;

before(async () => {
  shared = await servers();
  etcd = await (await infra()).startEtcd();
});

after(async () => {
  await node?.stop(10_000);
  if (node) await rm(node.spec.dataDir, { recursive: true, force: true });
  await etcd?.stop();
  await shared?.stop();
});

async function until(check: () => Promise<string>, want: string, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = await check();
    if (last === want) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`${what}: still ${last} after ${timeoutMs} ms`);
}

test('health follows the membership: lost with etcd, back after rejoining, NOT_SERVING while stopping', { timeout: 180_000 }, async () => {
  node = NodeProcess.cli(
    { id: 'hm1', kafka: shared.kafka, etcd: etcd.endpoint, cluster: { name: uniqueCluster('health'), leaseTtlSeconds: 2 } },
    ['--health-addr', '127.0.0.1:0'],
  );
  await node.ready(90_000);
  const serving = JSON.parse(node.stdout.split('\n').find((l) => l.includes('"serving"'))!) as { health: string };
  const client = new pkg.grpc.health.v1.Health(serving.health, grpc.credentials.createInsecure());
  const check = (): Promise<string> =>
    new Promise((resolve) =>
      client.Check({ service: 'caxton.v1.Caxton' }, (err, r) => resolve(err ? `error ${grpc.status[err.code]}` : r.status)),
    );
  try {
    assert.equal(await check(), 'SERVING', 'a member that has joined');
    await etcd.stop({ keepData: true });
    await until(check, 'NOT_SERVING', 'etcd gone longer than the 2 s lease', 30_000);
    assert.match(node.stderr, /membership/);
    await etcd.start();
    await until(check, 'SERVING', 'rejoined once etcd is back', 60_000);
    // SIGTERM: from then on a probe fails, whether it gets NOT_SERVING (draining) or no answer (closed).
    node.child.kill('SIGTERM');
    await until(
      async () => {
        const s = await check();
        return s === 'SERVING' ? s : 'NOT_SERVING';
      },
      'NOT_SERVING',
      'stopping',
      15_000,
    );
    const exit = await node.exited;
    assert.equal(exit.code, 0);
  } finally {
    client.close();
  }
});
