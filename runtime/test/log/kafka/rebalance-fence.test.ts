/**
 * The rebalance race of decision 1602 / 1800, against a real broker: node-a passes its ownership
 * check for a delivery and is held (the `beforeStateCommit` seam) just before it produces the
 * handling's state; node-b joins, the rebalance gives it the partition, it hands the delivery out
 * again and commits its own handling; then node-a goes on. The handling's effect must be applied
 * once: node-b claimed the partition before loading it, so node-a's late commit (tagged with its
 * older claim) is ignored by every reader (decision 1800). The mirror: node-a's commit goes through
 * before node-b joins; node-b's load then finds the marker and never hands the delivery out.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { timerDoneStateKey } from '@caxton/core';
import { partitionFor, partitionOwner, type KafkaMessageLogOptions } from '../../../src/log/kafka/index.js';
import { collectingLogger, uniqueNames, waitFor } from './support/broker.js';
import { delivery } from './support/deliveries.js';
import { useKafkaLogs } from './support/kafka-logs.js';

const quiet = collectingLogger();
const PARTITIONS = 4;

describe('KafkaMessageLog: a partition moved while a delivery is being handled', () => {
  const kafka = useKafkaLogs();

  const node = (names: { topicPrefix: string; cluster: string }, extra: Partial<KafkaMessageLogOptions>, consume = true) =>
    kafka.node({ partitions: PARTITIONS, logger: quiet.sink, ...names, ...extra }, consume);

  /** A receiver whose partition node-b takes from node-a when it joins (rendezvous, decision 0600). */
  function movingReceiver(): string {
    const receiver = Array.from({ length: 64 }, (_, i) => `agent-${i}`).find(
      (r) => partitionOwner(partitionFor(r, PARTITIONS), ['node-a', 'node-b']) === 'node-b',
    );
    assert.ok(receiver !== undefined, 'node-b owns a partition when both are members');
    return receiver;
  }

  /** What a node that never took part (its own group, no consumer running) reads from the state topic. */
  async function handlingsSeenBy(names: { topicPrefix: string; cluster: string }, receiver: string): Promise<string[]> {
    const reader = await node({ topicPrefix: names.topicPrefix, cluster: `${names.cluster}-reader` }, { nodeId: 'reader' }, false);
    const state = Object.fromEntries(await reader.log.readState(receiver));
    return Object.keys(state)
      .filter((k) => k.startsWith('handled-by-'))
      .sort();
  }

  /**
   * node-a, alone in the cluster, owning every partition, has handled delivery `id` of `receiver`
   * and is completing it (`completing`, its state `handled-by-a`), held just before its state
   * commit until `release()`.
   */
  async function ownerHeldBeforeCommit(names: { topicPrefix: string; cluster: string }, receiver: string, id: string) {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let holding = false;
    const a = await node(names, {
      nodeId: 'node-a',
      beforeStateCommit: async () => {
        holding = true;
        await held;
      },
    });
    await waitFor('node-a owns every partition', () => a.log.ownedPartitions().length === PARTITIONS);
    const d = delivery(id, receiver);
    await a.log.append([d]);
    await waitFor('node-a hands the delivery out', () => a.got.some((x) => x.id === d.id));
    const completing = a.log.complete([{ id: d.id, receiver, state: [{ key: 'handled-by-a', value: '1' }] }]);
    completing.catch(() => {});
    await waitFor('node-a held before its state commit', () => holding);
    return { a, d, completing, release };
  }

  it("the old owner's state commit that lands after the move is ignored: only the new owner's counts", async () => {
    const names = uniqueNames('fence');
    const receiver = movingReceiver();
    // node-a handled it and completes: the ownership check passes, then the seam holds it.
    const { d, completing: completingOnA, release } = await ownerHeldBeforeCommit(names, receiver, 'fence-1');
    // node-b joins; the rebalance moves the receiver's partition to it.
    const b = await node(names, { nodeId: 'node-b' });
    await waitFor('node-b hands the delivery out again', () => b.got.some((x) => x.id === d.id), 60_000);
    await b.log.complete([{ id: d.id, receiver, state: [{ key: 'handled-by-b', value: '1' }] }]);
    // node-a goes on after the move: its state batch is produced (tagged with its older claim), and
    // its completion is refused (the offset commit of an old generation is not accepted).
    release();
    const outcome = await completingOnA.then(
      () => 'completed',
      (e: unknown) => (e as { code?: string }).code ?? String(e),
    );
    assert.notEqual(outcome, 'completed', 'node-a no longer owns the partition: its completion cannot succeed');
    assert.deepEqual(await handlingsSeenBy(names, receiver), ['handled-by-b']);
    // node-b, the owner, reads the same (its view follows the partition past node-a's late batch).
    assert.deepEqual(
      Object.keys(Object.fromEntries(await b.log.readState(receiver))).filter((k) => k.startsWith('handled-by-')),
      ['handled-by-b'],
    );
  });

  it("the old owner's state commit that lands before the move counts, and the new owner never hands the delivery out", async () => {
    const names = uniqueNames('fence-mirror');
    const receiver = movingReceiver();
    const { d, completing: completingOnA, release } = await ownerHeldBeforeCommit(names, receiver, 'fence-2');
    // Released before node-b joins: node-a still owns the partition, its commit is the handling's.
    release();
    await completingOnA;
    const b = await node(names, { nodeId: 'node-b' });
    await waitFor(
      "node-b owns the receiver's partition",
      () => b.log.ownedPartitions().includes(partitionFor(receiver, PARTITIONS)),
      60_000,
    );
    assert.equal(await b.log.stateLoaded(receiver), true);
    // A later delivery to the same receiver reaches node-b: it consumes past the first one.
    const later = delivery('fence-2-later', receiver);
    await b.log.append([later]);
    await waitFor('node-b hands the later delivery out', () => b.got.some((x) => x.id === later.id), 60_000);
    assert.equal(
      b.got.some((x) => x.id === d.id),
      false,
      'node-b handed out a delivery node-a completed',
    );
    assert.deepEqual(await handlingsSeenBy(names, receiver), ['handled-by-a']);
  });

  it("an instance timer's claimed commit counts while no other node claimed the partition; a zombie's, after another claim, does not (decision 2060)", async () => {
    const names = uniqueNames('fence-zombie');
    const receiver = 'counter/alice';
    const done = timerDoneStateKey('t-1');
    const a = await node(names, { nodeId: 'node-a' });
    await waitFor('node-a owns every partition', () => a.log.ownedPartitions().length === PARTITIONS);
    assert.equal(await a.log.stateLoaded(receiver), true);
    const first = await a.log.commitClaimed(receiver, [
      { key: 'ticks', value: '1' },
      { key: done, value: '1' },
    ]);
    assert.equal(await a.log.counted(first, 10_000), true, 'no other claim before it: the timer may be deleted');
    // node-b takes every partition in a consumer group of its own, so node-a is never told: a
    // zombie (its session over, its etcd lease alive) whose ownership checks all still pass.
    const b = await node({ topicPrefix: names.topicPrefix, cluster: `${names.cluster}-b` }, { nodeId: 'node-b' });
    await waitFor('node-b owns every partition', () => b.log.ownedPartitions().length === PARTITIONS, 60_000);
    assert.equal(await b.log.stateLoaded(receiver), true);
    assert.equal(a.log.ownedPartitions().length, PARTITIONS, 'node-a was not told');
    const late = await a.log.commitClaimed(receiver, [
      { key: 'ticks', value: '2' },
      { key: timerDoneStateKey('t-2'), value: '1' },
    ]);
    assert.equal(await a.log.counted(late, 10_000), false, 'void: its timer must be left for node-b');
    const seen = await node({ topicPrefix: names.topicPrefix, cluster: `${names.cluster}-reader` }, { nodeId: 'reader' }, false);
    assert.deepEqual(
      Object.fromEntries(await seen.log.readState(receiver)),
      { ticks: '1', [done]: '1' },
      'every reader: the first firing only',
    );
  });
});
