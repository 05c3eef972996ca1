/**
 * What a rebalance fence by Kafka transactions would cost a state commit (decision 1800), against
 * a real broker started here (`node bench/dist/kafka-fence-cost.js [--rounds N] [--block N]`).
 * Prints JSON lines; does not touch docs/benchmarks.md.
 *
 * One state commit today (decision 1602) is one record batch (an entry + the commit marker) sent by
 * the idempotent producer with acks=-1, followed by the offset commit. With a transactional
 * producer per partition (transactional.id = the partition, so a new owner's initTransactions
 * fences the old one) it would be: begin, the same send (plus AddPartitionsToTxn), the offsets sent
 * to the transaction (AddOffsetsToTxn + TxnOffsetCommit), commit (EndTxn, markers written).
 *
 * `--txn-retry-ms N` sets the transactional producer's first retry delay (kafkajs default 300).
 *
 * - kafka_fence_{plain,txn}_p50_ms / _p99_ms: one commit at a time, blocks of the two kinds
 *   alternating so load changes on this shared machine hit both alike. "plain" = today's produce
 *   alone (today's offset commit comes on top: `kafka-state.ts` measures it, ~0.3 ms at p50);
 *   "txn" = the whole transaction, its offset commit (sendOffsets) included.
 */
import { loadavg } from 'node:os';
import kafkajs from 'kafkajs';
import { percentile, report } from './lib-output.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? Number(process.argv[i + 1]) : fallback;
}

const ROUNDS = arg('rounds', 4);
const PER_BLOCK = arg('block', 200);
/** kafkajs' first retry delay for the transactional producer (its default is 300 ms; see the note). */
const TXN_RETRY_MS = arg('txn-retry-ms', 300);
const bench = 'kafka-fence-cost';
const say = (line: string): void => void process.stderr.write(`[bench ${bench}] ${line}\n`);

interface Infra {
  startKafka(o?: { heap?: string }): Promise<{ bootstrap: string; stop(o?: { graceMs?: number }): Promise<void> }>;
}

type Mode = 'plain' | 'txn';

async function main(): Promise<void> {
  const infra = (await import(new URL('../../scripts/infra/index.mjs', import.meta.url).href)) as Infra;
  const broker = await infra.startKafka({ heap: '512m' });
  const kafka = new kafkajs.Kafka({ clientId: 'bench-fence', brokers: [broker.bootstrap], logLevel: kafkajs.logLevel.ERROR });
  const topic = `fence-bench-${process.pid}`;
  const group = `${topic}.group`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 12, replicationFactor: 1 }], waitForLeaders: true });
  const plain = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  // Back-to-back transactions of one transactional.id meet CONCURRENT_TRANSACTIONS while the
  // broker still writes the previous one's markers; kafkajs retries after `initialRetryTime`.
  const txn = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    transactionalId: `${topic}.p0`,
    retry: { initialRetryTime: TXN_RETRY_MS, maxRetryTime: Math.max(TXN_RETRY_MS * 10, 1000), retries: 10 },
  });
  await plain.connect();
  await txn.connect();
  let n = 0;
  const records = () => [
    { key: `agent\0count`, value: Buffer.from(`\x01${n}`) },
    { key: `agent\0\0commit`, value: Buffer.from(`\x01\x01m${n++}/agent`) },
  ];
  const commitPlain = async () => {
    await plain.send({ topic, acks: -1, messages: records().map((m) => ({ ...m, partition: 0 })) });
  };
  const commitTxn = async () => {
    const t = await txn.transaction();
    try {
      await t.send({ topic, acks: -1, messages: records().map((m) => ({ ...m, partition: 0 })) });
      await t.sendOffsets({ consumerGroupId: group, topics: [{ topic, partitions: [{ partition: 0, offset: String(n) }] }] });
      await t.commit();
    } catch (e) {
      await t.abort().catch(() => {});
      throw e;
    }
  };
  const run: Record<Mode, () => Promise<void>> = { plain: commitPlain, txn: commitTxn };
  try {
    for (const mode of ['plain', 'txn'] as Mode[]) for (let i = 0; i < 50; i++) await run[mode](); // warm-up
    const samples: Record<Mode, number[]> = { plain: [], txn: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of (round % 2 === 0 ? ['plain', 'txn'] : ['txn', 'plain']) as Mode[]) {
        for (let i = 0; i < PER_BLOCK; i++) {
          const t = performance.now();
          await run[mode]();
          samples[mode].push(performance.now() - t);
        }
      }
    }
    const load = loadavg()[0]!.toFixed(2);
    for (const mode of ['plain', 'txn'] as Mode[]) {
      const note = `${samples[mode].length} commits one at a time (${ROUNDS} alternating blocks), ${
        mode === 'txn'
          ? `transaction: begin, entry + marker produced, offsets sent to the transaction, commit; kafkajs first retry after ${TXN_RETRY_MS} ms`
          : 'entry + marker produced by the idempotent producer, acks=-1 (the offset commit comes on top)'
      }; one broker on loopback; load average ${load}`;
      report({ bench, metric: `kafka_fence_${mode}_p50_ms`, value: Number(percentile(samples[mode], 50).toFixed(2)), unit: 'ms', note });
      report({ bench, metric: `kafka_fence_${mode}_p99_ms`, value: Number(percentile(samples[mode], 99).toFixed(2)), unit: 'ms', note });
      say(
        `${mode}: p50 ${percentile(samples[mode], 50).toFixed(2)} ms, p99 ${percentile(samples[mode], 99).toFixed(2)} ms (n=${samples[mode].length})`,
      );
    }
  } finally {
    await Promise.allSettled([plain.disconnect(), txn.disconnect()]);
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
    await broker.stop({ graceMs: 5000 });
  }
}

await main();
