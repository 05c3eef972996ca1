/**
 * The cost of signed records (decision 2185) on the message path: one HMAC tag made where a
 * delivery is produced and one checked where it is consumed, on the record a cross-node message
 * really is (a delivery as the Kafka log encodes it, its tag header as kafkajs hands it back).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { report } from './lib-output.js';
import type { Delivery } from '@caxton/core';
import { RecordKeyRing, encodeDeliveryRecord } from '@caxton/runtime/cluster';

export interface RecordMacCost {
  /** Sign + verify, per record, µs of CPU. */
  usPerMsg: number;
  signUs: number;
  verifyUs: number;
  /** Key + value bytes of the records measured (their mean). */
  recordBytes: number;
}

/** A pinger/echo round's message, as the cluster bench's agents send them. */
function delivery(i: number): Delivery {
  const ping = `ping${i % 300}-${i % 7}`;
  const pong = `pong${i % 300}-${i % 5}`;
  return {
    id: `${randomBytes(8).toString('hex')}>${pong}`,
    messageId: randomBytes(8).toString('hex'),
    receiver: pong,
    acceptedAt: Date.now(),
    message: {
      performative: 'request',
      sender: { name: `${ping}@bench`, addresses: ['caxton://n1'] },
      receivers: [{ name: `${pong}@bench` }],
      content: `ping ${i} ${'x'.repeat(64)}`,
      conversationId: `conv-${randomBytes(6).toString('hex')}`,
      replyWith: `r-${i}`,
      protocol: 'fipa-request',
    },
  };
}

export function recordMacCost(records = 200_000): RecordMacCost {
  const ring = new RecordKeyRing([
    { id: 'k2', secret: randomBytes(32) },
    { id: 'k1', secret: randomBytes(32) },
  ]);
  const topic = 'caxton.bench.deliveries';
  const shapes = Array.from({ length: 1000 }, (_, i) => encodeDeliveryRecord(delivery(i), i % 12));
  const recordBytes = shapes.reduce((n, m) => n + Buffer.byteLength(m.key as string) + (m.value as Buffer).length, 0) / shapes.length;
  // As read back: key and header values are Buffers.
  const read = shapes.map((m) => {
    ring.sign(topic, m.partition!, m);
    return {
      key: Buffer.from(m.key as string),
      value: m.value as Buffer,
      headers: { 'caxton-mac': Buffer.from(String(m.headers!['caxton-mac'])) },
    };
  });
  for (const m of shapes) m.headers = undefined;
  // Warm-up, then timed: sign (fresh header each time, as a new record), then verify.
  // CPU time (user + system) of this process, not wall time: the machine is shared, and the figure
  // is set beside kafka_cpu_us_per_msg, which is CPU time too.
  const cpuMs = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const run = (n: number): { sign: number; verify: number } => {
    let t = cpuMs();
    for (let i = 0; i < n; i++) {
      const m = shapes[i % shapes.length]!;
      m.headers = undefined;
      ring.sign(topic, m.partition!, m);
    }
    const sign = cpuMs() - t;
    t = cpuMs();
    let bad = 0;
    for (let i = 0; i < n; i++) if (!ring.verify(topic, shapes[i % read.length]!.partition!, read[i % read.length]!).ok) bad += 1;
    const verify = cpuMs() - t;
    if (bad > 0) throw new Error(`${bad} records did not verify`);
    return { sign, verify };
  };
  run(Math.min(records, 20_000));
  const { sign, verify } = run(records);
  const signUs = (sign * 1000) / records;
  const verifyUs = (verify * 1000) / records;
  return { usPerMsg: signUs + verifyUs, signUs, verifyUs, recordBytes };
}

/** What a throughput run of the cluster bench measured: its steady window's figures, or the whole run's when it had none. */
export interface ThroughputFigures {
  msgsPerS: number;
  cpuUsPerMsg: number;
  steady: boolean;
}

/** A record key file of one fresh key, for the nodes of the `signed` phase; `remove()` when done. */
export function recordKeyFile(): { file: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'caxton-bench-record-keys-'));
  const file = path.join(dir, 'keys');
  writeFileSync(file, `bench ${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The signed throughput run against the plain one of the same invocation. */
export function reportSignedCost(bench: string, plain: ThroughputFigures, signed: ThroughputFigures): void {
  report({
    bench,
    metric: 'kafka_signed_cpu_cost_pct',
    value: Number((((signed.cpuUsPerMsg - plain.cpuUsPerMsg) / plain.cpuUsPerMsg) * 100).toFixed(1)),
    unit: '%',
    target: '<= 10',
    note: `node CPU per cross-node message with record keys over without, same run: ${signed.cpuUsPerMsg.toFixed(1)} vs ${plain.cpuUsPerMsg.toFixed(1)} µs (${signed.steady && plain.steady ? 'steady windows' : 'a whole run stands in for a missing steady window'}); two runs on a shared machine: a few % either way is noise`,
  });
  report({
    bench,
    metric: 'kafka_signed_throughput_cost_pct',
    value: Number((((plain.msgsPerS - signed.msgsPerS) / plain.msgsPerS) * 100).toFixed(1)),
    unit: '%',
    target: '<= 10',
    note: `cross-node msgs/s without record keys over with, same run: ${Math.round(plain.msgsPerS)} vs ${Math.round(signed.msgsPerS)} (negative: the signed run was faster — noise)`,
  });
}

/** record_mac_us_per_msg, and its share of the plain run's cross-node CPU figure when there was one. */
export function reportMacCost(bench: string, plain: ThroughputFigures | undefined): void {
  const cost = recordMacCost();
  report({
    bench,
    metric: 'record_mac_us_per_msg',
    value: Number(cost.usPerMsg.toFixed(2)),
    unit: 'us',
    note: `HMAC-SHA256 (128-bit tag) of one delivery record made where produced (${cost.signUs.toFixed(2)} µs) and checked where consumed (${cost.verifyUs.toFixed(2)} µs), CPU time of this process's thread; records of ${Math.round(cost.recordBytes)} bytes (key + value) as the Kafka log encodes a pinger's request`,
  });
  if (plain !== undefined)
    report({
      bench,
      metric: 'record_mac_cost_pct',
      value: Number(((cost.usPerMsg / plain.cpuUsPerMsg) * 100).toFixed(1)),
      unit: '%',
      target: '<= 10',
      note: `record_mac_us_per_msg over this run's kafka_cpu_us_per_msg (${plain.cpuUsPerMsg.toFixed(1)} µs): a cross-node message is one record signed and one checked`,
    });
}
