/**
 * Kafka client benchmark (`npm run bench -- kafka-clients [--records N] [--rounds N] [--batch N]`).
 * Measures the two pure-JS Kafka clients on what the Kafka message log asks of one (decision
 * 1205), against one real broker started here (KRaft, loopback), same run, alternating order:
 *
 * - produce: N records in produce requests of `--batch` records, one request in flight (the log's
 *   group commit), idempotent producer, acks=-1, explicit partition (receiver-keyed), key = receiver.
 * - consume + commit: a consumer-group member reads the N records from the beginning and, like the
 *   log, commits the offset per partition WITH a metadata string after each fetched batch (one
 *   commit in flight; completions arriving meanwhile share the next one).
 *
 * Reported per client and record shape: records/s and CPU µs per record of this process (the
 * broker runs in its own process and is not counted). Shapes: `compact` = one ~220-byte binary
 * value and no headers (record format v2), `headers` = a ~180-byte JSON value and the four
 * `caxton-*` envelope headers (record format v1).
 *
 * Clients: kafkajs 2.2.4 (the product's client), @platformatic/kafka 1.35.0 (the last line that
 * runs on Node 20) and, if installed by hand, @confluentinc/kafka-javascript (see confluentClient). @platformatic/kafka's Consumer.commit() always sends a null metadata, so its
 * commits here go through its exported OffsetCommit v8 API on the group coordinator's connection
 * with the member's generation — what an adapter on it would have to do.
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import kafkajs from 'kafkajs';
import { Consumer as PConsumer, Producer as PProducer, offsetCommitV8 } from '@platformatic/kafka';
import { partitionFor } from '@caxton/runtime';
import { report } from './lib-output.js';
import { arg } from './lib-args.js';

const RECORDS = Number(arg('records', '30000'));
const ROUNDS = Number(arg('rounds', '2'));
const BATCH = Number(arg('batch', '500'));
const PARTITIONS = 12;
const CLIENTS = arg('clients', 'kafkajs,platformatic').split(',');
const SHAPES = arg('shapes', 'compact,headers').split(',') as Shape[];
const bench = 'kafka-clients';
const say = (line: string): void => void process.stderr.write(`[bench kafka-clients] ${line}\n`);

type Shape = 'compact' | 'headers';
interface Rec {
  key: string;
  value: Buffer;
  partition: number;
  headers?: Record<string, string>;
}

/** Records shaped like the log's deliveries between 300 receivers (sizes as in codec.ts). */
function records(shape: Shape): Rec[] {
  const receivers = Array.from({ length: 300 }, (_, i) => `pong${i}`);
  return Array.from({ length: RECORDS }, (_, i) => {
    const key = receivers[i % receivers.length]!;
    const partition = partitionFor(key, PARTITIONS);
    if (shape === 'compact') return { key, partition, value: randomBytes(220) };
    const id = randomBytes(16).toString('hex');
    return {
      key,
      partition,
      value: Buffer.from(
        `{"performative":"request","sender":{"name":"ping${i % 300}"},"receiver":[{"name":"${key}"}],"content":"ping ${i}","conversation-id":"c-${i}","X-traceparent":"00-${id}-b7ad6b7169203331-01"}`,
      ),
      headers: { 'caxton-v': '1', 'caxton-delivery-id': `${id}/${key}`, 'caxton-message-id': id, 'caxton-accepted-at': String(Date.now()) },
    };
  });
}

interface Measured {
  seconds: number;
  cpuUs: number;
}

function meter(): () => Measured {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  return () => {
    const c = process.cpuUsage(c0);
    return { seconds: (performance.now() - t0) / 1000, cpuUs: c.user + c.system };
  };
}

interface ClientUnderTest {
  produce(topic: string, recs: Rec[]): Promise<Measured>;
  consume(topic: string, groupId: string, expected: number): Promise<Measured>;
  close(): Promise<void>;
}

/** Commits the highest seen offset per partition, one request in flight, like CommitQueue. */
class Committer {
  private pending = new Map<number, bigint>();
  private running: Promise<void> | undefined;
  commits = 0;
  constructor(private readonly send: (offsets: Map<number, bigint>) => Promise<void>) {}
  seen(partition: number, offset: bigint): void {
    this.pending.set(partition, offset + 1n);
    this.running ??= this.loop();
  }
  private async loop(): Promise<void> {
    await new Promise((r) => setImmediate(r));
    while (this.pending.size > 0) {
      const batch = this.pending;
      this.pending = new Map();
      await this.send(batch);
      this.commits += 1;
    }
    this.running = undefined;
  }
  async drain(): Promise<void> {
    while (this.running) await this.running;
  }
}

const METADATA = 'c1;0;'; // what the log commits when nothing in the partition is pending

