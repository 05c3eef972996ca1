/**
 * Kafka message log benchmark (`npm run bench -- kafka-log [--messages N] [--window N] [--rate R]`):
 * the log alone, without agents, sandboxes or a second node, against a real broker started here.
 * Every message is what a cross-node message costs the log: one append (acks=-1, group commit),
 * one consumption by the group member owning the partition, one completion (offset + pending set
 * committed). Reports:
 *
 * - kafka_log_msgs_per_s / kafka_log_cpu_us_per_msg: closed loop with `--window` deliveries in
 *   flight to 300 receivers; each completion appends the next one. CPU of this process only (the
 *   broker is another process).
 * - kafka_log_p99_ms / kafka_log_p50_ms: at a fixed `--rate` (default half the measured
 *   throughput), append call → delivery handed to the consumer.
 *
 * KafkaMessageLog comes from @caxton/runtime/cluster, the subpath that exports the cluster's
 * adapters as values for benches and tools (the main entry only as a type, so a node on the
 * embedded log does not load kafkajs; decision 2146). Nodes build it from their cluster options.
 */
import { loadavg } from 'node:os';
import type { Delivery } from '@caxton/core';
import { KafkaMessageLog } from '@caxton/runtime/cluster';
import { percentile, report } from './lib-output.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? Number(process.argv[i + 1]) : fallback;
}

const MESSAGES = arg('messages', 40_000);
const WINDOW = arg('window', 1000);
const bench = 'kafka-log';
const say = (line: string): void => void process.stderr.write(`[bench kafka-log] ${line}\n`);

let seq = 0;
function delivery(i: number): Delivery {
  const n = seq++;
  const receiver = `pong${i % 300}`;
  return {
    id: `m${n}/${receiver}`,
    messageId: `m${n}`,
    receiver,
    acceptedAt: Date.now(),
    message: {
      performative: 'request',
      sender: { name: `ping${i % 300}` },
      receivers: [{ name: receiver }],
      content: `ping ${n}`,
      conversationId: `c-${i % 300}`,
      replyWith: `r${n}`,
      userParams: { 'X-traceparent': '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    },
  };
}

interface Infra {
  startKafka(o?: { heap?: string }): Promise<{ bootstrap: string; stop(o?: { graceMs?: number }): Promise<void> }>;
}

async function main(): Promise<void> {
  const infra = (await import(new URL('../../scripts/infra/index.mjs', import.meta.url).href)) as Infra;
  const kafka = await infra.startKafka({ heap: '512m' });
  const log = new KafkaMessageLog({ brokers: [kafka.bootstrap], topicPrefix: `bench${process.pid}`, partitions: 12, nodeId: 'n1' });
  try {
    await log.open();
    let onHanded: ((batch: readonly Delivery[]) => void) | undefined;
    log.consume((batch) => onHanded?.(batch));
    await new Promise((r) => setTimeout(r, 3000)); // the group join and first assignment

    // Throughput: a closed loop, `WINDOW` in flight.
    let done = 0;
    let appended = 0;
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await new Promise<void>((resolve, reject) => {
      const next = (k: number) => {
        if (appended >= MESSAGES) return;
        const list = Array.from({ length: Math.min(k, MESSAGES - appended) }, () => delivery(appended++));
        for (const d of list) log.append([d]).catch(reject); // one append per delivery, as the bus does
      };
      onHanded = (batch) => {
        log.complete(batch.map((d) => ({ id: d.id, receiver: d.receiver }))).then(() => {
          done += batch.length;
          if (done >= MESSAGES) resolve();
          else next(batch.length);
        }, reject);
      };
      next(WINDOW);
    });
    const cpu = process.cpuUsage(c0);
    const seconds = (performance.now() - t0) / 1000;
    const rate = MESSAGES / seconds;
    const cpuPer = (cpu.user + cpu.system) / MESSAGES;
    say(
      `${MESSAGES} messages in ${seconds.toFixed(1)} s: ${rate.toFixed(0)}/s, ${cpuPer.toFixed(1)} µs CPU each; load ${loadavg()[0]!.toFixed(2)}`,
    );
    const note = `${MESSAGES} deliveries to 300 receivers, ${WINDOW} in flight: append (acks=-1) → consumed → completed (commit with pending-set metadata); one node, 12 partitions; CPU of this process only; load average ${loadavg()[0]!.toFixed(2)}`;
    report({ bench, metric: 'kafka_log_msgs_per_s', value: Math.round(rate), unit: 'msgs/s', note });
    report({ bench, metric: 'kafka_log_cpu_us_per_msg', value: Number(cpuPer.toFixed(1)), unit: 'µs', note });

    // Latency at a fixed rate: append call → handed to the consumer.
    const fixed = arg('rate', Math.max(100, Math.round(rate / 2)));
    const total = Math.min(Math.round(fixed * 5), 20_000);
    const sentAt = new Map<string, number>();
    const samples: number[] = [];
    onHanded = (batch) => {
      const now = performance.now();
      for (const d of batch) {
        const t = sentAt.get(d.id);
        if (t !== undefined) samples.push(now - t);
      }
      void log.complete(batch.map((d) => ({ id: d.id, receiver: d.receiver })));
    };
    const start = performance.now();
    for (let i = 0; i < total; i++) {
      const wait = start + (i * 1000) / fixed - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const d = delivery(i);
      sentAt.set(d.id, performance.now());
      void log.append([d]);
    }
    const deadline = Date.now() + 30_000;
    while (samples.length < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const lnote = `${samples.length} of ${total} deliveries at ${fixed}/s (half the closed-loop rate): append() call → handed to the consumer; load average ${loadavg()[0]!.toFixed(2)}`;
    report({ bench, metric: 'kafka_log_p99_ms', value: Number(percentile(samples, 99).toFixed(1)), unit: 'ms', note: lnote });
    report({ bench, metric: 'kafka_log_p50_ms', value: Number(percentile(samples, 50).toFixed(1)), unit: 'ms', note: lnote });
  } finally {
    await log.close().catch(() => {});
    await kafka.stop({ graceMs: 5000 });
  }
}

await main();
