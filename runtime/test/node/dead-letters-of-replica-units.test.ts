/**
 * Dead letters of a replica unit (decision 2093): a delivery to `svc#r2` that was dead-lettered is
 * svc's — listed and selected under svc, and redriven to svc (whose sender picks a replica again),
 * never to the unit's name. Real embedded log; the send is what the bus does with an operator's
 * send under a given id (one delivery per receiver, appended).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { replicaOwner, type AclMessage, type Delivery } from '@caxton/core';
import { EmbeddedMessageLog } from '../../src/log/embedded/embedded-message-log.js';
import { deliveryId } from '../../src/bus/ids.js';
import { DeadLetterOperations } from '../../src/node/dead-letter-operations.js';
import { tempDir } from '../registry/helpers/tmp.js';

function delivery(id: string, receiver: string): Delivery {
  return {
    id: `${id}>${receiver}`,
    messageId: id,
    receiver,
    acceptedAt: 1,
    message: {
      performative: 'request',
      sender: { name: 'operator@caxton' },
      receivers: [{ name: 'svc@caxton' }],
      content: 'poison',
      conversationId: 'c-1',
    },
  };
}

test("a replica unit's letter is its agent's: listed, selected and redriven as the agent's", async () => {
  assert.equal(replicaOwner('svc#r2'), 'svc');
  assert.equal(replicaOwner('svc'), 'svc');
  assert.equal(replicaOwner('svc#x'), 'svc#x', 'not a unit: as it is');
  const tmp = await tempDir('caxton-dl-units-');
  const log = new EmbeddedMessageLog({ dir: tmp.path });
  await log.open();
  try {
    const own = delivery('m-1', 'svc');
    const unit = delivery('m-2', 'svc#r2');
    const other = delivery('m-3', 'other');
    await log.append([own, unit, other]);
    for (const [d, at] of [
      [own, 10],
      [unit, 11],
      [other, 12],
    ] as const)
      await log.deadLetter({ delivery: d, reason: 'crashed 3 times', attempts: 3, at });
    const sent: { receiver: string; messageId: string }[] = [];
    const ops = new DeadLetterOperations({
      log,
      agentName: (name) => name.split('@')[0]!,
      send: async (message: AclMessage, messageId: string) => {
        const receiver = message.receivers[0]!.name;
        sent.push({ receiver, messageId });
        await log.append([{ id: deliveryId(messageId, receiver), messageId, receiver, message, acceptedAt: Date.now() }]);
        return { messageId, accepted: [receiver], refused: [] };
      },
    });
    assert.deepEqual(
      (await ops.listDeadLetters({ agent: 'svc', limit: 10, includePurged: false })).map((v) => v.id),
      [own.id, unit.id],
    );
    const redriven = await ops.redriveDeadLetters({ select: { agent: 'svc' } });
    assert.deepEqual(
      redriven.redriven.map((r) => r.receiver),
      ['svc', 'svc'],
      'both go to the agent, not to the unit',
    );
    assert.deepEqual(
      sent.map((s) => s.receiver),
      ['svc', 'svc'],
    );
    assert.deepEqual(
      (await ops.listDeadLetters({ agent: 'other', limit: 10, includePurged: false })).map((v) => v.state),
      ['dead'],
      "another agent's letter is untouched",
    );
  } finally {
    await log.close();
    await tmp.remove();
  }
});
