/**
 * Audit trail benchmark (`node bench/dist/audit.js [--etcd http://host:port] [--records N]`).
 *
 * What one recorded management call costs the trail, in each adapter, with one caller at a time
 * (every append waits for its own fdatasync / etcd commit) and with 64 at once (group commit: the
 * appends queued during one write share the next). For etcd also two "nodes" (two connections on
 * one trail) appending at once, where lost compare-and-swap transactions re-seal and retry.
 * Decision 1402 cites these numbers.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdAuditTrail, FileAuditTrail, sha256Hex, type AuditTrail } from '@caxton/runtime';
import type { AuditEntry } from '@caxton/core';
import { percentile, report } from './lib-output.js';
import { EtcdConnection } from '@caxton/runtime/cluster';
import { arg } from './lib-args.js';
import { startEtcd } from './lib-etcd.js';

const RECORDS = Number(arg('records', '400'));

function entry(i: number): AuditEntry {
  return {
    time: new Date().toISOString(),
    node: 'bench',
    method: 'SendMessage',
    role: 'admin',
    token: 'feedfacecafebeef',
    peer: '127.0.0.1:50000',
    args: { sha256: sha256Hex(Buffer.from(String(i))), bytes: 120, fields: { performative: 'request', receivers: `agent-${i % 50}` } },
    result: { code: 'OK', error: '' },
  };
}

/** `records` appends by `callers` concurrent callers (spread over `trails`); appends/s and per-append latency. */
async function measure(trails: AuditTrail[], records: number, callers: number): Promise<{ perSecond: number; p50: number; p99: number }> {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async (_, c) => {
      const trail = trails[c % trails.length]!;
      for (let i = next++; i < records; i = next++) {
        const s = performance.now();
        await trail.append(entry(i));
        latencies.push(performance.now() - s);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  return { perSecond: records / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

function print(adapter: string, shape: string, r: { perSecond: number; p50: number; p99: number }): void {
  report({
    bench: 'audit',
    metric: `${adapter}_${shape}_appends_per_s`,
    value: Math.round(r.perSecond),
    unit: 'appends/s',
    note: `p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms`,
  });
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'caxton-bench-audit-'));
  try {
    const file = await FileAuditTrail.open({ dir });
    print('file', 'one_caller', await measure([file], Math.min(RECORDS, 200), 1));
    print('file', '64_callers', await measure([file], RECORDS * 4, 64));
    await file.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const etcd = await startEtcd();
  const connections = [new EtcdConnection({ endpoints: [etcd.endpoint] }), new EtcdConnection({ endpoints: [etcd.endpoint] })];
  try {
    const prefix = `/bench-audit-${process.pid}-${Date.now()}/`;
    const [a, b] = connections.map((connection) => new EtcdAuditTrail({ connection, prefix })) as [EtcdAuditTrail, EtcdAuditTrail];
    print('etcd', 'one_caller', await measure([a], Math.min(RECORDS, 200), 1));
    print('etcd', '64_callers', await measure([a], RECORDS * 4, 64));
    print('etcd', 'two_nodes_64_callers', await measure([a, b], RECORDS * 4, 64));
  } finally {
    for (const c of connections) c.close();
    await etcd.stop();
  }
}

await main();
