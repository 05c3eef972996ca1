/**
 * Dead letters for operators on the Kafka log (decision 1860), against a real broker: marks are
 * written to the dead-letter topic and read back (without showing up as letters), and a redrive
 * through the node's dead-letter operations over a Kafka-backed log — repeated at once, and again
 * after the first was handled — is handed out once.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AclMessage, Delivery } from '@caxton/core';
import type { KafkaMessageLog } from '../../../src/log/kafka/index.js';
import { deliveryId } from '../../../src/bus/ids.js';
import { DeadLetterOperations } from '../../../src/node/dead-letter-operations.js';
import { collectingLogger, uniqueNames, waitFor } from './support/broker.js';
import { delivery } from './support/deliveries.js';
import { useKafkaLogs } from './support/kafka-logs.js';

const quiet = collectingLogger();

describe('KafkaMessageLog: dead-letter marks and redrive', () => {
  const kafka = useKafkaLogs();

  const node = (names: { topicPrefix: string; cluster: string }): Promise<{ log: KafkaMessageLog; got: Delivery[] }> =>
    kafka.node({ partitions: 2, logger: quiet.sink, ...names });

  /** A dead letter of a real delivery: appended, handed out, dead-lettered. */
  async function deadLettered(log: KafkaMessageLog, got: Delivery[], id: string): Promise<Delivery> {
    const d = delivery(id, 'fragile', 'poison pill');
    await log.append([d]);
    await waitFor('the delivery', () => got.some((x) => x.id === d.id));
    await log.deadLetter({ delivery: d, reason: 'handler crashed 3 times (trap: unreachable)', attempts: 3, at: Date.now() });
    return d;
  }

  it('writes marks to the dead-letter topic and reads them back, newest last, also after a restart', async () => {
    const names = uniqueNames('dl-marks');
    const a = await node(names);
    const d = await deadLettered(a.log, a.got, 'm-marks');
    await a.log.markDeadLetters([{ id: d.id, state: 'redriven', deliveryId: 'r-1>steady', receiver: 'steady', at: 1 }]);
    await a.log.markDeadLetters([{ id: d.id, state: 'purged', at: 2 }]);
    assert.deepEqual([...(await a.log.deadLetterMarks()).values()], [{ id: d.id, state: 'purged', at: 2 }]);
    assert.deepEqual(
      (await a.log.deadLetters(10)).map((l) => l.delivery.id),
      [d.id],
      'a mark is not a letter',
    );
    await a.log.close();

    const b = await node(names);
    assert.deepEqual([...(await b.log.deadLetterMarks()).entries()], [[d.id, { id: d.id, state: 'purged', at: 2 }]]);
  });

  it('a redrive through a Kafka-backed log is handed out once, however often it is repeated', async () => {
    const { log, got } = await node(uniqueNames('dl-redrive'));
    const d = await deadLettered(log, got, 'm-redrive');
    const ops = new DeadLetterOperations({
      log,
      agentName: (name) => name.split('@')[0]!,
      // What the bus does with an operator's send under a given id: one delivery per receiver, appended.
      send: async (message: AclMessage, messageId: string) => {
        const receiver = message.receivers[0]!.name;
        await log.append([{ id: deliveryId(messageId, receiver), messageId, receiver, message, acceptedAt: Date.now() }]);
        return { messageId, accepted: [receiver], refused: [] };
      },
    });

    const [first, second] = await Promise.all([
      ops.redriveDeadLetters({ select: { ids: [d.id] }, to: 'steady' }),
      ops.redriveDeadLetters({ select: { ids: [d.id] }, to: 'steady' }),
    ]);
    assert.deepEqual(second, first);
    const redriven = first.redriven[0]!.deliveryId;
    await waitFor('the redriven delivery', () => got.some((x) => x.id === redriven));
    await log.complete([{ id: redriven, receiver: 'steady' }]);
    assert.deepEqual(await ops.redriveDeadLetters({ select: { ids: [d.id] }, to: 'steady' }), first);

    // A sentinel after everything: once it is consumed, every copy before it was fetched.
    const sentinel = delivery('m-sentinel', 'steady');
    await log.append([sentinel]);
    await waitFor('the sentinel', () => got.some((x) => x.id === sentinel.id));
    assert.equal(got.filter((x) => x.id === redriven).length, 1, 'handed out once');
    const shown = await ops.getDeadLetter(d.id);
    assert.equal(shown.state, 'redriven');
    assert.equal(shown.redrive?.deliveryId, redriven);
    assert.equal(shown.delivery.message.content, 'poison pill');
  });
});
