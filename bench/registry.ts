/**
 * Registry benchmark (`npm run bench -- registry [--etcd http://host:port] [--agents N] [--seconds S]`).
 *
 * etcd_registry_ops_per_s: DF searches per second on one node of a two-node cluster while the other
 * node keeps modifying DF entries (so the searching node's mirror is applying watch events the whole
 * time). Also reported: DF write throughput through etcd (compare-and-swap modify), the delay until
 * a write is visible on the other node, and the embedded registry's search rate for comparison.
 * Both "nodes" run in this process: on a 2-core box the writer competes with the searcher for CPU.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedRegistry } from '@caxton/runtime';
import { EtcdRegistry } from '@caxton/runtime/cluster';
import type { DirectoryStore } from '@caxton/runtime';
import { percentile, report } from './lib-output.js';
import type { DfAgentDescription, DfSearchTemplate } from '@caxton/core';
import { arg } from './lib-args.js';
import { startEtcd } from './lib-etcd.js';

const AGENTS = Number(arg('agents', '2000'));
const SECONDS = Number(arg('seconds', '5'));
const TYPES = 20;

function describe(i: number, generation = 0): DfAgentDescription {
  return {
    name: { name: `agent-${i}@bench` },
    services: [
      {
        name: `svc-${i}`,
        type: `type-${i % TYPES}`,
        protocols: ['fipa-request'],
        ontologies: ['bench'],
        languages: ['fipa-sl'],
        properties: { region: i % 2 ? 'eu' : 'us', generation: String(generation) },
      },
      { name: `aux-${i}`, type: 'aux', protocols: ['fipa-query'], ontologies: [], languages: [], properties: {} },
    ],
    protocols: [],
    ontologies: [],
    languages: [],
  };
}

const templates: DfSearchTemplate[] = [
  { serviceType: 'type-3' },
  { serviceType: 'type-7', protocols: ['fipa-request'], properties: { region: 'eu' } },
  { protocols: ['fipa-query'] },
  { agentName: 'agent-42@bench' },
];

async function searchRate(store: DirectoryStore, seconds: number): Promise<{ ops: number; perSecond: number; hits: number }> {
  let ops = 0;
  let hits = 0;
  const until = performance.now() + seconds * 1000;
  const t0 = performance.now();
  while (performance.now() < until) {
    for (const t of templates) {
      hits += (await store.searchDf(t, 100)).length;
      ops++;
    }
    // Mirror searches resolve without I/O: without a macrotask turn now and then this loop would
    // starve the watch stream and the writer (a real node interleaves searches with its I/O).
    if (ops % 64 === 0) await new Promise((r) => setImmediate(r));
  }
  return { ops, perSecond: ops / ((performance.now() - t0) / 1000), hits };
}

async function main(): Promise<void> {
  const etcd = await startEtcd();
  const prefix = `/bench-${process.pid}-${Date.now()}/`;
  const writer = new EtcdRegistry({ endpoints: [etcd.endpoint], prefix });
  const searcher = new EtcdRegistry({ endpoints: [etcd.endpoint], prefix });
  const dir = await mkdtemp(join(tmpdir(), 'caxton-bench-registry-'));
  const embedded = new EmbeddedRegistry({ dir });
  try {
    await writer.open();
    await searcher.open();
    await embedded.open();

    // Load: AGENTS registrations, 32 in flight.
    const loadStart = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        for (let i = next++; i < AGENTS; i = next++) await writer.registerDf(describe(i));
      }),
    );
    const loadSeconds = (performance.now() - loadStart) / 1000;
    while ((await searcher.searchDf({ protocols: ['fipa-request'] })).length < AGENTS) await new Promise((r) => setTimeout(r, 20));
    for (let i = 0; i < AGENTS; i++) await embedded.registerDf(describe(i));

    // Background load: the writer keeps modifying entries; we time when each lands on the searcher.
    const lags: number[] = [];
    let writes = 0;
    let writing = true;
    const pending = new Map<string, number>();
    const unwatch = searcher.watch((e) => {
      if (e.kind !== 'service-changed' || !e.description) return;
      const key = `${e.agentName}#${e.description.services[0]?.properties['generation']}`;
      const sentAt = pending.get(key);
      if (sentAt !== undefined) {
        lags.push(performance.now() - sentAt);
        pending.delete(key);
      }
    });
    const background = (async () => {
      for (let g = 1; writing; g++) {
        const i = (g * 7919) % AGENTS;
        pending.set(`agent-${i}@bench#${g}`, performance.now());
        await writer.modifyDf(describe(i, g));
        writes++;
      }
    })();

    const wStart = performance.now();
    const cluster = await searchRate(searcher, SECONDS);
    writing = false;
    await background;
    const writeSeconds = (performance.now() - wStart) / 1000;
    unwatch();
    const local = await searchRate(embedded, Math.min(SECONDS, 3));

    const note = `${AGENTS} agents x 2 services, 4 templates, limit 100, while the other node modified ${(writes / writeSeconds).toFixed(0)} entries/s`;
    report({ bench: 'cluster', metric: 'etcd_registry_ops_per_s', value: Math.round(cluster.perSecond), unit: 'ops/s', note });
    report({
      bench: 'cluster',
      metric: 'etcd_registry_df_modify_per_s',
      value: Math.round(writes / writeSeconds),
      unit: 'ops/s',
      note: 'sequential CAS modifies (read + txn), during the search load',
    });
    report({
      bench: 'cluster',
      metric: 'etcd_registry_df_register_per_s',
      value: Math.round(AGENTS / loadSeconds),
      unit: 'ops/s',
      note: '32 registrations in flight, idle cluster',
    });
    report({
      bench: 'cluster',
      metric: 'etcd_registry_watch_lag_p50_ms',
      value: Number(percentile(lags, 50).toFixed(2)),
      unit: 'ms',
      note: `write sent -> visible on the other node, ${lags.length} samples`,
    });
    report({ bench: 'cluster', metric: 'etcd_registry_watch_lag_p99_ms', value: Number(percentile(lags, 99).toFixed(2)), unit: 'ms' });
    report({
      bench: 'embedded',
      metric: 'embedded_registry_search_ops_per_s',
      value: Math.round(local.perSecond),
      unit: 'ops/s',
      note: `same data and templates, no write load`,
    });
  } finally {
    await writer.close().catch(() => undefined);
    await searcher.close().catch(() => undefined);
    await embedded.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    await etcd.stop();
  }
}

await main();