function kafkajsClient(brokers: string[]): ClientUnderTest {
  const kafka = new kafkajs.Kafka({ clientId: 'bench-kafkajs', brokers, logLevel: kafkajs.logLevel.ERROR });
  return {
    async produce(topic, recs) {
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      await producer.connect();
      const done = meter();
      for (let i = 0; i < recs.length; i += BATCH) {
        await producer.send({ topic, acks: -1, messages: recs.slice(i, i + BATCH) });
      }
      const m = done();
      await producer.disconnect();
      return m;
    },
    async consume(topic, groupId, expected) {
      const done = meter(); // from joining the group to the last commit acknowledged
      const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const committer = new Committer(async (offsets) => {
        await consumer.commitOffsets([...offsets].map(([partition, o]) => ({ topic, partition, offset: String(o), metadata: METADATA })));
      });
      let seen = 0;
      let finished!: (m: Measured) => void;
      const result = new Promise<Measured>((r) => (finished = r));
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) if (m.value !== null) seen += 1;
          committer.seen(batch.partition, BigInt(batch.lastOffset()));
          if (seen >= expected) {
            await committer.drain();
            finished(done());
          }
        },
      });
      const m = await result;
      await consumer.disconnect();
      return m;
    },
    async close() {},
  };
}

function platformaticClient(brokers: string[]): ClientUnderTest {
  return {
    async produce(topic, recs) {
      const producer = new PProducer({ clientId: 'bench-platformatic', bootstrapBrokers: brokers, idempotent: true, acks: -1 });
      await producer.metadata({ topics: [topic] });
      const done = meter();
      for (let i = 0; i < recs.length; i += BATCH) {
        // Without serializers it takes Buffers; the conversions below are what kafkajs does inside.
        await producer.send({
          messages: recs.slice(i, i + BATCH).map((r) => ({
            topic,
            key: Buffer.from(r.key),
            value: r.value,
            partition: r.partition,
            ...(r.headers ? { headers: new Map(Object.entries(r.headers).map(([k, v]) => [Buffer.from(k), Buffer.from(v)])) } : {}),
          })),
        });
      }
      const m = done();
      await producer.close();
      return m;
    },
    async consume(topic, groupId, expected) {
      const done = meter(); // from joining the group to the last commit acknowledged
      const consumer = new PConsumer({
        clientId: 'bench-platformatic',
        bootstrapBrokers: brokers,
        groupId,
        autocommit: false,
        maxWaitTime: 100,
      });
      const committer = new Committer(async (offsets) => {
        const coordinator = await consumer.findGroupCoordinator();
        const metadata = await consumer.metadata({ topics: [topic] });
        const connection = await consumer.connections.get(metadata.brokers.get(coordinator)!);
        const response = await offsetCommitV8.api.async(connection, groupId, consumer.generationId, consumer.memberId, null, [
          {
            name: topic,
            partitions: [...offsets].map(([partitionIndex, o]) => ({
              partitionIndex,
              committedOffset: o,
              committedLeaderEpoch: -1,
              committedMetadata: METADATA,
            })),
          },
        ]);
        for (const t of response.topics)
          for (const p of t.partitions) if (p.errorCode !== 0) throw new Error(`commit failed: error ${p.errorCode}`);
      });
      const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false, maxWaitTime: 100 });
      let seen = 0;
      const m = await new Promise<Measured>((resolve, reject) => {
        stream.on('error', reject);
        stream.on('data', (msg) => {
          seen += 1;
          committer.seen(msg.partition, msg.offset);
          if (seen === expected) committer.drain().then(() => resolve(done()), reject);
        });
      });
      await stream.close();
      await consumer.close();
      return m;
    },
    async close() {},
  };
}

/**
 * @confluentinc/kafka-javascript (librdkafka) through its KafkaJS-compatible API. Not a dependency
 * of the project: its install downloads a prebuilt binary from outside the package registries, and
 * building it from source needs Debian's libssl-dev, zlib1g-dev and libzstd-dev plus
 * CKJS_LINKING=dynamic npm_config_build_from_source=true. Measured only when installed by hand
 * (`--clients …,confluent`).
 */
interface CkjsModule {
  KafkaJS: {
    Kafka: new (
      config: unknown,
    ) => {
      producer(config: unknown): { connect(): Promise<void>; disconnect(): Promise<void>; send(r: unknown): Promise<unknown> };
      consumer(config: unknown): {
        connect(): Promise<void>;
        disconnect(): Promise<void>;
        subscribe(s: unknown): Promise<void>;
        run(r: {
          eachBatch: (p: { batch: { partition: number; messages: unknown[]; lastOffset(): string } }) => Promise<void>;
        }): Promise<void>;
        commitOffsets(o: unknown[]): Promise<void>;
      };
    };
  };
}

