/**
 * The owner's sweep of the state topic (decision 1800) against a real broker: claims left by
 * several takeovers are swept down to the one that decides; a sweep held while another node takes
 * the partition lands void, and the new owner's state stays; a handling's delete becomes a real
 * tombstone. Each is also read as compaction leaves the partition (the newest record of each key
 * at its offset, tombstones kept or already gone), from the records the broker holds.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import type { StateWrite } from '@caxton/core';
import { partitionFor, partitionOwner, type KafkaMessageLog, type KafkaMessageLogOptions } from '../../../src/log/kafka/index.js';
import { decodeStateRecord, type StateRecord } from '../../../src/log/kafka/state-records.js';
import { PartitionState } from '../../../src/log/kafka/partition-state.js';
import { collectingLogger, uniqueNames, waitFor } from './support/broker.js';
import { delivery } from './support/deliveries.js';
import { useKafkaLogs } from './support/kafka-logs.js';

const quiet = collectingLogger();
const PARTITIONS = 4;
type Names = { topicPrefix: string; cluster: string };
type Swept = { partition: number; tombstones: number; rewritten: number; retired: number; claims: number };

interface Raw {
  offset: number;
  key: Buffer;
  value: Buffer | null;
}

describe("KafkaMessageLog: the owner's sweep of the state topic", () => {
  const kafka = useKafkaLogs();
  const taps: Consumer[] = [];
  after(async () => {
    await Promise.allSettled(taps.map((c) => c.disconnect()));
  });

  const node = (names: Names, nodeId: string, extra: Partial<KafkaMessageLogOptions> = {}, consume = true) =>
    kafka.node({ partitions: PARTITIONS, logger: quiet.sink, ...names, nodeId, ...extra }, consume);

  /** Every record of one partition of the state topic, as the broker hands them out, kept up to date. */
  async function tap(names: Names, partition: number): Promise<Raw[]> {
    const client = new Kafka({ brokers: [kafka.bootstrap], clientId: 'sweep-test-tap', logLevel: logLevel.NOTHING });
    const consumer = client.consumer({ groupId: `tap-${randomUUID()}`, maxWaitTimeInMs: 100 });
    taps.push(consumer);
    const records: Raw[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: `${names.topicPrefix}.state`, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition: p, message }) => {
        if (p === partition) records.push({ offset: Number(message.offset), key: message.key!, value: message.value });
      },
    });
    return records;
  }

  /** The records as compaction leaves them: the newest of each key, at its offset (tombstones kept or gone). */
  const compacted = (records: readonly Raw[], dropTombstones: boolean): Raw[] => {
    const newest = new Map<string, number>();
    for (const r of records) newest.set(r.key.toString('latin1'), r.offset);
    return records.filter((r) => newest.get(r.key.toString('latin1')) === r.offset && !(dropTombstones && r.value === null));
  };
  const read = (records: readonly Raw[]): PartitionState => {
    const s = new PartitionState();
    for (const r of records) s.apply(r.offset, decodeStateRecord(r.key, r.value));
    return s;
  };
  const decoded = (records: readonly Raw[]): StateRecord[] => records.map((r) => decodeStateRecord(r.key, r.value));
  /** The claims not retired, and the nodes that wrote them. */
  const liveClaims = (records: readonly Raw[]): string[] => {
    const live = new Map<string, string>();
    for (const r of decoded(records)) {
      if (r.kind === 'claim') live.set(r.claim, r.node);
      else if (r.kind === 'claim-cleared') live.delete(r.claim);
    }
    return [...live.values()];
  };
  /** What a load sees of the agent: of the whole partition, and of it compacted (tombstones kept, gone). */
  const views = (records: readonly Raw[], agent: string) =>
    [records, compacted(records, false), compacted(records, true)].map((rs) => Object.fromEntries(read(rs).view(agent)));

  /** Hand a delivery to `receiver` out on `n` and complete it with `state` (a handling commit, tagged). */
  async function handle(
    n: { log: KafkaMessageLog; got: { id: string }[] },
    id: string,
    receiver: string,
    state: StateWrite[],
  ): Promise<void> {
    const d = delivery(id, receiver);
    await n.log.append([d]);
    await waitFor(`${id} handed out`, () => n.got.some((x) => x.id === d.id), 60_000);
    await n.log.complete([{ id: d.id, receiver, state }]);
  }

  const sweptOn = (log: KafkaMessageLog, partition: number): Swept[] => {
    const seen: Swept[] = [];
    log.events.onType('state-swept', (e) => {
      if (e.partition === partition) seen.push(e);
    });
    return seen;
  };

  it("claims left by several takeovers are swept down to the owner's, and every load reads the same state", async () => {
    const names = uniqueNames('sweep-claims');
    const receiver = 'sweep/alice';
    const p = partitionFor(receiver, PARTITIONS);
    // Four nodes in turn, each alone in the group, each handling one delivery (the second also
    // deletes the first's key): a claim per takeover, none retired (64 are kept by default).
    for (let i = 1; i <= 4; i++) {
      const n = await node(names, `node-${i}`, { stateSweep: { intervalMs: 3_600_000 } });
      await waitFor(`node-${i} owns every partition`, () => n.log.ownedPartitions().length === PARTITIONS, 60_000);
      const state: StateWrite[] = [{ key: `by-${i}`, value: String(i) }];
      if (i === 2) state.push({ key: 'by-1', value: null });
      await handle(n, `claims-${i}`, receiver, state);
      await n.log.close();
    }
    const records = await tap(names, p);
    await waitFor('the tap read the four claims', () => liveClaims(records).length >= 4, 60_000);
    assert.deepEqual(
      [...new Set(liveClaims(records))].sort(),
      ['node-1', 'node-2', 'node-3', 'node-4'],
      'one claim (at least) per takeover, all kept',
    );
    const expected = { 'by-2': '2', 'by-3': '3', 'by-4': '4' };

    // node-5 keeps at most one claim: it re-writes what the older claims tagged, then retires them.
    const five = await node(names, 'node-5', { stateSweep: { maxClaims: 1, intervalMs: 50 } }, false);
    const swept = sweptOn(five.log, p);
    five.log.consume((batch) => five.got.push(...batch));
    await waitFor('node-5 retired the older claims', () => swept.some((s) => s.retired > 0), 60_000);
    await waitFor('the tap read the retirement', () => liveClaims(records).length === 1, 60_000);
    assert.deepEqual(liveClaims(records), ['node-5'], "only the owner's claim decides");
    assert.ok(
      swept.some((s) => s.rewritten > 0),
      'the keys older claims tagged were re-written first',
    );
    assert.ok(
      swept.some((s) => s.tombstones > 0),
      'the deleted key became a tombstone',
    );
    for (const view of views(records, receiver)) assert.deepEqual(view, expected);
    assert.deepEqual(Object.fromEntries(await five.log.readState(receiver)), expected);
    const reader = await node({ topicPrefix: names.topicPrefix, cluster: `${names.cluster}-reader` }, 'reader', {}, false);
    assert.deepEqual(Object.fromEntries(await reader.log.readState(receiver)), expected);
    // The next owner's load reads the swept partition and hands out only what is new.
    await five.log.close();
    const six = await node(names, 'node-6');
    await waitFor('node-6 owns every partition', () => six.log.ownedPartitions().length === PARTITIONS, 60_000);
    assert.deepEqual(Object.fromEntries(await six.log.readState(receiver)), expected);
    await handle(six, 'claims-6', receiver, [{ key: 'by-6', value: '6' }]);
    assert.deepEqual(
      six.got.map((d) => d.id),
      [`claims-6/${receiver}`],
      'no completed delivery handed out again',
    );
  });

  it('a sweep that lands after another node took the partition deletes nothing the new owner holds', async () => {
    const names = uniqueNames('sweep-race');
    const receiver = Array.from({ length: 64 }, (_, i) => `racer-${i}`).find(
      (r) => partitionOwner(partitionFor(r, PARTITIONS), ['node-a', 'node-b']) === 'node-b',
    );
    assert.ok(receiver !== undefined, 'node-b owns a partition when both are members');
    const p = partitionFor(receiver, PARTITIONS);
    let armed = false;
    let holding = false;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const a = await node(names, 'node-a', {
      stateSweep: { intervalMs: 50 },
      beforeStateSweep: async (partition) => {
        if (!armed || partition !== p) return;
        holding = true;
        await gate;
      },
    });
    const sweptByA = sweptOn(a.log, p);
    await waitFor('node-a owns every partition', () => a.log.ownedPartitions().length === PARTITIONS, 60_000);
    await handle(a, 'race-1', receiver, [
      { key: 'k', value: 'from-a' },
      { key: 'n', value: '1' },
    ]);
    armed = true;
    // The handling deletes k (a tagged delete): node-a's sweep plans its tombstone and is held.
    await handle(a, 'race-2', receiver, [{ key: 'k', value: null }]);
    await waitFor("node-a's sweep held between its plan and its produce", () => holding, 60_000);
    // node-b joins and takes the partition, then writes k again in a handling of its own.
    const b = await node(names, 'node-b');
    await waitFor("node-b owns the receiver's partition", () => b.log.ownedPartitions().includes(p), 60_000);
    assert.equal(await b.log.stateLoaded(receiver), true);
    await handle(b, 'race-3', receiver, [{ key: 'k', value: 'from-b' }]);
    const expected = { k: 'from-b', n: '1' };
    assert.deepEqual(Object.fromEntries(await b.log.readState(receiver)), expected);
    // node-a's sweep goes on: its header and tombstone land after node-b's claim and write.
    release();
    await waitFor("node-a's sweep produced", () => sweptByA.some((s) => s.tombstones === 1), 60_000);
    const records = await tap(names, p);
    await waitFor(
      "the tap read node-a's late tombstone",
      () => records.some((r) => r.value === null && r.key.toString().endsWith('\u0000k')),
      60_000,
    );
    assert.deepEqual(Object.fromEntries(await b.log.readState(receiver)), expected, "the owner's view");
    const reader = await node({ topicPrefix: names.topicPrefix, cluster: `${names.cluster}-reader` }, 'reader', {}, false);
    assert.deepEqual(Object.fromEntries(await reader.log.readState(receiver)), expected, 'a reader from the start');
    // node-b re-writes k after the void tombstone (its repair), so compaction keeps its value.
    const kRecords = () => records.filter((r) => r.key.toString() === `${receiver}\u0000k`);
    await waitFor('node-b re-wrote k after the late tombstone', () => kRecords().at(-1)?.value !== null, 60_000);
    for (const view of views(records, receiver)) assert.deepEqual(view, expected);
  });

  it("a handling's delete becomes a tombstone; a load of the compacted partition still sees the key deleted", async () => {
    const names = uniqueNames('sweep-deletes');
    const receiver = 'sweep/bob';
    const p = partitionFor(receiver, PARTITIONS);
    const a = await node(names, 'node-a', { stateSweep: { intervalMs: 50 } });
    const swept = sweptOn(a.log, p);
    await waitFor('node-a owns every partition', () => a.log.ownedPartitions().length === PARTITIONS, 60_000);
    await handle(a, 'del-1', receiver, [
      { key: 'gone', value: 'x' },
      { key: 'keep', value: 'y' },
    ]);
    await handle(a, 'del-2', receiver, [{ key: 'gone', value: null }]);
    await waitFor('node-a swept the delete', () => swept.some((s) => s.tombstones > 0), 60_000);
    const records = await tap(names, p);
    const gone = () => records.filter((r) => r.key.toString() === `${receiver}\u0000gone`);
    await waitFor('the tap read the tombstone', () => gone().at(-1)?.value === null, 60_000);
    // Before it: the value and the tagged delete (version 0x02), then the tombstone behind a header.
    assert.deepEqual(
      gone().map((r) => (r.value === null ? 'tombstone' : r.value[0])),
      [0x02, 0x02, 'tombstone'],
    );
    const header = decoded(records.filter((r) => r.offset === gone().at(-1)!.offset - 1));
    assert.deepEqual(
      header.map((r) => r.kind),
      ['sweep'],
    );
    const expected = { keep: 'y' };
    for (const view of views(records, receiver)) assert.deepEqual(view, expected);
    assert.deepEqual(Object.fromEntries(await a.log.readState(receiver)), expected);
    const reader = await node({ topicPrefix: names.topicPrefix, cluster: `${names.cluster}-reader` }, 'reader', {}, false);
    assert.deepEqual(Object.fromEntries(await reader.log.readState(receiver)), expected);
  });
});
