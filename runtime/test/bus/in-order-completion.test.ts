/**
 * The applier over a log that commits in call order and calls back as it settles (decision 2111):
 * what follows a batch's commit runs inside the log's callback, and a failed group still rewinds
 * the agent's later handlings, which are handled and committed again in order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupCommitLog } from './group-commit-log.js';
import { inform, openBus, operator, until } from './scripted-port.js';

test("on a log that commits in call order, a batch is carried on in the log's callback; a failed group rewinds and the work commits again in order (decision 2111)", async () => {
  const log = new GroupCommitLog();
  const { bus, port, events } = await openBus(['a'], { log, dispatch: { maxPerAgent: 1 } });
  const seen: string[] = [];
  port.script = (item) => {
    const content = item.kind === 'delivery' ? (item.delivery.message.content ?? '') : '';
    seen.push(content);
    return { stateWrites: [{ key: `k-${content}`, value: 'x' }] };
  };
  // From inside each callback: how many of a's messages still hold a mailbox slot, and how many
  // `completed` events were emitted so far.
  const inCallback: string[] = [];
  log.afterCallback = () =>
    inCallback.push(`depth ${bus.mailboxDepth('a')}, completed ${events.filter((e) => e.type === 'completed').length}`);

  await bus.send(inform('a', 'm1'), operator);
  await until(() => log.waiting === 1, 'm1 handled and its completion queued');
  log.settleGroup();
  assert.deepEqual(inCallback, ['depth 0, completed 1'], "m1's slot was freed and its completion told inside the callback");

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
