/**
 * Persistence 'memory' on the in-order path (decision 2125): the memory log commits in call order
 * (a turn is its group), so an agent's sends are queued with `appendInOrder` and finished in its
 * callback, and the handling's completion follows them with `completeInOrder` (decisions 2111,
 * 2118) — no promise per send or per completion. Every message is still handled once, in order,
 * and completed once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Delivery } from '@caxton/core';
import type { CompletionRecord } from '../../../src/log/message-log.js';
import { inform, openBus, operator, RecordingLog, until } from '../../bus/scripted-port.js';

/** The real memory log's in-order methods, their calls recorded (RecordingLog offers none of its own). */
class MemoryInOrderLog extends RecordingLog {
  override appendInOrder(deliveries: readonly Delivery[], then?: (error: unknown) => void): Promise<void> {
    this.ops.push(`queued-append:${deliveries.map((d) => d.id).join(',')}`);
    return super.appendInOrder(deliveries, then);
  }

  override completeInOrder(records: readonly CompletionRecord[], then?: (error: unknown) => void): Promise<void> {
    this.ops.push(`queued-complete:${records.map((r) => r.id).join(',')}`);
    return super.completeInOrder(records, then);
  }
}

test("on the memory log an agent's sends and its completion take the in-order path: sends finished in the log's callback, the completion queued behind them", async () => {
  const log = new MemoryInOrderLog();
  const t = await openBus(['a', 'b'], { log });
  const fromA = (): number => t.events.filter((e) => e.type === 'accepted' && e.message.sender?.name === 'a@caxton').length;
  const acceptedWhenCompleted: number[] = [];
  const complete = log.completeInOrder.bind(log);
  log.completeInOrder = (records, then) =>
    complete(
      records,
      then === undefined
        ? undefined
        : (error) => {
            if (records.some((r) => r.receiver === 'a')) acceptedWhenCompleted.push(fromA());
            then(error);
          },
    );
  t.port.script = (item) => (item.kind === 'delivery' && item.agent === 'a' ? { outbox: [inform('b', 'x'), inform('b', 'y')] } : {});
  await t.bus.send(inform('a', 'go'), operator);
  await until(
    () => t.port.handledBy('b').length === 2 && t.bus.mailboxDepth('a') === 0 && t.bus.mailboxDepth('b') === 0,
    'a and b handled',
  );
  await t.bus.idle();
  const aSends = log.ops.filter((o) => o.startsWith('queued-append:'));
  assert.equal(aSends.length, 2, log.ops.join(' '));
  // The operator's send is not an agent's: `append`. No agent's send or completion awaited a promise.
  assert.deepEqual(log.ops.filter((o) => o.startsWith('append:')).length, 1, log.ops.join(' '));
  assert.deepEqual(
    log.ops.filter((o) => o.startsWith('complete:')),
    [],
    log.ops.join(' '),
  );
  const aCompleted = log.ops.findIndex((o) => o.startsWith('queued-complete:') && o.includes('>a'));
  assert.ok(aCompleted > log.ops.indexOf(aSends[1]!), `a's completion queued behind its sends: ${log.ops.join(' ')}`);
  assert.deepEqual(acceptedWhenCompleted, [2], "both sends accepted in the log's callbacks, before the completion's");
  assert.deepEqual(t.port.handledBy('b'), ['x', 'y']);
  assert.equal(t.events.filter((e) => e.type === 'completed').length, 3);
  await t.bus.stopDispatching();
  await t.bus.stop();
});
