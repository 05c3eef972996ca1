/**
 * EtcdAuditTrail against a real etcd: group-committed appends, two writers on one trail never fork
 * the chain, a record's value changed in etcd is named by verification, follow sees other writers;
 * write-ahead changes (decision 1701) from two nodes interleave in one chain and pair up, and a
 * node that cannot reach etcd refuses a change before it happens.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AuditChangeReader, decodeRecord, verifyAuditChain, type AuditEntry, type StoredAuditRecord } from '@caxton/core';
import { EtcdConnection } from '../../src/registry/etcd/connection.js';
import { sha256Hex } from '../../src/audit/audit-trail.js';
import { EtcdAuditTrail } from '../../src/audit/etcd-audit-trail.js';
import { AuditedControl, type AuditCaller } from '../../src/audit/audited-control.js';
import { freePort, startEtcd, type EtcdHandle } from '../registry/helpers/etcd.js';
import { MemoryNode } from '../api/support/memory-node.js';

let etcd: EtcdHandle;
const connections: EtcdConnection[] = [];
before(async () => {
  etcd = await startEtcd();
});
after(async () => {
  for (const c of connections) c.close();
  await etcd.stop();
});

let n = 0;
function trails(count: number, opts: { maxBatch?: number } = {}): EtcdAuditTrail[] {
  const prefix = `/audit-test-${process.pid}-${n++}/`;
  return Array.from({ length: count }, () => {
    const connection = new EtcdConnection({ endpoints: [etcd.endpoint] });
    connections.push(connection);
    return new EtcdAuditTrail({ connection, prefix, pollMs: 50, ...opts });
  });
}

function entry(node: string, i: number): AuditEntry {
  return {
    time: new Date(0).toISOString(),
    node,
    method: 'SendMessage',
    role: 'admin',
    token: 'feedfacecafebeef',
    peer: '127.0.0.1:1',
    args: { sha256: sha256Hex(Buffer.from(`${node}${i}`)), bytes: 1, fields: { n: String(i) } },
    result: { code: 'OK', error: '' },
  };
}

async function all(trail: EtcdAuditTrail): Promise<StoredAuditRecord[]> {
  return trail.read(0, 100_000);
}

describe('EtcdAuditTrail', () => {
  it('chains concurrent appends and reads ranges back by position', async () => {
    const [trail] = trails(1, { maxBatch: 8 });
    const records = await Promise.all(Array.from({ length: 30 }, (_, i) => trail!.append(entry('a', i))));
    assert.deepEqual(
      records.map((r) => r.index),
      Array.from({ length: 30 }, (_, i) => i),
    );
    const stored = await all(trail!);
    assert.equal(verifyAuditChain(stored, sha256Hex).fault, undefined);
    assert.deepEqual(
      (await trail!.read(28, 5)).map((r) => r.position),
      [28, 29],
    );
  });

  it('two nodes appending at once never fork the chain: every record lands once, in one order', async () => {
    const [a, b] = trails(2);
    await Promise.all([
      ...Array.from({ length: 25 }, (_, i) => a!.append(entry('a', i))),
      ...Array.from({ length: 25 }, (_, i) => b!.append(entry('b', i))),
    ]);
    const stored = await all(b!);
    const { fault, verified } = verifyAuditChain(stored, sha256Hex);
    assert.equal(fault, undefined);
    assert.equal(verified, 50);
    const nodes = stored.map((s) => (JSON.parse(Buffer.from(s.bytes).toString()) as AuditEntry).node);
    assert.deepEqual([nodes.filter((x) => x === 'a').length, nodes.filter((x) => x === 'b').length], [25, 25]);
  });

  it('a record value changed in etcd is named by verification', async () => {
    const [trail] = trails(1);
    for (let i = 0; i < 4; i += 1) await trail!.append(entry('a', i));
    const key = trail!.recordKey(2);
    const conn = connections[connections.length - 1]!;
    const value = Buffer.from((await conn.client.get(key).buffer())!);
    const at = value.indexOf('"SendMessage"') + 1;
    value[at] = value[at]! ^ 0x20; // 'S' → 's'
    await conn.client.put(key).value(value);
    const { fault } = verifyAuditChain(await all(trail!), sha256Hex);
    assert.deepEqual([fault?.position, fault?.reason], [2, 'hash-mismatch']);
    await conn.client.delete().key(trail!.recordKey(1));
    assert.deepEqual(verifyAuditChain(await all(trail!), sha256Hex).fault?.reason, 'segment-missing');
  });

  it('follow on one node sees what another appends', async () => {
    const [a, b] = trails(2);
    await a!.append(entry('a', 0));
    const seen: number[] = [];
    let done!: () => void;
    const three = new Promise<void>((r) => {
      done = r;
    });
    const stop = b!.follow(0, {
      next: (r) => {
        seen.push(r.position);
        if (seen.length === 3) done();
      },
      end: (err) => assert.fail(err ?? 'ended'),
    });
    await a!.append(entry('a', 1));
    await a!.append(entry('a', 2));
    await three;
    stop();
    assert.deepEqual(seen, [0, 1, 2]);
  });

  it('write-ahead changes from two nodes share one chain: each outcome points at its intent, the listing pairs them', async () => {
    const [a, b] = trails(2, { maxBatch: 4 });
    const caller: AuditCaller = { role: 'admin', token: 'feedfacecafebeef', peer: 'ipv4:127.0.0.1:1' };
    const nodes = [new MemoryNode(), new MemoryNode()];
    const controls = [a!, b!].map((trail, i) =>
      new AuditedControl({ control: nodes[i]!, trail, nodeId: `n${i}`, report: (err) => assert.fail(err as Error) }).as(caller),
    );
    const bytes = Buffer.from('component');
    await Promise.all(
      controls.flatMap((c, i) => [
        c.deploy({ name: `agent-${i}`, limits: {}, config: {} }, { bytes, sha256: sha256Hex(bytes) }),
        ...Array.from({ length: 6 }, (_, j) => c.stop(`ghost-${i}-${j}`, { force: false }).catch(() => undefined)),
      ]),
    );
    const stored = await all(b!);
    const { fault, verified } = verifyAuditChain(stored, sha256Hex);
    assert.equal(fault, undefined);
    assert.equal(verified, 28);
    const records = stored.map((r) => decodeRecord(r.bytes));
    for (const r of records) {
      if (r.kind !== 'outcome') continue;
      const intent = records[r.intent.index]!;
      assert.ok(intent.kind === 'intent' && intent.hash === r.intent.hash && intent.node === r.node && intent.index < r.index);
    }
    const reader = new AuditChangeReader();
    const lines = [...stored.flatMap((s) => reader.push(s)), ...reader.end()];
    assert.equal(lines.length, 14);
    const codes = lines.map((l) => (l.type === 'change' ? `${l.intent.method} ${l.outcome?.result.code ?? 'unknown'}` : l.type)).sort();
    assert.deepEqual(codes, [...Array(2).fill('DeployAgent OK'), ...Array(12).fill('StopAgent NOT_FOUND')]);
  });

  it('a node that cannot reach etcd refuses the change (audit.unavailable) and does not make it', async () => {
    const connection = new EtcdConnection({ endpoints: [`http://127.0.0.1:${await freePort()}`], callTimeoutMs: 300 });
    connections.push(connection);
    const trail = new EtcdAuditTrail({ connection, prefix: `/audit-test-${process.pid}-dead/`, outagePatienceMs: 500 });
    const node = new MemoryNode();
    const audited = new AuditedControl({ control: node, trail, nodeId: 'n', report: () => {} });
    const bytes = Buffer.from('component');
    await assert.rejects(
      audited
        .as({ role: 'admin', token: '', peer: 'in-process' })
        .deploy({ name: 'echo', limits: {}, config: {} }, { bytes, sha256: sha256Hex(bytes) }),
      (err: { code?: string; kind?: string }) => err.code === 'audit.unavailable' && err.kind === 'unavailable',
    );
    assert.deepEqual(node.calls, []);
    assert.deepEqual(await node.listAgents(), []);
  });
});

describe('an append whose transaction is sent twice (the etcd client retries a call whose answer timed out)', () => {
  it('is recorded once: the retry, refused for the head the first one moved, is taken as that commit (review finding 1)', async () => {
    /** Sends the first append transaction twice and answers the second, as the client's retry does after a lost answer. */
    class RetryingConnection extends EtcdConnection {
      private retried = false;
      override async call<T>(what: string, op: () => Promise<T>, timeoutMs?: number): Promise<T> {
        if (what === 'append to the audit trail' && !this.retried) {
          this.retried = true;
          await super.call(what, op, timeoutMs);
        }
        return super.call(what, op, timeoutMs);
      }
    }
    const connection = new RetryingConnection({ endpoints: [etcd.endpoint] });
    connections.push(connection);
    const trail = new EtcdAuditTrail({ connection, prefix: `/audit-test-${process.pid}-retried/`, pollMs: 50 });
    const first = await trail.append(entry('n1', 0));
    const second = await trail.append(entry('n1', 1));
    assert.deepEqual([first.index, second.index], [0, 1], 'one record each, in order');
    const stored = await trail.read(0, 10);
    assert.equal(stored.length, 2, 'the retried transaction left no second copy');
    assert.equal(verifyAuditChain(stored, sha256Hex).fault, undefined);
  });
});
