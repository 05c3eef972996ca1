/**
 * An offset commit that is not confirmed in time (the group coordinator away, a broker outage:
 * here the `beforeOffsetCommit` seam refuses every attempt) after a durable state commit, against a
 * real broker. The delivery is completed by its state commit's marker (decision 1602), so
 * `complete()` succeeds: failing it made the bus rewind the agent and handle the delivery again on
 * top of its own committed writes. A delivery completed by its offset alone still fails (it is
 * handed out again); a dead-lettered one does not (the letter is its fate). Once the coordinator is
 * back, the next owner does not hand the state-committed delivery out again.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KafkaLogEvent } from '../../../src/log/kafka/index.js';
import { collectingLogger, uniqueNames, waitFor } from './support/broker.js';
import { delivery } from './support/deliveries.js';
import { useKafkaLogs } from './support/kafka-logs.js';

const quiet = collectingLogger();

describe('KafkaMessageLog: an offset commit not confirmed after a durable state commit', () => {
  const kafka = useKafkaLogs();

  it('completes the state-committed delivery by its marker; the next owner never hands it out again', async () => {
    const names = uniqueNames('deferred');
    let refusing = false;
    let refused = 0;
    const a = await kafka.node({
      ...names,
      partitions: 1,
      logger: quiet.sink,
      nodeId: 'node-a',
      commitTimeoutMs: 1_500,
      beforeOffsetCommit: async () => {
        if (!refusing) return;
        refused += 1;
        throw new Error('coordinator not available (test seam)');
      },
    });
    const deferred: Extract<KafkaLogEvent, { type: 'commit-deferred' }>[] = [];
    a.log.events.on((e) => (e.type === 'commit-deferred' ? void deferred.push(e) : undefined), ['commit-deferred']);
    await waitFor('node-a owns the partition', () => a.log.ownedPartitions().length === 1);
    const counted = delivery('deferred-1', 'counter');
    const plain = delivery('deferred-2', 'plain');
    await a.log.append([counted, plain]);
    await waitFor('both handed out', () => a.got.some((d) => d.id === counted.id) && a.got.some((d) => d.id === plain.id));

    refusing = true;
    await a.log.complete([{ id: counted.id, receiver: 'counter', state: [{ key: 'n', value: '1' }] }]);
    assert.ok(refused > 0, 'the offset commit was attempted and refused');
    assert.deepEqual(
      deferred.map((e) => e.ids),
      [[counted.id]],
      'said as deferred',
    );
    assert.equal(a.log.hasCompleted(counted.id), true);
    assert.equal(Object.fromEntries(await a.log.readState('counter'))['n'], '1', 'its state is durable once');
    // Completed by its offset alone: not completed while the offset cannot be committed.
    await assert.rejects(a.log.complete([{ id: plain.id, receiver: 'plain' }]), { code: 'bus.kafka.commit-failed' });
    // Dead-lettered meanwhile: the letter is its fate, so the dead-lettering succeeds (a failure
    // would have its caller put the delivery back to be handled too).
    const lettered = delivery('deferred-4', 'plain');
    await a.log.append([lettered]);
    await waitFor('the third handed out', () => a.got.some((d) => d.id === lettered.id));
    await a.log.deadLetter({ delivery: lettered, reason: 'test', attempts: 1, at: Date.now() });
    assert.deepEqual(
      deferred.map((e) => e.ids),
      [[counted.id], [lettered.id]],
    );
    assert.ok(
      (await a.log.deadLetters()).some((l) => l.delivery.id === lettered.id),
      'in the dead letters',
    );

    // The coordinator is back; node-a leaves, node-b takes the partition over.
    refusing = false;
    await a.log.close();
    const b = await kafka.node({ ...names, partitions: 1, logger: quiet.sink, nodeId: 'node-b' });
    const later = delivery('deferred-3', 'counter');
    await b.log.append([later]);
    await waitFor('node-b hands out the later delivery', () => b.got.some((d) => d.id === later.id), 60_000);
    assert.equal(
      b.got.some((d) => d.id === counted.id),
      false,
      'the state-committed delivery is not handed out again',
    );
    assert.equal(Object.fromEntries(await b.log.readState('counter'))['n'], '1');
  });

  it("waits for the offsets once the agent's marker list is full, saying so, and goes on when they commit", async () => {
    const names = uniqueNames('awaited');
    let refusing = false;
    const a = await kafka.node({
      ...names,
      partitions: 1,
      logger: quiet.sink,
      nodeId: 'node-a',
      commitTimeoutMs: 1_000,
      beforeOffsetCommit: async () => {
        if (refusing) throw new Error('coordinator not available (test seam)');
      },
    });
    const events: KafkaLogEvent[] = [];
    a.log.events.on((e) => void events.push(e), ['commit-deferred', 'commit-awaited']);
    await waitFor('node-a owns the partition', () => a.log.ownedPartitions().length === 1);
    // The marker names at most 64 unconfirmed deliveries (decision 1602): 63 fit, the 64th fills it.
    const first = Array.from({ length: 63 }, (_, i) => delivery(`awaited-${i}`, 'counter'));
    const last = delivery('awaited-63', 'counter');
    await a.log.append([...first, last]);
    await waitFor('all handed out', () => [...first, last].every((d) => a.got.some((g) => g.id === d.id)));

    refusing = true;
    await a.log.complete(first.map((d, i) => ({ id: d.id, receiver: 'counter', state: [{ key: 'n', value: String(i + 1) }] })));
    assert.deepEqual(
      events.map((e) => e.type),
      ['commit-deferred'],
      'room left in the marker: deferred',
    );
    let done = false;
    const waiting = a.log.complete([{ id: last.id, receiver: 'counter', state: [{ key: 'n', value: '64' }] }]).then(() => {
      done = true;
    });
    await waitFor('the full marker said as a wait', () => events.some((e) => e.type === 'commit-awaited'));
    assert.equal(done, false, 'it waits for the offsets while the coordinator is away');
    const awaited = events.find((e): e is Extract<KafkaLogEvent, { type: 'commit-awaited' }> => e.type === 'commit-awaited')!;
    assert.deepEqual([awaited.agents, awaited.waits], [['counter'], 1]);

    refusing = false;
    await waiting;
    assert.equal(events.filter((e) => e.type === 'commit-deferred').length, 1, 'the full marker was never said as deferred');
    assert.equal(Object.fromEntries(await a.log.readState('counter'))['n'], '64');
    assert.ok([...first, last].every((d) => a.log.hasCompleted(d.id)));
    await a.log.close();
  });
});
