#!/usr/bin/env node
/**
 * Measures, on this machine, with a private broker: broker start time, and appends/s through the
 * Kafka MessageLog (sequential single appends, concurrent single appends sharing requests, batches
 * of 100), plus consume+complete throughput. Needs a build: `npx tsc -b runtime`.
 *   node scripts/infra/measure-kafka.mjs [--json]
 * Numbers are for humans and docs; tests never assert performance.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startKafka } from './kafka.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { KafkaMessageLog } = await import(pathToFileURL(path.join(root, 'runtime/dist/src/log/kafka/index.js')).href);

const receivers = Array.from({ length: 64 }, (_, i) => `agent${i}`);
let seq = 0;
const delivery = () => {
  const n = seq++;
  const receiver = receivers[n % receivers.length];
  return {
    id: `m${n}/${receiver}`,
    messageId: `m${n}`,
    receiver,
    acceptedAt: Date.now(),
    message: {
      performative: 'inform',
      sender: { name: 'bench@p' },
      receivers: [{ name: `${receiver}@p` }],
      content: 'x'.repeat(100),
      conversationId: `c${n}`,
    },
  };
};
const pct = (xs, p) => xs.sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

const t0 = Date.now();
const broker = await startKafka({ heap: '512m' });
const results = { kafkaVersion: broker.version, brokerReadyMs: broker.lastStartMs, brokerStartTotalMs: Date.now() - t0 };
const log = new KafkaMessageLog({ brokers: [broker.bootstrap], topicPrefix: `bench${Date.now()}`, partitions: 12, logger: () => {} });
try {
  const o0 = Date.now();
  await log.open();
  results.openMs = Date.now() - o0;

  // 1. one appender, one delivery per append: latency-bound.
  const lat = [];
  let t = Date.now();
  for (let i = 0; i < 2000; i++) {
    const s = performance.now();
    await log.append([delivery()]);
    lat.push(performance.now() - s);
  }
  results.sequentialSingle = {
    perSec: Math.round(2000 / ((Date.now() - t) / 1000)),
    p50Ms: +pct(lat, 0.5).toFixed(2),
    p99Ms: +pct(lat, 0.99).toFixed(2),
  };

  // 2. 64 concurrent appenders, one delivery each: appends share produce requests.
  t = Date.now();
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      for (let i = 0; i < 500; i++) await log.append([delivery()]);
    }),
  );
  results.concurrent64Single = { perSec: Math.round(32000 / ((Date.now() - t) / 1000)) };

  // 3. batches of 100 deliveries (a message to many receivers, or a busy agent's outbox).
  t = Date.now();
  for (let i = 0; i < 500; i++) await log.append(Array.from({ length: 100 }, delivery));
  results.sequentialBatch100 = { perSec: Math.round(50000 / ((Date.now() - t) / 1000)) };

  // 4. consume and complete everything appended above.
  const total = seq;
  let done = 0;
  t = Date.now();
  await new Promise((resolve, reject) => {
    log.consume((batch) => {
      log.complete(batch.map((d) => ({ id: d.id, receiver: d.receiver }))).then(() => {
        done += batch.length;
        if (done >= total) resolve();
      }, reject);
    });
  });
  results.consumeAndComplete = { deliveries: total, perSec: Math.round(total / ((Date.now() - t) / 1000)) };
} finally {
  await log.close().catch(() => {});
  await broker.stop();
}
if (process.argv.includes('--json')) console.log(JSON.stringify(results, null, 2));
else for (const [k, v] of Object.entries(results)) console.log(`${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`);
