/**
 * Benchmark of the embedded log (not a test: numbers are printed, never asserted).
 *
 *   node runtime/dist/test/log/embedded/bench-log.js [--seconds 3] [--recovery 1000000] [--batch 1]
 *        [--only throughput|recovery|fanout] [--fsync always,interval,never] [--producers 1,256,4096]
 *        [--fanout 1000]
 *
 * Throughput: C concurrent producers each loop `await log.append([delivery])` (optionally
 * `--batch n` deliveries per call) for a few seconds, per fsync policy; the "cycle" variant also
 * completes every delivery as the consumer receives it (two records per delivery, the bus's
 * steady state). Recovery: write N deliveries, complete 40% of them, reopen and time open().
 * Fanout: 20 messages each addressed to F receivers (the bus's multi-receiver append: one message
 * object shared by F deliveries), fsync always; bytes on disk and append time per message, then
 * 40% of the deliveries completed and open() timed (decision 1202).
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { EmbeddedMessageLog, type FsyncPolicy } from '../../../src/log/embedded/index.js';
import type { Delivery } from '@caxton/core';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '3' },
    recovery: { type: 'string', default: '1000000' },
    batch: { type: 'string', default: '1' },
    only: { type: 'string', default: '' },
    fsync: { type: 'string', default: 'always,interval,never' },
    producers: { type: 'string', default: '1,256,4096' },
    fanout: { type: 'string', default: '1000' },
  },
});
const SECONDS = Number(values.seconds);
const RECOVERY_RECORDS = Number(values.recovery);
const BATCH = Number(values.batch);

function benchDelivery(n: number): Delivery {
  const receiver = `agent-${n % 64}`;
  return {
    id: `node1-${n}:${receiver}`,
    messageId: `node1-${n}`,
    receiver,
    acceptedAt: Date.now(),
    message: {
      performative: 'request',
      sender: { name: `client-${n % 16}@bench` },
      receivers: [{ name: `${receiver}@bench` }],
      content: '((action (agent-identifier :name worker@bench) (price-of "widget" 42)))',
      language: 'fipa-sl',
      ontology: 'trading',
      protocol: 'fipa-request',
      conversationId: `conv-${n}`,
      replyWith: `rw-${n}`,
    },
  };
}

async function withLog<T>(fsync: FsyncPolicy, fn: (log: EmbeddedMessageLog, dir: string) => Promise<T>, keepDir?: string): Promise<T> {
  const dir = keepDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'caxton-bench-')));
  try {
    const log = new EmbeddedMessageLog({ dir, fsync });
    log.events.onType('warning', ({ warning: w }) => console.error(w.describe()));
    try {
      return await fn(log, dir);
    } finally {
      await log.close();
    }
  } finally {
    if (keepDir === undefined) await fs.rm(dir, { recursive: true, force: true });
  }
}

async function throughput(fsync: FsyncPolicy, producers: number, cycle: boolean): Promise<void> {
  await withLog(fsync, async (log) => {
    let handed = 0;
    log.consume((batch) => {
      handed += batch.length;
      if (cycle) void log.complete(batch.map((d) => ({ id: d.id, receiver: d.receiver })));
    });
    await log.open();
    let next = 0;
    let stop = false;
    const started = performance.now();
    const cpuStart = process.cpuUsage();
    const producer = async (): Promise<void> => {
      while (!stop) {
        const batch: Delivery[] = [];
        for (let i = 0; i < BATCH; i++) batch.push(benchDelivery(next++));
        await log.append(batch);
      }
    };
    const timer = setTimeout(() => (stop = true), SECONDS * 1000);
    await Promise.all(Array.from({ length: producers }, producer));
    clearTimeout(timer);
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    const stats = log.stats();
    console.log(
      [
        `fsync=${fsync.padEnd(8)}`,
        `producers=${String(producers).padStart(4)}`,
        `batch=${BATCH}`,
        cycle ? 'append+complete' : 'append-only    ',
        `${Math.round(handed / seconds)
          .toLocaleString('en')
          .padStart(9)} deliveries/s`,
        `groups/s=${Math.round(stats.commitGroups / seconds)}`,
        `fsyncs/s=${Math.round(stats.fsyncs / seconds)}`,
        `cpu=${Math.round(((cpu.user + cpu.system) / 1e6 / seconds) * 100)}%`,
        // CPU per delivery is the figure that survives a busy shared machine.
        `cpu/delivery=${((cpu.user + cpu.system) / Math.max(1, handed)).toFixed(1)}µs`,
        `segments deleted=${stats.segmentsDeleted}`,
      ].join('  '),
    );
  });
}

async function recovery(count: number): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'caxton-bench-recovery-'));
  try {
    let bytes = 0;
    const writeStarted = performance.now();
    await withLog(
      'never',
      async (log) => {
        log.consume(() => {});
        await log.open();
        const chunk = 1000;
        for (let n = 0; n < count; n += chunk) {
          const batch = Array.from({ length: Math.min(chunk, count - n) }, (_, i) => benchDelivery(n + i));
          await log.append(batch);
          // Complete 40% (two of every five), spread over every segment.
          await log.complete(batch.filter((_, i) => i % 5 < 2).map((d) => ({ id: d.id, receiver: d.receiver })));
        }
      },
      dir,
    );
    for (const name of await fs.readdir(dir)) bytes += (await fs.stat(path.join(dir, name))).size;
    const writeSeconds = (performance.now() - writeStarted) / 1000;
    let replayed = 0;
    const memBefore = process.memoryUsage().rss;
    await withLog(
      'always',
      async (log) => {
        log.consume((batch) => (replayed += batch.length));
        const started = performance.now();
        const cpuStart = process.cpuUsage();
        await log.open();
        const ms = performance.now() - started;
        const cpu = process.cpuUsage(cpuStart);
        const stats = log.stats();
        console.log(
          `recovery: ${count.toLocaleString('en')} deliveries + ${Math.round(count * 0.4).toLocaleString('en')} completions ` +
            `(${(bytes / 1024 / 1024).toFixed(0)} MiB in ${stats.segments} segments, written in ${writeSeconds.toFixed(1)} s): ` +
            `open() ${ms.toFixed(0)} ms (cpu ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms), ${stats.recovery?.records.toLocaleString('en')} records read, ${replayed.toLocaleString('en')} replayed, ` +
            `rss +${Math.round((process.memoryUsage().rss - memBefore) / 1024 / 1024)} MiB`,
        );
      },
      dir,
    );
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function fanout(receivers: number, messages = 20): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'caxton-bench-fanout-'));
  try {
    const all: Delivery[] = [];
    let appendMs = 0;
    await withLog(
      'always',
      async (log) => {
        log.consume(() => {});
        await log.open();
        for (let m = 0; m < messages; m++) {
          const message = {
            ...benchDelivery(m).message,
            receivers: Array.from({ length: receivers }, (_, i) => ({ name: `sink-${i}@bench` })),
          };
          const acceptedAt = Date.now();
          const batch = message.receivers.map(
            (_, i): Delivery => ({ id: `node1-f${m}:sink-${i}`, messageId: `node1-f${m}`, receiver: `sink-${i}`, message, acceptedAt }),
          );
          const started = performance.now();
          await log.append(batch);
          appendMs += performance.now() - started;
          all.push(...batch);
        }
        await log.complete(all.filter((_, i) => i % 5 < 2).map((d) => ({ id: d.id, receiver: d.receiver })));
      },
      dir,
    );
    let bytes = 0;
    for (const name of await fs.readdir(dir)) if (name.endsWith('.seg')) bytes += (await fs.stat(path.join(dir, name))).size;
    let replayed = 0;
    await withLog(
      'always',
      async (log) => {
        log.consume((batch) => (replayed += batch.length));
        const started = performance.now();
        await log.open();
        console.log(
          `fanout: ${messages} messages to ${receivers.toLocaleString('en')} receivers each, fsync always: ` +
            `${Math.round(bytes / messages).toLocaleString('en')} bytes on disk per message, append ${(appendMs / messages).toFixed(1)} ms per message; ` +
            `40% completed, open() ${(performance.now() - started).toFixed(0)} ms, ${replayed.toLocaleString('en')} replayed`,
        );
      },
      dir,
    );
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(`embedded log benchmark: node ${process.version}, ${os.cpus().length} cpus, ${SECONDS}s per run, tmpdir ${os.tmpdir()}`);
  const only = values.only;
  if (only === '' || only === 'throughput') {
    for (const fsync of values.fsync.split(',') as FsyncPolicy[]) {
      for (const producers of values.producers.split(',').map(Number)) {
        for (const cycle of [false, true]) await throughput(fsync, producers, cycle);
      }
    }
  }
  if ((only === '' || only === 'recovery') && RECOVERY_RECORDS > 0) await recovery(RECOVERY_RECORDS);
  if (only === '' || only === 'fanout') await fanout(Number(values.fanout));
}

await main();
