/**
 * The fair mailbox (decision 1830): FIFO per sender, round robin across senders, a put-back
 * delivery served next, peekAt that agrees with what shift hands out, removal by identity for a
 * batch taken before more mail arrived, drain, growth; and a property test against a model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Delivery } from '@caxton/core';
import { Mailbox } from '../../src/bus/mailbox.js';

let seq = 0;
function from(sender: string, tag = `${sender}${seq}`): Delivery {
  seq += 1;
  return {
    id: `${tag}#${seq}`,
    messageId: tag,
    receiver: 'victim@p',
    message: { performative: 'inform', sender: { name: sender }, receivers: [{ name: 'victim@p' }], content: tag },
    acceptedAt: 0,
  };
}
const tags = (ds: readonly (Delivery | undefined)[]): string[] => ds.map((d) => d?.messageId ?? '-');

test('one sender: plain FIFO, as before', () => {
  const box = new Mailbox(100);
  for (let i = 0; i < 5; i++) box.push(from('a', `a${i}`));
  assert.equal(box.queued, 5);
  assert.deepEqual(tags(box.drain()), ['a0', 'a1', 'a2', 'a3', 'a4']);
  assert.equal(box.queued, 0);
  assert.equal(box.peek(), undefined);
});

test("a storming sender's backlog does not delay another sender: round robin, FIFO within each", () => {
  const box = new Mailbox(10_000);
  for (let i = 0; i < 2_500; i++) box.push(from('storm', `s${i}`));
  box.push(from('friend', 'f0'));
  box.push(from('operator', 'o0'));
  box.push(from('friend', 'f1'));
  assert.equal(box.activeSenders, 3);
  const first = [box.shift(), box.shift(), box.shift(), box.shift(), box.shift(), box.shift()];
  assert.deepEqual(tags(first), ['s0', 'f0', 'o0', 's1', 'f1', 's2'], 'the friend waits two messages, not 2,500');
  const rest = box.drain();
  assert.equal(rest.length, 2_497);
  assert.deepEqual(tags(rest.slice(0, 2)), ['s3', 's4']);
  assert.equal(rest.at(-1)!.messageId, 's2499');
  assert.equal(box.activeSenders, 0);
});

test('a sender with nothing waiting joins after the senders waiting now', () => {
  const box = new Mailbox(100);
  box.push(from('a', 'a0'));
  box.push(from('a', 'a1'));
  box.push(from('b', 'b0'));
  assert.equal(box.shift()!.messageId, 'a0'); // ring: b, a
  box.push(from('c', 'c0')); // ring: b, a, c
  assert.deepEqual(tags(box.drain()), ['b0', 'a1', 'c0']);
});

test('peekAt walks the fair order without taking anything, and agrees with shift', () => {
  const box = new Mailbox(100);
  for (const [s, n] of [
    ['a', 2],
    ['b', 1],
    ['c', 3],
  ] as const)
    for (let i = 0; i < n; i++) box.push(from(s, `${s}${i}`));
  const peeked = Array.from({ length: 7 }, (_, i) => box.peekAt(i));
  assert.deepEqual(tags(peeked), ['a0', 'b0', 'c0', 'a1', 'c1', 'c2', '-']);
  assert.equal(box.peekAt(-1), undefined);
  assert.equal(box.queued, 6);
  assert.equal(box.peek()!.messageId, 'a0');
  assert.deepEqual(tags(box.drain()), tags(peeked.slice(0, 6)));
});

test("put back (unshift): in front of its sender's queue, and that sender is served next", () => {
  const box = new Mailbox(100);
  box.push(from('a', 'a0'));
  box.push(from('a', 'a1'));
  box.push(from('b', 'b0'));
  box.push(from('c', 'c0'));
  const a0 = box.shift()!; // ring: b, c, a
  box.unshift(a0);
  assert.deepEqual(tags([box.peekAt(0), box.peekAt(1), box.peekAt(2), box.peekAt(3)]), ['a0', 'b0', 'c0', 'a1']);
  // A sender that had nothing left waiting comes back at the head too.
  const b0 = from('b', 'b9');
  box.unshift(b0);
  assert.equal(box.peek()!.messageId, 'b9');
});

test('a rewind puts handed-off deliveries back in their handled order across senders', () => {
  const box = new Mailbox(100);
  for (const t of ['a0', 'a1', 'b0', 'c0']) box.push(from(t[0]!, t));
  const handled = [0, 1, 2].map((i) => box.peekAt(i)!); // a0, b0, c0
  for (const d of handled) assert.ok(box.handOff(d));
  assert.equal(box.depth, 4, 'handed off deliveries keep their slots');
  assert.equal(box.queued, 1);
  for (let i = handled.length - 1; i >= 0; i--) {
    box.settle();
    box.unshift(handled[i]!);
  }
  assert.equal(box.depth, 4);
  assert.deepEqual(tags(box.drain()), ['a0', 'b0', 'c0', 'a1']);
});

test('take/handOff remove by identity: a batch taken with peekAt survives a new sender arriving meanwhile', () => {
  const box = new Mailbox(100);
  for (const t of ['a0', 'a1', 'b0']) box.push(from(t[0]!, t));
  const batch = [0, 1, 2].map((i) => box.peekAt(i)!);
  assert.deepEqual(tags(batch), ['a0', 'b0', 'a1']);
  box.push(from('c', 'c0')); // now the fair order past the head is a0, b0, c0, a1
  for (const d of batch) assert.ok(box.handOff(d), `${d.messageId} is first of its sender's queue`);
  assert.equal(box.handOff(batch[0]!), false, 'not there any more');
  assert.equal(box.take(from('z')), false, 'an unknown sender');
  assert.deepEqual(tags(box.drain()), ['c0']);
  assert.equal(box.depth, 3);
  box.settle();
  box.settle();
  box.settle();
  box.settle();
  assert.equal(box.depth, 0, 'settle never goes below zero');
});

test("take of a sender that is not at the ring head keeps the ring's order", () => {
  const box = new Mailbox(100);
  for (const t of ['a0', 'b0', 'b1', 'c0']) box.push(from(t[0]!, t));
  assert.ok(box.take(box.peekAt(2)!)); // c0, not at the head
  assert.ok(box.take(box.peekAt(1)!)); // b0
  assert.deepEqual(tags(box.drain()), ['a0', 'b1']);
});

test('capacity counts queued, completing and reserved; push goes past it (replays)', () => {
  const box = new Mailbox(3);
  box.push(from('a'));
  box.push(from('b'));
  assert.ok(box.hasRoom(1));
  box.reserve(1);
  assert.equal(box.hasRoom(1), false);
  box.release(5);
  assert.ok(box.hasRoom(1));
  box.handOff(box.peek()!);
  assert.equal(box.depth, 2);
  box.push(from('a'));
  box.push(from('c'));
  assert.equal(box.queued, 3, 'replays are queued even past capacity');
  assert.equal(box.hasRoom(1), false);
});

test('growth: thousands per sender, unshift across the wrap, emptied senders kept', () => {
  const box = new Mailbox(100_000);
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 3_000; i++) box.push(from(i % 3 === 0 ? 'x' : `y${i % 7}`, `m${i}`));
    const first = box.shift()!;
    box.unshift(first);
    const out = box.drain();
    assert.equal(out.length, 3_000);
    assert.equal(out[0]!.messageId, first.messageId);
    const bySender = new Map<string, number[]>();
    for (const d of out) {
      const list = bySender.get(d.message.sender!.name) ?? [];
      list.push(Number(d.messageId.slice(1)));
      bySender.set(d.message.sender!.name, list);
    }
    for (const list of bySender.values())
      assert.deepEqual(
        list,
        [...list].sort((a, b) => a - b),
        'FIFO per sender',
      );
    assert.equal(box.activeSenders, 0);
  }
});

/** A model of the fair order: an array of senders in ring order, each with its FIFO. */
class Model {
  ring: { sender: string; items: Delivery[] }[] = [];
  push(d: Delivery): void {
    const s = d.message.sender!.name;
    const e = this.ring.find((x) => x.sender === s);
    if (e) e.items.push(d);
    else this.ring.push({ sender: s, items: [d] });
  }
  unshift(d: Delivery): void {
    const s = d.message.sender!.name;
    const i = this.ring.findIndex((x) => x.sender === s);
    const e = i >= 0 ? this.ring.splice(i, 1)[0]! : { sender: s, items: [] };
    e.items.unshift(d);
    this.ring.unshift(e);
  }
  shift(): Delivery | undefined {
    const e = this.ring.shift();
    if (!e) return undefined;
    const d = e.items.shift();
    if (e.items.length > 0) this.ring.push(e);
    return d;
  }
  order(): Delivery[] {
    const copy = new Model();
    copy.ring = this.ring.map((e) => ({ sender: e.sender, items: [...e.items] }));
    const out: Delivery[] = [];
    for (let d = copy.shift(); d; d = copy.shift()) out.push(d);
    return out;
  }
}

