/**
 * Agent state on Kafka (decision 1602): what one state write adds to a completion
 * (`node --expose-gc bench/dist/kafka-state.js [--rounds N] [--burst N]`), against a real broker
 * started here. Prints JSON lines; does not touch docs/benchmarks.md.
 *
 * - kafka_state_complete_{none,state}_p50_ms / _p99_ms: one completion at a time (log.complete()
 *   awaited) of a delivery already handed out; "none" records only the offset commit, "state"
 *   first produces one entry + the commit marker (one record batch, acks=-1) to the state topic.
 *   Blocks of the two kinds alternate so load changes on this shared machine hit both alike.
 * - kafka_state_burst_{none,state}_per_s: `--burst` completions issued at once (one per receiver,
 *   300 receivers, as many agents finishing together), until all resolved: completions per second.
 * - etcd_txn_put_p50_ms / _p99_ms, etcd_txn_burst_per_s (with --etcd): one etcd transaction
 *   (compare + put) on loopback, one at a time, and `--burst` of them at once: the alternative
 *   store the decision compares with.
 */
import { loadavg } from 'node:os';
import type { Delivery } from '@caxton/core';
import { KafkaMessageLog } from '@caxton/runtime/cluster';
import { percentile, report } from './lib-output.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? Number(process.argv[i + 1]) : fallback;
}

const ROUNDS = arg('rounds', 4);
const PER_BLOCK = arg('block', 250);
const BURST = arg('burst', 3000);
const bench = 'kafka-state';
const say = (line: string): void => void process.stderr.write(`[bench kafka-state] ${line}\n`);

let seq = 0;
function delivery(receiver: string): Delivery {
  const n = seq++;
  return {
    id: `m${n}/${receiver}`,
    messageId: `m${n}`,
    receiver,
    acceptedAt: Date.now(),
    message: {
      performative: 'request',
      sender: { name: 'bench' },
      receivers: [{ name: receiver }],
      content: `ping ${n}`,
      conversationId: `c-${n}`,
    },
  };
}

interface Infra {
  startKafka(o?: { heap?: string }): Promise<{ bootstrap: string; stop(o?: { graceMs?: number }): Promise<void> }>;
  startEtcd(): Promise<{ endpoint: string; stop(): Promise<void> }>;
}

type Mode = 'none' | 'state';

