/**
 * The cluster audit trail (decision 1402): three `caxton serve` processes on one Kafka and one etcd.
 * Calls made through node 1 are recorded in etcd, so after node 1 is killed (kill -9) node 2 lists
 * them and `caxton audit verify` through node 2 passes; one byte of a record changed in etcd makes
 * verify through node 3 fail naming that record.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { Etcd3 } from 'etcd3';
import type { AuditRecord } from '@caxton/core';
import { servers, uniqueCluster, type Servers } from './support/servers.js';
import { NodeProcess, startAll } from './support/node-process.js';
import { auditThrough as audit } from './support/audit-cli.js';
import { PROBE, waitFor } from './support/cluster.js';

let infra: Servers;
const nodes: NodeProcess[] = [];
let clusterName = '';

before(async () => {
  infra = await servers();
  clusterName = uniqueCluster('audit');
  for (const id of ['n1', 'n2', 'n3'])
    nodes.push(NodeProcess.cli({ id, kafka: infra.kafka, etcd: infra.etcd, cluster: { name: clusterName } }));
  await startAll(nodes);
});

after(async () => {
  await Promise.allSettled(nodes.map((n) => n.stop(15_000)));
  await Promise.allSettled(nodes.map((n) => rm(n.spec.dataDir, { recursive: true, force: true })));
  await infra?.stop();
});

test('the trail written through node 1 is listed and verified through node 2 after node 1 is killed; a changed record is named', {
  timeout: 180_000,
}, async () => {
  const [n1, n2, n3] = nodes as [NodeProcess, NodeProcess, NodeProcess];
  const c1 = await n1.client();
  await c1.deploy({ name: 'audited' }, PROBE());
  await waitFor('the probe to be placed', async () => (await c1.status()).nodes.some((n) => n.agents.includes('audited')), 30_000);
  await c1.stop('audited');
  await assert.rejects(c1.stop('ghost'));
  await assert.rejects((await n2.client()).stop('ghost-2'));

  await n1.kill();
  const listed = await audit(n2, ['--json']);
  assert.equal(listed.code, 0, listed.stderr);
  const records = listed.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as AuditRecord);
  // Each change is written ahead: its intent, then its outcome pointing back at it (decision 1701).
  assert.deepEqual(
    records.map(
      (r) =>
        `${r.index} ${r.node} ${r.kind ?? 'call'} ${r.method} ${r.kind === 'intent' ? r.args.fields.agent : `${r.result.code} of ${r.kind === 'outcome' ? r.intent.index : '-'}`}`,
    ),
    [
      '0 n1 intent DeployAgent audited',
      '1 n1 outcome DeployAgent OK of 0',
      '2 n1 intent StopAgent audited',
      '3 n1 outcome StopAgent OK of 2',
      '4 n1 intent StopAgent ghost',
      '5 n1 outcome StopAgent NOT_FOUND of 4',
      '6 n2 intent StopAgent ghost-2',
      '7 n2 outcome StopAgent NOT_FOUND of 6',
    ],
  );
  const verified = await audit(n2, ['verify']);
  assert.equal(verified.code, 0, verified.stderr + verified.stdout);
  assert.match(verified.stdout, /intact: 8 records, head #7/);

  // One byte of record 2's value (the first stop's intent), in etcd: "StopAgent" becomes "StopAgenu".
  const etcd = new Etcd3({ hosts: infra.etcd });
  try {
    const key = `/caxton/${clusterName}/store/audit/records/${'2'.padStart(16, '0')}`;
    const value = Buffer.from((await etcd.get(key).buffer())!);
    const at = value.indexOf('"StopAgent"') + 'StopAgent'.length;
    value[at] = value[at]! + 1;
    await etcd.put(key).value(value);
  } finally {
    etcd.close();
  }
  const broken = await audit(n3, ['verify']);
  assert.equal(broken.code, 1, broken.stderr + broken.stdout);
  assert.match(broken.stdout, /BROKEN at record 2: hash mismatch/);
});
