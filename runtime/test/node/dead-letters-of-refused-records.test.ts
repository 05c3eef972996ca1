/**
 * Letters of refused records (decision 2185): a record the Kafka log refused as written by no node
 * of the cluster is dead-lettered with the reason `log.record-unauthenticated: …`. Its sender and
 * content are whoever wrote it, so redriving an agent's letters leaves it; only its id redrives it.
 * Real embedded log (the letters' store is the log's; the reason is all that tells them apart).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AclMessage, Delivery } from '@caxton/core';
import { EmbeddedMessageLog } from '../../src/log/embedded/embedded-message-log.js';
import { deliveryId } from '../../src/bus/ids.js';
import { DeadLetterOperations } from '../../src/node/dead-letter-operations.js';
import { tempDir } from '../registry/helpers/tmp.js';

function delivery(id: string, receiver: string, sender: string): Delivery {
  return {
    id: `${id}>${receiver}`,
    messageId: id,
    receiver,
    acceptedAt: 1,
    message: { performative: 'request', sender: { name: sender }, receivers: [{ name: `${receiver}@caxton` }], content: id },
  };
}

test("redriving an agent's letters leaves the letters of refused records; their id redrives them", async () => {
  const tmp = await tempDir('caxton-dl-refused-');
  const log = new EmbeddedMessageLog({ dir: tmp.path });
  await log.open();
  try {
    const failed = delivery('m-1', 'svc', 'client@caxton');
    const forged = delivery('m-2', 'svc', 'operator@caxton');
    await log.append([failed, forged]);
    await log.deadLetter({ delivery: failed, reason: 'crashed 3 times', attempts: 3, at: 10 });
    await log.deadLetter({ delivery: forged, reason: 'log.record-unauthenticated: no caxton-mac header', attempts: 0, at: 11 });
    const sent: string[] = [];
    const ops = new DeadLetterOperations({
      log,
      agentName: (name) => name.split('@')[0]!,
      send: async (message: AclMessage, messageId: string) => {
        const receiver = message.receivers[0]!.name;
        sent.push(message.content!);
        await log.append([{ id: deliveryId(messageId, receiver), messageId, receiver, message, acceptedAt: Date.now() }]);
        return { messageId, accepted: [receiver], refused: [] };
      },
    });
    const byAgent = await ops.redriveDeadLetters({ select: { agent: 'svc' } });
    assert.deepEqual(
      byAgent.redriven.map((r) => r.id),
      [failed.id],
      'only the failed delivery',
    );
    assert.deepEqual(sent, ['m-1'], 'the refused record was not sent');
    assert.equal((await ops.getDeadLetter(forged.id)).state, 'dead');
    const byId = await ops.redriveDeadLetters({ select: { ids: [forged.id] } });
    assert.deepEqual(
      byId.redriven.map((r) => r.id),
      [forged.id],
      'named by its id, it is redriven',
    );
    assert.deepEqual(sent, ['m-1', 'm-2']);
  } finally {
    await log.close();
    await tmp.remove();
  }
});