async function main(): Promise<void> {
  const infra = (await import(new URL('../../scripts/infra/index.mjs', import.meta.url).href)) as Infra;
  const kafka = await infra.startKafka({ heap: '512m' });
  const log = new KafkaMessageLog({
    brokers: [kafka.bootstrap],
    topicPrefix: `bench${process.pid}`,
    partitions: 12,
    nodeId: 'n1',
    maxPendingPerPartition: 100_000,
  });
  try {
    await log.open();
    const handed: Delivery[] = [];
    let waiting: (() => void) | undefined;
    log.consume((batch) => {
      handed.push(...batch);
      waiting?.();
    });
    /** Append `n` deliveries to the receivers and wait until they are all handed out. */
    const prepare = async (receivers: readonly string[], n: number): Promise<Delivery[]> => {
      const list = Array.from({ length: n }, (_, i) => delivery(receivers[i % receivers.length]!));
      const ids = new Set(list.map((d) => d.id));
      await log.append(list);
      const deadline = Date.now() + 60_000;
      while (handed.filter((d) => ids.has(d.id)).length < n) {
        if (Date.now() > deadline) throw new Error('deliveries not handed out within 60 s');
        await new Promise<void>((r) => {
          waiting = r;
          setTimeout(r, 50);
        });
      }
      return list;
    };
    const record = (d: Delivery, mode: Mode) => ({
      id: d.id,
      receiver: d.receiver,
      ...(mode === 'state' ? { state: [{ key: 'count', value: String(seq) }] } : {}),
    });

    // Warm-up: connections, the group join, the state partitions' loads, JIT.
    for (const mode of ['none', 'state'] as Mode[]) for (const d of await prepare(['warm'], 100)) await log.complete([record(d, mode)]);

    // Sequential completions, alternating blocks.
    const samples: Record<Mode, number[]> = { none: [], state: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of (round % 2 === 0 ? ['none', 'state'] : ['state', 'none']) as Mode[]) {
        for (const d of await prepare(['solo'], PER_BLOCK)) {
          const t = performance.now();
          await log.complete([record(d, mode)]);
          samples[mode].push(performance.now() - t);
        }
      }
    }
    const load1 = loadavg()[0]!.toFixed(2);
    for (const mode of ['none', 'state'] as Mode[]) {
      const note = `${samples[mode].length} completions one at a time (${ROUNDS} alternating blocks), ${mode === 'state' ? 'each with one state write (entry + marker produced before the offset commit)' : 'offset commit only'}; one broker on loopback, 12 partitions; load average ${load1}`;
      report({
        bench,
        metric: `kafka_state_complete_${mode}_p50_ms`,
        value: Number(percentile(samples[mode], 50).toFixed(2)),
        unit: 'ms',
        note,
      });
      report({
        bench,
        metric: `kafka_state_complete_${mode}_p99_ms`,
        value: Number(percentile(samples[mode], 99).toFixed(2)),
        unit: 'ms',
        note,
      });
      say(
        `${mode}: p50 ${percentile(samples[mode], 50).toFixed(2)} ms, p99 ${percentile(samples[mode], 99).toFixed(2)} ms (n=${samples[mode].length})`,
      );
    }

    // Bursts: everything at once, alternating twice.
    const receivers = Array.from({ length: 300 }, (_, i) => `agent${i}`);
    const rates: Record<Mode, number[]> = { none: [], state: [] };
    for (const mode of ['none', 'state', 'state', 'none'] as Mode[]) {
      const list = await prepare(receivers, BURST);
      const t = performance.now();
      await Promise.all(list.map((d) => log.complete([record(d, mode)])));
      const rate = BURST / ((performance.now() - t) / 1000);
      rates[mode].push(rate);
      say(`burst ${mode}: ${BURST} completions, ${rate.toFixed(0)}/s`);
    }
    const load2 = loadavg()[0]!.toFixed(2);
    for (const mode of ['none', 'state'] as Mode[]) {
      const mean = rates[mode].reduce((a, b) => a + b, 0) / rates[mode].length;
      report({
        bench,
        metric: `kafka_state_burst_${mode}_per_s`,
        value: Math.round(mean),
        unit: 'completions/s',
        note: `${BURST} completions issued at once over 300 receivers, mean of ${rates[mode].length} bursts (${rates[mode].map((r) => r.toFixed(0)).join(', ')}); ${mode === 'state' ? 'one state write each' : 'no state'}; load average ${load2}`,
      });
    }
  } finally {
    await log.close().catch(() => {});
    await kafka.stop({ graceMs: 5000 });
  }

  if (process.argv.includes('--etcd')) await etcdTxn(infra);
}

/** One compare-and-put transaction at a time on a loopback etcd (what a per-commit etcd write costs). */
async function etcdTxn(infra: Infra): Promise<void> {
  const { Etcd3 } = await import('etcd3');
  const etcd = await infra.startEtcd();
  const client = new Etcd3({ hosts: etcd.endpoint });
  try {
    const samples: number[] = [];
    for (let i = 0; i < 1200; i++) {
      const t = performance.now();
      await client
        .if('bench/state/marker', 'Version', '>', -1)
        .then(client.put('bench/state/count').value(String(i)))
        .commit();
      if (i >= 200) samples.push(performance.now() - t);
    }
    const note = `${samples.length} transactions (compare + put) one at a time after 200 warm-up, single etcd member on loopback; load average ${loadavg()[0]!.toFixed(2)}`;
    report({ bench: 'kafka-state', metric: 'etcd_txn_put_p50_ms', value: Number(percentile(samples, 50).toFixed(2)), unit: 'ms', note });
    report({ bench: 'kafka-state', metric: 'etcd_txn_put_p99_ms', value: Number(percentile(samples, 99).toFixed(2)), unit: 'ms', note });
    // The same burst as above: one transaction per completion, all issued at once.
    const rates: number[] = [];
    for (let round = 0; round < 2; round++) {
      const t = performance.now();
      await Promise.all(
        Array.from({ length: BURST }, (_, i) =>
          client
            .if(`bench/state/a${i % 300}/marker`, 'Version', '>', -1)
            .then(client.put(`bench/state/a${i % 300}/count`).value(String(i)))
            .commit(),
        ),
      );
      rates.push(BURST / ((performance.now() - t) / 1000));
    }
    report({
      bench: 'kafka-state',
      metric: 'etcd_txn_burst_per_s',
      value: Math.round(rates.reduce((a, b) => a + b, 0) / rates.length),
      unit: 'txns/s',
      note: `${BURST} transactions issued at once over 300 agents' keys, mean of 2 bursts (${rates.map((r) => r.toFixed(0)).join(', ')}); load average ${loadavg()[0]!.toFixed(2)}`,
    });
  } finally {
    client.close();
    await etcd.stop();
  }
}

await main();
