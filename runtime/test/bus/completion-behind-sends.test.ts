/**
 * A batch's completions queued right behind its sends' appends, in the same commit group, without
 * waiting for them (decision 2111, continued) — and only when every send of the batch said its
 * whole outcome was its append, queued in the log's call order (`SendQueued`). Every exception
 * falls back to the awaited path: the sends durable first, then the completions. The log here
 * queues appends and completions in one list and settles them as one group when the test says,
 * as the embedded log's group commit does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentId, Delivery } from '@caxton/core';
import { GroupCommitLog } from './group-commit-log.js';
import { inform, openBus, operator, until, type TestBus } from './scripted-port.js';

/** The group-commit log, appends queued in the same group as completions (as the embedded log's). */
class GroupLog extends GroupCommitLog {
  /** Appends `appendInOrder` refuses synchronously, as the embedded log refuses an invalid delivery. */
  refuseAppend: (d: Delivery) => boolean = () => false;

  override appendInOrder(deliveries: readonly Delivery[], then?: (error: unknown) => void): Promise<void> {
    if (deliveries.some((d) => this.refuseAppend(d)))
      throw Object.assign(new Error('delivery refused by the log'), { code: 'log.invalid-delivery' });
    return this.queueAppend(deliveries, then);
  }

  /** As the embedded log's: every append is queued in the group, in call order. */
  override append(deliveries: readonly Delivery[]): Promise<void> {
    try {
      return this.appendInOrder(deliveries);
    } catch (error) {
      return Promise.reject(error);
    }
  }
}

/** Where in the log's calls the completion of `a`'s first handling was queued, and what was durable then. */
function completionQueued(t: TestBus): { at: number; ops: string[] } {
  const first = t.port.items.find((i) => i.kind === 'delivery' && i.agent === 'a');
  assert.ok(first !== undefined && first.kind === 'delivery');
  const at = t.log.ops.indexOf(`queued-complete:${first.delivery.id}`);
  assert.ok(at >= 0, `a's completion was never queued: ${t.log.ops.join(' ')}`);
  return { at, ops: t.log.ops.slice(0, at) };
}

/** Whether `a`'s completion followed its sends into their group (true) or waited for them to be durable (false). */
function followedSends(t: TestBus): boolean {
  const { ops } = completionQueued(t);
  const queuedSends = ops.filter((o) => o.startsWith('queued-append:'));
  const durableSends = ops.filter((o) => o.startsWith('append:'));
  // The operator's send to `a` goes through `append` (no `queued`): durable before a ran at all.
  return queuedSends.length > 0 && durableSends.length === 1;
}

/** Everything of `a` committed, and `b` handled `toB` messages. */
const settled = (t: TestBus, toB: number) => (): boolean =>
  t.bus.mailboxDepth('a') === 0 && t.port.handledBy('b').length >= toB && t.bus.mailboxDepth('b') === 0;

async function run(t: TestBus & { log: GroupLog }, outbox: () => { receivers: string[]; content: string }[]): Promise<void> {
  const toB = outbox().filter((o) => !o.receivers.includes('nobody')).length;
  t.port.script = (item) =>
    item.kind === 'delivery' && item.agent === 'a' && item.delivery.message.content === 'go'
      ? { outbox: outbox().map((o) => inform(o.receivers, o.content)) }
      : {};
  const sent = t.bus.send(inform('a', 'go'), operator);
  await t.log.settleUntil(settled(t, toB), 'a handled and committed, its sends handled');
  await sent;
  await t.bus.idle();
}

async function groupBus(o: Parameters<typeof openBus>[1] = {}): Promise<TestBus & { log: GroupLog }> {
  const log = new GroupLog();
  const t = await openBus(['a', 'b'], { ...o, log });
  return { ...t, log };
}

test('every send of the batch queued in full: its completion is queued right behind them, in the same group, before they are durable', async () => {
  const t = await groupBus();
  await run(t, () => [
    { receivers: ['b'], content: 'x' },
    { receivers: ['b'], content: 'y' },
  ]);
  assert.ok(followedSends(t), t.log.ops.join(' '));
  const { at } = completionQueued(t);
  assert.deepEqual(
    t.log.ops.slice(at - 2, at).map((o) => o.split(':')[0]),
    ['queued-append', 'queued-append'],
    'the two sends, then the completion',
  );
  assert.deepEqual(t.port.handledBy('b'), ['x', 'y']);
  assert.equal(t.events.filter((e) => e.type === 'completed').length, 3);
  await t.bus.stopDispatching();
  await t.bus.stop();
});

