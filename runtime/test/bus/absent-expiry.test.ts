/**
 * An absent agent's expired messages leave its mailbox (decision 1990): `Mailboxes.expire` takes
 * those accepted at or before the cutoff, keeps the rest in each sender's order, and frees what
 * the taken ones held (pending ids, per-sender shares) so a send may take their place.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Delivery } from '@caxton/core';
import { Mailboxes } from '../../src/bus/mailboxes.js';

function delivery(sender: string, tag: string, acceptedAt: number): Delivery {
  return {
    id: `${tag}>absent`,
    messageId: tag,
    receiver: 'absent',
    acceptedAt,
    message: { performative: 'inform', sender: { name: sender }, receivers: [{ name: 'absent@p' }], content: tag },
  };
}

test("expire takes what is past the cutoff and keeps the rest in each sender's order", () => {
  const boxes = new Mailboxes(100);
  boxes.accept([
    delivery('a@p', 'a0', 10),
    delivery('b@p', 'b0', 20),
    delivery('a@p', 'a1', 30),
    delivery('b@p', 'b1', 40),
    delivery('a@p', 'a2', 50),
  ]);
  assert.equal(boxes.depth('absent'), 5);

  const expired = boxes.expire('absent', 30);
  assert.deepEqual(expired.map((d) => d.messageId).sort(), ['a0', 'a1', 'b0']);
  assert.equal(boxes.depth('absent'), 2);
  for (const d of expired) assert.equal(boxes.isPending(d.id), false, `${d.id} no longer pending`);
  assert.equal(boxes.isPending('b1>absent'), true);
  assert.equal(boxes.isPending('a2>absent'), true);

  const box = boxes.of('absent');
  const rest: string[] = [];
  for (let d = box.shift(); d !== undefined; d = box.shift()) rest.push(d.messageId);
  assert.deepEqual(rest.sort(), ['a2', 'b1']);
});

test('expire of an agent with nothing waiting, or nothing old enough, changes nothing', () => {
  const boxes = new Mailboxes(100);
  assert.deepEqual(boxes.expire('nobody', Number.POSITIVE_INFINITY), []);
  boxes.accept([delivery('a@p', 'x0', 100), delivery('a@p', 'x1', 200)]);
  assert.deepEqual(boxes.expire('absent', 99), []);
  const box = boxes.of('absent');
  assert.deepEqual([box.shift()?.messageId, box.shift()?.messageId], ['x0', 'x1']);
});

test("an expired delivery frees its sender's share of the mailbox", () => {
  const boxes = new Mailboxes(8, { isAgent: (s) => s === 'agent@p' });
  const perSender = boxes.shares.limits.perSender;
  boxes.accept(Array.from({ length: perSender }, (_, i) => delivery('agent@p', `s${i}`, i)));
  assert.notEqual(boxes.shares.admitAgent('absent', 'agent@p'), 'ok', 'the sender holds its whole share');
  assert.equal(boxes.expire('absent', perSender).length, perSender);
  assert.equal(boxes.shares.admitAgent('absent', 'agent@p'), 'ok', 'its share is free again');
});

test("overflow takes the latest accepted past the bound, keeps the rest in each sender's order and frees what they held", () => {
  // In a cluster a send through another node lands past the bound; the holder trims (decision 1990).
  const boxes = new Mailboxes(100);
  boxes.accept([
    delivery('a@p', 'a0', 10),
    delivery('b@p', 'b0', 20),
    delivery('a@p', 'a1', 30),
    delivery('b@p', 'b1', 40),
    delivery('a@p', 'a2', 50),
  ]);
  assert.deepEqual(boxes.overflow('absent', 5), [], 'at the bound: nothing taken');
  const over = boxes.overflow('absent', 3);
  assert.deepEqual(over.map((d) => d.messageId).sort(), ['a2', 'b1']);
  for (const d of over) assert.equal(boxes.isPending(d.id), false, `${d.id} no longer pending`);
  assert.equal(boxes.depth('absent'), 3);
  const box = boxes.of('absent');
  const rest: string[] = [];
  for (let d = box.shift(); d !== undefined; d = box.shift()) rest.push(d.messageId);
  assert.deepEqual(
    rest.filter((m) => m.startsWith('a')),
    ['a0', 'a1'],
    "a sender's FIFO is unchanged",
  );
  assert.deepEqual(
    rest.filter((m) => m.startsWith('b')),
    ['b0'],
  );
  assert.deepEqual(boxes.overflow('nobody', 0), []);
});
