/**
 * The anchored cluster trail (decision 1750): two `caxton serve` processes on one Kafka and one
 * etcd. Each node signs the heads it appended with its own audit key and keeps that anchor in etcd
 * (`store/audit/anchors/<node>`), so `caxton audit verify` through a node checks the trail against
 * that node's anchor with that node's key. Tampering done straight in etcd while the nodes run —
 * records cut off the end, a record rewritten and every later one re-sealed, an anchor swapped or
 * altered, a record stored with a duplicated key — is each named, with its own exit code.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { Etcd3 } from 'etcd3';
import { decodeRecord, encodeRecord, sealRecord, type AuditEntry, type AuditRecord } from '@caxton/core';
import { servers, uniqueCluster, type Servers } from './support/servers.js';
import { NodeProcess, startAll } from './support/node-process.js';
import { auditThrough as audit } from './support/audit-cli.js';

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

let infra: Servers;
const nodes: NodeProcess[] = [];
let clusterName = '';

before(async () => {
  infra = await servers();
  clusterName = uniqueCluster('anchor');
  for (const id of ['n1', 'n2']) nodes.push(NodeProcess.cli({ id, kafka: infra.kafka, etcd: infra.etcd, cluster: { name: clusterName } }));
  await startAll(nodes);
});

after(async () => {
  await Promise.allSettled(nodes.map((n) => n.stop(15_000)));
  await Promise.allSettled(nodes.map((n) => rm(n.spec.dataDir, { recursive: true, force: true })));
  await infra?.stop();
});

const show = (r: { code: number; stdout: string; stderr: string }): string => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;

test('verify through each node names truncation, a re-sealed rewrite, a swapped or altered anchor and a duplicated key', {
  timeout: 240_000,
}, async () => {
  const [n1, n2] = nodes as [NodeProcess, NodeProcess];
  // Records 0-1 through n1, 2-3 through n2 (stops of agents that do not exist: intent, outcome).
  await assert.rejects((await n1.client()).stop('ghost-1'));
  await assert.rejects((await n2.client()).stop('ghost-2'));
  const prefix = `/caxton/${clusterName}/store/audit/`;
  const recordKey = (i: number): string => `${prefix}records/${String(i).padStart(16, '0')}`;
  const etcd = new Etcd3({ hosts: infra.etcd });
  try {
    const original = await Promise.all([0, 1, 2, 3].map(async (i) => Buffer.from((await etcd.get(recordKey(i)).buffer())!)));
    const head = (await etcd.get(`${prefix}head`).string())!;
    const anchors = { n1: (await etcd.get(`${prefix}anchors/n1`).string())!, n2: (await etcd.get(`${prefix}anchors/n2`).string())! };
    const restore = async (): Promise<void> => {
      for (const [i, bytes] of original.entries()) await etcd.put(recordKey(i)).value(bytes);
      await etcd.put(`${prefix}head`).value(head);
      await etcd.put(`${prefix}anchors/n1`).value(anchors.n1);
      await etcd.put(`${prefix}anchors/n2`).value(anchors.n2);
      const good = await audit(n2, ['verify']);
      assert.equal(good.code, 0, show(good));
    };

    // Calls that only read the same stored state run side by side (decision 2131): each is its own
    // CLI process, and a verify with an anchor spends seconds loading the node's library.
    const [v1, v2, keyOut1, keyOut2] = await Promise.all([
      audit(n1, ['verify']),
      audit(n2, ['verify']),
      audit(n1, ['key', '--json']),
      audit(n2, ['key', '--json']),
    ]);
    assert.equal(v1.code, 0, show(v1));
    assert.match(v1.stdout, /intact: 4 records, head #3 .*\nanchor: #1 [0-9a-f]{64} signed \S+ by node n1/);
    assert.equal(v2.code, 0, show(v2));
    assert.match(v2.stdout, /anchor: #3 [0-9a-f]{64} signed \S+ by node n2/);
    const key1 = (JSON.parse(keyOut1.stdout) as { publicKey: string }).publicKey;
    const key2 = (JSON.parse(keyOut2.stdout) as { publicKey: string }).publicKey;
    assert.notEqual(key1, key2, 'each node has its own key');

    // Truncation: records 2-3 deleted and the head moved back to record 1, as a tidy attacker would.
    await etcd.delete().key(recordKey(3));
    await etcd.delete().key(recordKey(2));
    const r1 = decodeRecord(original[1]!);
    await etcd.put(`${prefix}head`).value(JSON.stringify({ index: 1, hash: r1.hash }));
    // A head the operator kept (`kept`) catches it through any node.
    const [cut, kept] = await Promise.all([
      audit(n2, ['verify']),
      audit(n1, ['verify', '--expect-head', `3:${decodeRecord(original[3]!).hash}`]),
    ]);
    assert.equal(cut.code, 9, show(cut));
    assert.match(
      cut.stdout,
      /BROKEN at record 2: truncated — the trail ends at record 1, but the signed anchor covers records up to 3 .*2 records were cut off its end/,
    );
    assert.match(cut.stdout, /hint: records acknowledged earlier are gone/);
    assert.equal(kept.code, 9, show(kept));
    assert.match(kept.stdout, /the head given with --expect-head covers records up to 3/);
    await restore();

    // Rewrite record 1 (the n1 stop's outcome: NOT_FOUND becomes OK) and re-seal everything after it.
    const resealed: AuditRecord[] = [decodeRecord(original[0]!)];
    for (let i = 1; i < 4; i += 1) {
      const { index: _i, prev: _p, hash: _h, ...fields } = decodeRecord(original[i]!);
      const entry = (i === 1 && fields.kind === 'outcome' ? { ...fields, result: { code: 'OK', error: '' } } : fields) as AuditEntry;
      resealed.push(sealRecord(entry, i, resealed[i - 1]!.hash, sha256));
    }
    for (const r of resealed.slice(1)) await etcd.put(recordKey(r.index)).value(Buffer.from(encodeRecord(r)));
    await etcd.put(`${prefix}head`).value(JSON.stringify({ index: 3, hash: resealed[3]!.hash }));
    for (const rewritten of await Promise.all([n1, n2].map((node) => audit(node, ['verify'])))) {
      assert.equal(rewritten.code, 10, show(rewritten));
      assert.match(rewritten.stdout, /rewritten and re-sealed — record \d hashes to [0-9a-f]{16}…, but the signed anchor says/);
    }
    await restore();

    // Anchor swapped: n1's (genuine, older) anchor put where n2's is — signed by a key n2 does not hold.
    await etcd.put(`${prefix}anchors/n2`).value(anchors.n1);
    const swapped = await audit(n2, ['verify']);
    assert.equal(swapped.code, 11, show(swapped));
    assert.match(
      swapped.stdout,
      /anchor not genuine — the anchor \(record 1\) cannot be trusted: it is signed by key \S+, which is not a trusted audit key/,
    );
    // Altered: n2's own anchor moved back to record 1 (which would hide a cut), signature kept.
    const moved = JSON.parse(anchors.n2) as { checkpoint: { index: number; hash: string } };
    moved.checkpoint.index = 1;
    moved.checkpoint.hash = r1.hash;
    await etcd.put(`${prefix}anchors/n2`).value(JSON.stringify(moved));
    const altered = await audit(n2, ['verify']);
    assert.equal(altered.code, 11, show(altered));
    assert.match(altered.stdout, /its signature does not verify with key/);
    // Removed.
    await etcd.delete().key(`${prefix}anchors/n2`);
    const removed = await audit(n2, ['verify', '--json']);
    assert.equal(removed.code, 11, show(removed));
    assert.match((JSON.parse(removed.stdout) as { fault: { detail: string } }).fault.detail, /the registry holds no anchor for it/);
    // A pinned key: n1's anchor checked with both nodes' keys is genuine again.
    await etcd.put(`${prefix}anchors/n2`).value(anchors.n1);
    const pinned = await audit(n2, ['verify', '--trust-key', key1, '--trust-key', key2]);
    assert.equal(pinned.code, 0, show(pinned));
    await restore();

    // A duplicated key in record 2's stored bytes: parsed, it is the same record.
    const text = original[2]!.toString('utf8');
    const forged = text.replace('"method":"StopAgent"', '"method":"DeployAgent","method":"StopAgent"');
    assert.notEqual(forged, text);
    await etcd.put(recordKey(2)).value(forged);
    const dup = await audit(n1, ['verify']);
    assert.equal(dup.code, 1, show(dup));
    assert.match(dup.stdout, /BROKEN at record 2: not canonical/);
    // Not restored: nothing follows, and the cluster's name is this file's alone.
  } finally {
    etcd.close();
  }
});