test('property: push, unshift, shift, take and peekAt agree with a model of round robin', () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('push' as const), sender: fc.constantFrom('a', 'b', 'c', 'd') }),
    fc.record({ kind: fc.constant('shift' as const), back: fc.boolean() }),
    fc.record({ kind: fc.constant('take' as const), index: fc.nat(6) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
      const box = new Mailbox(1_000);
      const model = new Model();
      for (const o of ops) {
        if (o.kind === 'push') {
          const d = from(o.sender);
          box.push(d);
          model.push(d);
        } else if (o.kind === 'shift') {
          const got = box.shift();
          assert.equal(got, model.shift());
          if (got && o.back) {
            box.unshift(got);
            model.unshift(got);
          }
        } else {
          // Take the index-th delivery of the fair order if it is first of its sender (what a batch does).
          const d = box.peekAt(o.index);
          assert.equal(d, model.order()[o.index]);
          if (d === undefined) continue;
          const e = model.ring.find((x) => x.sender === d.message.sender!.name)!;
          const first = e.items[0] === d;
          assert.equal(box.take(d), first);
          if (first) {
            if (model.ring[0] === e) model.shift();
            else {
              e.items.shift();
              if (e.items.length === 0) model.ring.splice(model.ring.indexOf(e), 1);
            }
          }
        }
        const expected = model.order();
        assert.equal(box.queued, expected.length);
        assert.equal(box.peek(), expected[0]);
      }
      const expected = model.order();
      assert.deepEqual(
        Array.from({ length: expected.length }, (_, i) => box.peekAt(i)),
        expected,
      );
      assert.deepEqual(box.drain(), expected);
    }),
    { numRuns: 300 },
  );
});
