/**
 * A consumer that leaves the group (a crash, a restart, removal after its session timeout) and
 * rejoins under a new member id, against a real broker (review of decision 2060, must fix 1).
 * node-a owns the receiver's partition by rendezvous; its consumer goes down as on a crash (kafkajs
 * disconnects, then the consumer restarts); node-b alone then takes the partition, claims it in
 * the state topic and commits a handling; node-a comes back and wins the partition again. Its
 * join must count as a full revocation: a fresh claim and load, so its next state commit is
 * seen by every reader (before the fix it was tagged with its old claim, now older than node-b's,
 * and silently void), and an assignment without the partition first (the residency's instances
 * leave). The same protects named agents' state on the partition.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { partitionFor, partitionOwner, type KafkaMessageLogOptions } from '../../../src/log/kafka/index.js';
import { collectingLogger, uniqueNames, waitFor } from './support/broker.js';
import { delivery } from './support/deliveries.js';
import { useKafkaLogs } from './support/kafka-logs.js';

const quiet = collectingLogger();
const PARTITIONS = 4;

/** The consumer's seam for this test only: what its CRASH handler does (kafkajs has disconnected; restart later). */
interface ConsumerInternals {
  consumer: { disconnect(): Promise<void> };
  restartLater(attempt: number): void;
}

describe('KafkaMessageLog: a consumer that rejoins under a new membership', () => {
  const kafka = useKafkaLogs();

  const node = (names: { topicPrefix: string; cluster: string }, extra: Partial<KafkaMessageLogOptions>, consume = true) =>
    kafka.node({ partitions: PARTITIONS, logger: quiet.sink, ...names, ...extra }, consume);

  it('its partitions got back start afresh: its next state commit counts for every reader', async () => {
    const names = uniqueNames('rejoin');
    const receiver = Array.from({ length: 64 }, (_, i) => `agent-${i}`).find(
      (r) => partitionOwner(partitionFor(r, PARTITIONS), ['node-a', 'node-b']) === 'node-a',
    );
    assert.ok(receiver !== undefined);
    const p = partitionFor(receiver, PARTITIONS);
    const a = await node(names, { nodeId: 'node-a' });
    const assignments: number[][] = [];
    a.log.events.onType('assignment', (e) => {
      assignments.push([...e.partitions]);
    });
    const b = await node(names, { nodeId: 'node-b' });
    await waitFor(
      'both members hold their rendezvous share',
      () =>
        a.log.ownedPartitions().includes(p) &&
        b.log.ownedPartitions().length > 0 &&
        a.log.ownedPartitions().length + b.log.ownedPartitions().length === PARTITIONS,
      60_000,
    );
    const handle = async (on: typeof a, id: string, count: number) => {
      const d = delivery(id, receiver);
      await on.log.append([d]);
      await waitFor(`${id} handed out`, () => on.got.some((x) => x.id === d.id), 60_000);
      await on.log.complete([{ id: d.id, receiver, state: [{ key: 'count', value: String(count) }] }]);
    };
    await handle(a, 'r-1', 1);

    // node-a's consumer goes down as on a crash; node-b alone takes the partition and commits past it.
    const consumer = (a.log as unknown as { state: { consumer: ConsumerInternals } }).state.consumer;
    await consumer.consumer.disconnect();
    await waitFor('node-b owns every partition', () => b.log.ownedPartitions().length === PARTITIONS, 60_000);
    assert.equal(await b.log.stateLoaded(receiver), true);
    await handle(b, 'r-2', 2);

    // node-a restarts its consumer and wins the partition back.
    const before = assignments.length;
    consumer.restartLater(1);
    await waitFor(
      'node-a owns the partition again',
      () => assignments.length > before && a.log.ownedPartitions().includes(p) && !b.log.ownedPartitions().includes(p),
      60_000,
    );
    assert.equal(await a.log.stateLoaded(receiver), true);
    assert.equal((await a.log.readState(receiver)).get('count'), '2', "node-a reads node-b's commit after its rejoin");
    await handle(a, 'r-3', 3);

    const reader = await node({ topicPrefix: names.topicPrefix, cluster: `${names.cluster}-reader` }, { nodeId: 'reader' }, false);
    assert.equal((await reader.log.readState(receiver)).get('count'), '3', "node-a's commit after the rejoin is not void");
    assert.ok(
      assignments.slice(before).some((x) => !x.includes(p)),
      'an assignment without the partition came first: its instances left',
    );
  });
});