test("a send queued in order is finished in the log's callback (decision 2118): when the group calls the completion back, the send behind which it was queued is already accepted, no waiter left to resume", async () => {
  const t = await groupBus();
  const fromA = (): number => t.events.filter((e) => e.type === 'accepted' && e.message.sender?.name === 'a@caxton').length;
  const seen: number[] = [];
  const complete = t.log.completeInOrder.bind(t.log);
  t.log.completeInOrder = (records, then) =>
    complete(
      records,
      then === undefined
        ? undefined
        : (error) => {
            seen.push(fromA());
            then(error);
          },
    );
  await run(t, () => [
    { receivers: ['b'], content: 'x' },
    { receivers: ['b'], content: 'y' },
  ]);
  assert.ok(followedSends(t), t.log.ops.join(' '));
  // On the awaited send of decision 2111 both were accepted only in reactions after the callbacks: [0, …].
  assert.equal(seen[0], 2, "both sends of a's handling accepted inside the group's callbacks, before its completion's");
  assert.deepEqual(t.port.handledBy('b'), ['x', 'y']);
  await t.bus.stopDispatching();
  await t.bus.stop();
});

test('a failed group takes the sends and the completion queued behind them: the agent is rewound and handles the message again, sent once and completed once', async () => {
  const t = await groupBus();
  let runs = 0;
  t.port.script = (item) => {
    if (item.kind !== 'delivery' || item.agent !== 'a') return {};
    runs += 1;
    return { outbox: [inform('b', 'x')] };
  };
  const sent = t.bus.send(inform('a', 'go'), operator);
  await until(() => t.log.waiting === 1, 'go queued');
  t.log.settleGroup();
  await sent;
  await until(() => t.log.waiting === 2, 'the send and the completion queued in one group');
  t.log.settleGroup(Object.assign(new Error('disk on fire'), { code: 'log.failed' }));
  await t.log.settleUntil(settled(t, 1), 'handled again and committed');
  await t.bus.idle();
  assert.equal(runs, 2, 'handled again after the failed group');
  assert.deepEqual(t.port.resets, ['a']);
  assert.deepEqual(t.port.handledBy('b'), ['x'], 'the message it sends is delivered once');
  const completes = t.log.ops.filter((o) => o.startsWith('complete:'));
  assert.equal(
    completes.filter((o) => o.includes(t.port.items[0]!.kind === 'delivery' ? t.port.items[0]!.delivery.id : '?')).length,
    1,
    'completed once',
  );
  await t.bus.stopDispatching();
  await t.bus.stop();
});

test('a send waiting for a pacer turn (decision 2099): the completion waits for the sends to be durable', async () => {
  const t = await groupBus({ dispatch: { sendsPerTurn: 2 } });
  await run(t, () => [1, 2, 3, 4, 5].map((i) => ({ receivers: ['b'], content: `p${i}` })));
  assert.ok(!followedSends(t), t.log.ops.join(' '));
  assert.equal(
    completionQueued(t).ops.filter((o) => o.startsWith('append:')).length,
    6,
    'all five sends durable before the completion was queued',
  );
  assert.deepEqual(t.port.handledBy('b'), ['p1', 'p2', 'p3', 'p4', 'p5']);
  await t.bus.stopDispatching();
  await t.bus.stop();
});

test('a refused send (two reasons: two failure replies, the second appended once the first is durable): the completion waits for both', async () => {
  const t = await groupBus({
    port: (p) =>
      Object.assign(p, { route: (name: string) => (name === 'busy' ? 'activation-limit' : p.agents.has(name) ? 'agent' : 'unknown') }),
  });
  await run(t, () => [
    { receivers: ['b'], content: 'x' },
    { receivers: ['nobody', 'busy'], content: 'lost' },
  ]);
  assert.ok(!followedSends(t), t.log.ops.join(' '));
  // `go`, then the two failures to `a` (platform sends), all durable before a's completion is queued.
  const { ops } = completionQueued(t);
  assert.equal(
    ops.filter((o) => o.startsWith('append:') && o.endsWith('>a')).length,
    3,
    `the failure replies durable before the completion: ${t.log.ops.join(' ')}`,
  );
  await t.bus.stopDispatching();
  await t.bus.stop();
});

test('a send to a topic (resolved before its append): the completion waits for the sends to be durable', async () => {
  const t = await groupBus({ port: (p) => Object.assign(p, { subscriptions: async () => [{ agent: 'b' }] }) });
  await run(t, () => [{ receivers: ['topic:news'], content: 't' }]);
  assert.ok(!followedSends(t), t.log.ops.join(' '));
  assert.deepEqual(t.port.handledBy('b'), ['t']);
  await t.bus.stopDispatching();
  await t.bus.stop();
});

