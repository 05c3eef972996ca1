/**
 * Wake index benchmark (`npm run bench -- wake-index [--etcd http://host:port] [--keys 80000,320000] [--partitions 12]`),
 * decision 2060 *Wake index* (issue 30).
 *
 * For each size N: N instance timers of one kind (one timer per instance, due times spread over a
 * day) are stored in a real etcd with their wakes, written in batches straight through the
 * registry's connection (the store under test is the read). Then, each timed once:
 *   - table_walk_s: the walk a node made before the index, `kindTimersDue` over the kind's whole
 *     timer table in pages of 500 (etcd counts the rest of the range at every page: quadratic);
 *   - partition_walk_s: the walk a node makes now for ONE partition assigned to it,
 *     `partitionWakesDue` of that partition in pages of 500, windowed by due time;
 *   - all_partitions_walk_s: every partition walked that way one after the other (all N wakes:
 *     the cost of the index itself, to compare with the table walk key for key);
 *   - sweep_s: N timers stored without wakes (an older version's table) swept into the index once
 *     the operator's switch is on (`indexWakes`).
 */
import { partitionFor, wakeIndexEnabledKey, wakeKey } from '@caxton/runtime';
import { EtcdRegistry } from '@caxton/runtime/cluster';
import { report } from './lib-output.js';
import { arg } from './lib-args.js';
import { startEtcd } from './lib-etcd.js';

const SIZES = arg('keys', '80000,320000').split(',').map(Number);
const PARTITIONS = Number(arg('partitions', '12'));
const PAGE = 500;
const BATCH = 60; // timers a transaction: two puts each, under etcd's default --max-txn-ops of 128

async function fill(r: EtcdRegistry, n: number, withWakes = true): Promise<void> {
  const client = r.connection.client;
  const day = 86_400_000;
  const base = Date.now() + 3_600_000;
  const writes: Array<Promise<unknown>> = [];
  for (let i = 0; i < n; i += BATCH) {
    const ops = [];
    for (let j = i; j < Math.min(n, i + BATCH); j++) {
      const agent = `counter/k${j}`;
      const dueAt = base + Math.floor((j * 7919) % day);
      ops.push(client.put(r.keys.timerKey(agent, 't')).value(JSON.stringify({ agent, id: 't', token: 'x', dueAt })));
      if (withWakes) ops.push(client.put(wakeKey(r.keys, PARTITIONS, partitionFor(agent, PARTITIONS), agent, 't', dueAt)).value(''));
    }
    writes.push(
      client
        .if(r.keys.timerKey('counter/k0', 't'), 'Version', '>', -1)
        .then(...ops)
        .commit(),
    );
    if (writes.length >= 8) await Promise.all(writes.splice(0));
  }
  await Promise.all(writes);
}

async function timed<T>(f: () => Promise<T>): Promise<{ s: number; result: T }> {
  const t0 = performance.now();
  const result = await f();
  return { s: (performance.now() - t0) / 1000, result };
}

async function count(pages: AsyncIterable<unknown[]>): Promise<number> {
  let n = 0;
  for await (const p of pages) n += p.length;
  return n;
}

async function main(): Promise<void> {
  const etcd = await startEtcd();
  try {
    for (const n of SIZES) {
      const r = new EtcdRegistry({ endpoints: [etcd.endpoint], prefix: `/bench-wakes-${n}-${Date.now()}/`, callTimeoutMs: 120_000 });
      await r.open();
      try {
        await r.connection.client.put(wakeIndexEnabledKey(r.keys)).value(String(PARTITIONS)); // the operator's switch
        await r.indexWakes({ partitions: PARTITIONS, partitionOf: (a) => partitionFor(a, PARTITIONS) });
        const filled = await timed(() => fill(r, n));
        const table = await timed(() => count(r.kindTimersDue('counter', PAGE)));
        const one = await timed(() => count(r.partitionWakesDue(0, 'counter', PAGE)));
        const all = await timed(async () => {
          let total = 0;
          for (let p = 0; p < PARTITIONS; p++) total += await count(r.partitionWakesDue(p, 'counter', PAGE));
          return total;
        });
        if (table.result !== n || all.result !== n)
          throw new Error(`walks read ${table.result} (table) and ${all.result} (index) of ${n} keys`);
        const note = `${n} instance timers, ${PARTITIONS} partitions (partition 0: ${one.result} wakes), pages of ${PAGE}; filled in ${filled.s.toFixed(1)} s`;
        report({
          bench: 'wake-index',
          metric: `table_walk_s_${n}`,
          value: Number(table.s.toFixed(2)),
          unit: 's',
          note: `before: kindTimersDue over the whole table; ${note}`,
        });
        report({
          bench: 'wake-index',
          metric: `partition_walk_s_${n}`,
          value: Number(one.s.toFixed(3)),
          unit: 's',
          note: `after: one assigned partition's wakes; ${note}`,
        });
        report({
          bench: 'wake-index',
          metric: `all_partitions_walk_s_${n}`,
          value: Number(all.s.toFixed(2)),
          unit: 's',
          note: `after: every partition's wakes, one after the other; ${note}`,
        });
        await r.connection.client.delete().prefix(r.keys.prefix).exec();
      } finally {
        await r.close();
      }
      // The one-time sweep of a table stored before the index (no wakes), once the switch is on.
      const s = new EtcdRegistry({ endpoints: [etcd.endpoint], prefix: `/bench-sweep-${n}-${Date.now()}/`, callTimeoutMs: 120_000 });
      await s.open();
      try {
        await fill(s, n, false);
        await s.connection.client.put(wakeIndexEnabledKey(s.keys)).value(String(PARTITIONS));
        const sweep = await timed(() => s.indexWakes({ partitions: PARTITIONS, partitionOf: (a) => partitionFor(a, PARTITIONS) }));
        if (sweep.result.swept !== n) throw new Error(`the sweep indexed ${sweep.result.swept} of ${n} timers`);
        report({
          bench: 'wake-index',
          metric: `sweep_s_${n}`,
          value: Number(sweep.s.toFixed(2)),
          unit: 's',
          note: `the one-time sweep of ${n} instance timers stored without wakes into the index of ${PARTITIONS} partitions (pages of ${PAGE}, 100 compare-and-puts a transaction)`,
        });
        await s.connection.client.delete().prefix(s.keys.prefix).exec();
      } finally {
        await s.close();
      }
    }
  } finally {
    await etcd.stop();
  }
}

await main();
