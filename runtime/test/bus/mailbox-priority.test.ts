/**
 * Priorities in the mailbox (decision 1920): higher priority handed out first, FIFO per sender
 * within a priority, round robin across senders within a priority, aging so that a lower
 * priority is passed over at most `aging` dispatches in a row, peekAt agreeing with shift, removal
 * by identity across lanes; and a property test against a model of the rule.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PRIORITY_PARAM, type Delivery, type Priority } from '@caxton/core';
import { Mailbox } from '../../src/bus/mailbox.js';

let seq = 0;
function from(sender: string, priority: Priority | undefined, tag = `${sender}${seq}`): Delivery {
  seq += 1;
  return {
    id: `${tag}#${seq}`,
    messageId: tag,
    receiver: 'victim@p',
    message: {
      performative: 'inform',
      sender: { name: sender },
      receivers: [{ name: 'victim@p' }],
      content: tag,
      ...(priority === undefined ? {} : { userParams: { [PRIORITY_PARAM]: priority } }),
    },
    acceptedAt: 0,
  };
}
const tags = (ds: readonly (Delivery | undefined)[]): string[] => ds.map((d) => d?.messageId ?? '-');

test('a high message overtakes a queue of low and normal ones, from the same sender and from others', () => {
  const box = new Mailbox(100, 1_000);
  for (let i = 0; i < 3; i++) box.push(from('op', 'low', `l${i}`));
  box.push(from('a', undefined, 'n0'));
  box.push(from('op', 'normal', 'n1'));
  box.push(from('op', 'high', 'h0'));
  box.push(from('b', 'high', 'h1'));
  assert.equal(box.queuedAt(0), 2);
  assert.equal(box.queuedAt(1), 2);
  assert.equal(box.queuedAt(2), 3);
  assert.equal(box.peek()?.messageId, 'h0');
  // High first (round robin: op then b), then normal (a then op), then low in FIFO order.
  assert.deepEqual(tags(box.drain()), ['h0', 'h1', 'n0', 'n1', 'l0', 'l1', 'l2']);
});

test('within a priority: FIFO per sender, round robin across senders (decision 1830 unchanged)', () => {
  const box = new Mailbox(100, 1_000);
  for (let i = 0; i < 3; i++) box.push(from('storm', 'high', `s${i}`));
  box.push(from('friend', 'high', 'f0'));
  box.push(from('friend', 'high', 'f1'));
  assert.deepEqual(tags(box.drain()), ['s0', 'f0', 's1', 'f1', 's2']);
});

test('aging: with high traffic never ending, a low message is served after `aging` dispatches passed it over', () => {
  const aging = 3;
  const box = new Mailbox(1_000, aging);
  box.push(from('op', 'low', 'l0'));
  box.push(from('op', 'low', 'l1'));
  const order: string[] = [];
  let h = 0;
  for (let i = 0; i < 4; i++) box.push(from('storm', 'high', `h${h++}`));
  for (let i = 0; i < 10; i++) {
    order.push(box.shift()!.messageId);
    box.push(from('storm', 'high', `h${h++}`)); // the storm never lets the high lane empty
  }
  assert.deepEqual(order, ['h0', 'h1', 'h2', 'l0', 'h3', 'h4', 'h5', 'l1', 'h6', 'h7']);
});

test('aging across three levels: the lowest aged lane first, then the next', () => {
  const box = new Mailbox(1_000, 2);
  box.push(from('x', 'low', 'l0'));
  box.push(from('x', 'normal', 'n0'));
  box.push(from('x', 'normal', 'n1'));
  for (let i = 0; i < 6; i++) box.push(from('y', 'high', `h${i}`));
  // h0 h1: normal and low each passed over twice → low (lowest aged) first, then normal.
  assert.deepEqual(tags(box.drain()), ['h0', 'h1', 'l0', 'n0', 'h2', 'h3', 'n1', 'h4', 'h5']);
});

test('peekAt agrees with shift across lanes, and a batch taken by identity leaves the same order', () => {
  const build = (): Mailbox => {
    seq = 0;
    const box = new Mailbox(1_000, 2);
    for (let i = 0; i < 4; i++) box.push(from('a', 'low', `l${i}`));
    for (let i = 0; i < 3; i++) box.push(from('b', undefined, `n${i}`));
    for (let i = 0; i < 5; i++) box.push(from(i % 2 === 0 ? 'c' : 'd', 'high', `h${i}`));
    return box;
  };
  const box = build();
  const peeked = Array.from({ length: 12 }, (_, k) => box.peekAt(k));
  assert.equal(box.peekAt(12), undefined);
  const shifted = build().drain();
  assert.deepEqual(tags(peeked), tags(shifted));
  // The dispatch loop's way: peek a batch, then hand each off by identity, in batch order.
  const batch = [box.peekAt(0)!, box.peekAt(1)!, box.peekAt(2)!, box.peekAt(3)!];
  for (const d of batch) assert.equal(box.handOff(d), true);
  assert.deepEqual(tags(box.drain()), tags(shifted.slice(4)));
});

test('a put-back (rewind) delivery is the next of its priority, not ahead of a higher one', () => {
  const box = new Mailbox(100, 1_000);
  box.push(from('a', 'low', 'l0'));
  box.push(from('a', 'low', 'l1'));
  const taken = box.shift()!;
  box.push(from('b', 'high', 'h0'));
  box.unshift(taken);
  assert.deepEqual(tags(box.drain()), ['h0', 'l0', 'l1']);
});

/** The rule, said once more as a model: levels as FIFO lists of (sender, tag), the same aging. */
test('property: per (sender, priority) FIFO, and every shift serves the lane the rule names', () => {
  const priorities: (Priority | undefined)[] = ['high', 'normal', 'low', undefined];
  const op = fc.oneof(
    fc.record({ kind: fc.constant('push' as const), sender: fc.constantFrom('a', 'b', 'c'), priority: fc.constantFrom(...priorities) }),
    fc.record({ kind: fc.constant('shift' as const) }),
  );
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 5 }), fc.array(op, { maxLength: 120 }), (aging, ops) => {
      const box = new Mailbox(10_000, aging);
      const waiting = [0, 0, 0];
      const passed = [0, 0, 0];
      const lastOut = new Map<string, number>();
      let n = 0;
      const rank = (p: Priority | undefined): number => (p === 'high' ? 0 : p === 'low' ? 2 : 1);
      for (const o of ops) {
        if (o.kind === 'push') {
          const d = from(o.sender, o.priority, `${o.sender}|${rank(o.priority)}|${n++}`);
          box.push(d);
          waiting[rank(o.priority)]! += 1;
          continue;
        }
        let expected = -1;
        for (let r = 2; r >= 0 && expected < 0; r--) if (waiting[r]! > 0 && passed[r]! >= aging) expected = r;
        for (let r = 0; r < 3 && expected < 0; r++) if (waiting[r]! > 0) expected = r;
        const head = box.peekAt(0);
        const d = box.shift();
        assert.equal(d, head);
        if (expected < 0) {
          assert.equal(d, undefined);
          continue;
        }
        const [sender, r, i] = d!.messageId.split('|');
        assert.equal(Number(r), expected);
        const key = `${sender}|${r}`;
        assert.ok((lastOut.get(key) ?? -1) < Number(i), `FIFO per sender and priority: ${d!.messageId}`);
        lastOut.set(key, Number(i));
        waiting[expected]! -= 1;
        for (let l = 0; l < 3; l++) passed[l] = l === expected || waiting[l] === 0 ? 0 : passed[l]! + 1;
      }
      assert.equal(box.queued, waiting[0]! + waiting[1]! + waiting[2]!);
    }),
    { numRuns: 1_000 },
  );
});