async function confluentClient(brokers: string[]): Promise<ClientUnderTest> {
  const name = '@confluentinc/kafka-javascript';
  const { KafkaJS } = ((await import(name)) as { default?: CkjsModule } & CkjsModule).default ?? ((await import(name)) as CkjsModule);
  const kafka = new KafkaJS.Kafka({ kafkaJS: { clientId: 'bench-confluent', brokers, logLevel: 1 } });
  return {
    async produce(topic, recs) {
      // linger.ms 0: send at once like the others; one request in flight per send() call below.
      const producer = kafka.producer({ 'linger.ms': 0, kafkaJS: { idempotent: true, acks: -1, maxInFlightRequests: 1 } });
      await producer.connect();
      const done = meter();
      // It writes into the message objects it is given (headers set to null), so it gets copies.
      for (let i = 0; i < recs.length; i += BATCH)
        await producer.send({ topic, messages: recs.slice(i, i + BATCH).map((r) => ({ ...r })) });
      const m = done();
      await producer.disconnect();
      return m;
    },
    async consume(topic, groupId, expected) {
      const done = meter();
      const consumer = kafka.consumer({ kafkaJS: { groupId, fromBeginning: true, autoCommit: false } });
      await consumer.connect();
      await consumer.subscribe({ topics: [topic] });
      const committer = new Committer(async (offsets) => {
        await consumer.commitOffsets([...offsets].map(([partition, o]) => ({ topic, partition, offset: String(o), metadata: METADATA })));
      });
      let seen = 0;
      let finished!: (m: Measured) => void;
      const result = new Promise<Measured>((r) => (finished = r));
      await consumer.run({
        eachBatch: async ({ batch }) => {
          seen += batch.messages.length;
          committer.seen(batch.partition, BigInt(batch.lastOffset()));
          if (seen >= expected) {
            await committer.drain();
            finished(done());
          }
        },
      });
      const m = await result;
      await consumer.disconnect();
      return m;
    },
    async close() {},
  };
}

interface Infra {
  startKafka(o?: { heap?: string }): Promise<{ bootstrap: string; stop(o?: { graceMs?: number }): Promise<void> }>;
}

async function main(): Promise<void> {
  const given = arg('brokers', '');
  const infra = given ? undefined : ((await import(new URL('../../scripts/infra/index.mjs', import.meta.url).href)) as Infra);
  const kafka = infra ? await infra.startKafka({ heap: '512m' }) : undefined;
  const brokers = given ? given.split(',') : [kafka!.bootstrap];
  const admin = new kafkajs.Kafka({ clientId: 'bench-admin', brokers, logLevel: kafkajs.logLevel.ERROR }).admin();
  await admin.connect();
  const makers: Record<string, (b: string[]) => ClientUnderTest | Promise<ClientUnderTest>> = {
    kafkajs: kafkajsClient,
    platformatic: platformaticClient,
    confluent: confluentClient,
  };
  const samples = new Map<string, { produce: Measured[]; consume: Measured[] }>();
  try {
    // Round -1 warms the JIT on a tenth of the records and is not counted.
    for (let round = -1; round < ROUNDS; round++) {
      // Alternate which client goes first, so drift in machine load hits both alike.
      const order = round % 2 === 0 ? CLIENTS : [...CLIENTS].reverse();
      for (const shape of SHAPES) {
        const recs = round < 0 ? records(shape).slice(0, Math.ceil(RECORDS / 10)) : records(shape);
        for (const name of order) {
          const topic = `bench-kc-${process.pid}-${name}-${shape}-${round}`;
          await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }], waitForLeaders: true });
          const client = await makers[name]!(brokers);
          const p = await client.produce(topic, recs);
          const c = await client.consume(topic, `${topic}-group`, recs.length);
          await client.close();
          if (round < 0) continue;
          const key = `${name}/${shape}`;
          const s = samples.get(key) ?? { produce: [], consume: [] };
          s.produce.push(p);
          s.consume.push(c);
          samples.set(key, s);
          say(
            `round ${round} ${key}: produce ${(recs.length / p.seconds).toFixed(0)}/s ${(p.cpuUs / recs.length).toFixed(1)} µs/rec, consume+commit ${(recs.length / c.seconds).toFixed(0)}/s ${(c.cpuUs / recs.length).toFixed(1)} µs/rec; load ${loadavg()[0]!.toFixed(2)}`,
          );
        }
      }
    }
  } finally {
    await admin.disconnect().catch(() => {});
    await kafka?.stop({ graceMs: 5000 });
  }
  const load = loadavg()[0]!.toFixed(2);
  for (const [key, s] of samples) {
    for (const phase of ['produce', 'consume'] as const) {
      const list = s[phase];
      const seconds = list.reduce((n, m) => n + m.seconds, 0);
      const cpu = list.reduce((n, m) => n + m.cpuUs, 0);
      const total = RECORDS * list.length;
      const what =
        phase === 'produce'
          ? `idempotent acks=-1, ${BATCH} records per request, one in flight`
          : 'join the group, read from the beginning, offset+metadata commit per fetched batch with one in flight; time and CPU from joining to the last commit';
      const note = `${key}: ${total} records in ${list.length} rounds (${what}); CPU of this process only; load average ${load}`;
      report({
        bench,
        metric: `${key.replace('/', '_')}_${phase}_records_per_s`,
        value: Math.round(total / seconds),
        unit: 'records/s',
        note,
      });
      report({
        bench,
        metric: `${key.replace('/', '_')}_${phase}_cpu_us_per_record`,
        value: Number((cpu / total).toFixed(2)),
        unit: 'µs',
        note,
      });
    }
  }
}

await main();
