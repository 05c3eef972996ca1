/**
 * The applier over a log that commits in call order and calls back as it settles (decision 2111):
 * what follows a batch's commit runs inside the log's callback, and a failed group still rewinds
 * the agent's later handlings, which are handled and committed again in order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CompletionRecord } from '../../src/bus/message-log.js';
import { inform, openBus, operator, RecordingLog, until } from './scripted-port.js';

/**
 * Completions queue in call order and settle together when the test says (one commit group):
 * callbacks first, in call order, then the promises — as the embedded log's group commit does.
 */
class InOrderLog extends RecordingLog {
  private queued: { records: readonly CompletionRecord[]; then: ((error: unknown) => void) | undefined; resolve: () => void; reject: (e: unknown) => void }[] = [];
  /** What the bus could observe from inside each callback, in order. */
  readonly inCallback: string[] = [];
  observe: () => string = () => '';

  get waiting(): number {
    return this.queued.length;
  }

  completeInOrder(records: readonly CompletionRecord[], then?: (error: unknown) => void): Promise<void> {
    const durable = new Promise<void>((resolve, reject) => this.queued.push({ records, then, resolve, reject }));
    // The port's promise to a caller that passes `then`: this promise never goes unhandled.
    durable.catch(() => {});
    return durable;
  }

  /** Make everything queued durable (or fail it all with `error`), as one group. */
  settleGroup(error?: Error): void {
    const group = this.queued;
    this.queued = [];
    for (const call of group) {
      // The memory log records a completion synchronously (its promise only reports it).
      if (error === undefined) void this.complete(call.records);
      call.then?.(error);
      this.inCallback.push(this.observe());
      if (error === undefined) call.resolve();
      else call.reject(error);
    }
  }
}

test('on a log that commits in call order, a batch is carried on in the log\'s callback; a failed group rewinds and the work commits again in order (decision 2111)', async () => {
  const log = new InOrderLog();
  const { bus, port, events } = await openBus(['a'], { log, dispatch: { maxPerAgent: 1 } });
  const seen: string[] = [];
  port.script = (item) => {
    const content = item.kind === 'delivery' ? item.delivery.message.content ?? '' : '';
    seen.push(content);
    return { stateWrites: [{ key: `k-${content}`, value: 'x' }] };
  };
  // From inside each callback: how many of a's messages still hold a mailbox slot, and how many
  // `completed` events were emitted so far.
  log.observe = () => `depth ${bus.mailboxDepth('a')}, completed ${events.filter((e) => e.type === 'completed').length}`;

  await bus.send(inform('a', 'm1'), operator);
  await until(() => log.waiting === 1, 'm1 handled and its completion queued');
  log.settleGroup();
  assert.deepEqual(log.inCallback, ['depth 0, completed 1'], 'm1\'s slot was freed and its completion told inside the callback');

  // Three handlings queue their completions behind one another (early release); their group fails.
  for (const m of ['m2', 'm3', 'm4']) await bus.send(inform('a', m), operator);
  await until(() => log.waiting === 3, 'm2..m4 handled, each completion queued behind the previous one');
  log.settleGroup(Object.assign(new Error('disk on fire'), { code: 'log.failed' }));
  // Rewound: handled again on the committed state, each group made durable as it comes.
  await until(() => {
    if (log.waiting > 0) log.settleGroup();
    return bus.mailboxDepth('a') === 0;
  }, 'm2..m4 handled again and committed');
  await bus.idle();

  assert.deepEqual(seen, ['m1', 'm2', 'm3', 'm4', 'm2', 'm3', 'm4'], 'handled again in order after the rewind');
  assert.deepEqual(port.resets, ['a']);
  const completes = log.ops.filter((o) => o.startsWith('complete:')).map((o) => o.split(':').slice(1).join(':'));
  const ids = port.items.slice(0, 4).map((i) => (i.kind === 'delivery' ? `${i.delivery.id}+state` : ''));
  assert.deepEqual(completes, ids, 'each committed once, in handled order');
  assert.deepEqual([...(await log.readState('a')).keys()].sort(), ['k-m1', 'k-m2', 'k-m3', 'k-m4']);
  await bus.stopDispatching();
  await bus.stop();
});