test('a send to another platform (forwarded after its append, decision 1910): the completion waits for the forward', async () => {
  const forwarded: string[] = [];
  let forwardedWhenCompleted = -1;
  const t = await groupBus({
    port: (p) =>
      (p.transport = {
        reaches: (r: AgentId) => r.name.endsWith('@jade'),
        forward: async (s: { messageId: string }) => {
          await new Promise((r) => setTimeout(r, 5));
          forwarded.push(s.messageId);
        },
      } as never),
  });
  t.events.length = 0;
  const orig = t.log.completeInOrder.bind(t.log);
  t.log.completeInOrder = (records, then) => {
    forwardedWhenCompleted = forwarded.length;
    return orig(records, then);
  };
  await run(t, () => [{ receivers: ['b', 'x@jade'], content: 'r' }]);
  assert.ok(!followedSends(t), t.log.ops.join(' '));
  assert.equal(forwarded.length, 1);
  assert.equal(forwardedWhenCompleted, 1, 'forwarded before the completion was queued');
  await t.bus.stopDispatching();
  await t.bus.stop();
});

test('a send whose append the log refuses synchronously: nothing of the handling is completed; it is rewound and handled again', async () => {
  const t = await groupBus();
  let refuse = true;
  t.log.refuseAppend = (d) => refuse && d.receiver === 'b';
  let runs = 0;
  t.port.script = (item) => {
    if (item.kind !== 'delivery' || item.agent !== 'a') return {};
    runs += 1;
    if (runs === 2) refuse = false;
    return { outbox: [inform('b', 'x')] };
  };
  const sent = t.bus.send(inform('a', 'go'), operator);
  await until(() => t.log.waiting === 1, 'go queued');
  t.log.settleGroup();
  await sent;
  await until(() => runs >= 1, 'a handled');
  await t.log.settleUntil(() => runs >= 2 && settled(t, 1)(), 'handled again and committed');
  await t.bus.idle();
  const first = t.port.items[0]!;
  assert.ok(first.kind === 'delivery');
  const completes = t.log.ops.filter((o) => o === `queued-complete:${first.delivery.id}`);
  assert.equal(completes.length, 1, `completed once, by the second handling: ${t.log.ops.join(' ')}`);
  assert.deepEqual(t.port.handledBy('b'), ['x']);
  await t.bus.stopDispatching();
  await t.bus.stop();
});

test('a fenced batch (ownership, a cluster): the completion waits for the sends, and the ownership is checked once they are durable', async () => {
  let checks = 0;
  let durableWhenChecked = -1;
  const t = await groupBus({
    port: (p) =>
      (p.ownership = {
        token: () => 7,
        isStillOwner: () => {
          checks += 1;
          durableWhenChecked = t.log.ops.filter((o) => o.startsWith('append:')).length;
          return true;
        },
        completionWithinMs: 50,
      }),
  });
  await run(t, () => [{ receivers: ['b'], content: 'x' }]);
  assert.ok(!followedSends(t), t.log.ops.join(' '));
  assert.ok(checks >= 1);
  assert.ok(durableWhenChecked >= 2, "a's send durable before its ownership was checked");
  await t.bus.stopDispatching();
  await t.bus.stop();
});

test('a rejected handling that also sends (a failure reply owed to its sender): the completion waits for the sends and the failure reply', async () => {
  const t = await groupBus();
  t.port.script = (item) =>
    item.kind === 'delivery' && item.agent === 'a' && item.delivery.message.content === 'go'
      ? { outbox: [inform('b', 'x')], outcome: { status: 'rejected', reason: 'not today' } }
      : {};
  const sent = t.bus.send(inform('a', 'go'), operator);
  await t.log.settleUntil(settled(t, 1), 'a handled and committed, its send handled');
  await sent;
  await t.bus.idle();
  assert.ok(!followedSends(t), t.log.ops.join(' '));
  // go and the send to b durable before a's completion (the failure to an outside sender is not a
  // log append; to an agent it is, and the refusal test above has it).
  assert.equal(completionQueued(t).ops.filter((o) => o.startsWith('append:')).length, 2, t.log.ops.join(' '));
  await t.bus.stopDispatching();
  await t.bus.stop();
});

test('a handling that sends and sets a timer (effects, awaited): the completion waits for the sends and the timer', async () => {
  const t = await groupBus();
  t.port.script = (item) =>
    item.kind === 'delivery' && item.agent === 'a' && item.delivery.message.content === 'go'
      ? { outbox: [inform('b', 'x')], timers: [{ delayMs: 60_000, token: 'later' }] }
      : {};
  const sent = t.bus.send(inform('a', 'go'), operator);
  await t.log.settleUntil(settled(t, 1), 'a handled and committed, its send handled');
  await sent;
  await t.bus.idle();
  assert.ok(!followedSends(t), t.log.ops.join(' '));
  await t.bus.stopDispatching();
  await t.bus.stop();
});
