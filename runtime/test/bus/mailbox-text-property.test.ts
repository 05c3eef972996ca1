/**
 * The mailboxes' text accounting (decision 2195) under any sequence of what the bus does to pending
 * deliveries — accepted (fan-outs among them), handed off early, finished, expired, forgotten with
 * deliveries completing, rewound, put back — comes back to exactly zero once nothing is pending:
 * no path leaks text or gives it back twice (the clamps at zero would hide either).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { AclMessage, Delivery } from '@caxton/core';
import { Mailboxes } from '../../src/bus/mailboxes.js';

const RECEIVERS = ['r0', 'r1', 'r2'];
const SENDERS = ['a@p', 'b@p', 'client', 'ams@p'];

type Op =
  | { kind: 'send'; sender: number; to: number[]; size: number }
  | { kind: 'handOff'; receiver: number }
  | { kind: 'finish'; pick: number }
  | { kind: 'expire'; receiver: number }
  | { kind: 'forget'; receiver: number }
  | { kind: 'rewind'; pick: number };

// Weighted so that the rarer paths (a delivery handed off, its mailbox forgotten, then rewound:
// stranded) come up in most runs.
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('send' as const),
      sender: fc.nat(SENDERS.length - 1),
      to: fc.uniqueArray(fc.nat(RECEIVERS.length - 1), { minLength: 1, maxLength: 3 }),
      size: fc.nat(400),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('handOff' as const), receiver: fc.nat(RECEIVERS.length - 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('finish' as const), pick: fc.nat(50) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('expire' as const), receiver: fc.nat(RECEIVERS.length - 1) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('forget' as const), receiver: fc.nat(RECEIVERS.length - 1) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('rewind' as const), pick: fc.nat(50) }) },
);

test('the text held comes back to zero once nothing is pending, whatever happened to the deliveries', () => {
  fc.assert(
    fc.property(fc.array(op, { minLength: 20, maxLength: 80 }), (ops) => {
      const boxes = new Mailboxes(1_000, { isAgent: (s) => s.endsWith('@p') && s !== 'ams@p', platformSender: 'ams@p' });
      /** Deliveries accepted and not finished, given up or forgotten: what the log still owes. */
      const live = new Map<string, Delivery>();
      const handedOff = new Map<string, Delivery>();
      let n = 0;
      for (const o of ops) {
        if (o.kind === 'send') {
          const id = `m${n++}`;
          const message: AclMessage = {
            performative: 'inform',
            sender: { name: SENDERS[o.sender]! },
            receivers: o.to.map((r) => ({ name: `${RECEIVERS[r]}@p` })),
            content: 'x'.repeat(o.size),
          };
          const batch = o.to.map((r) => ({ id: `${id}>${RECEIVERS[r]}`, messageId: id, receiver: RECEIVERS[r]!, message, acceptedAt: n }));
          boxes.accept(batch);
          for (const d of batch) live.set(d.id, d);
        } else if (o.kind === 'handOff') {
          const box = boxes.of(RECEIVERS[o.receiver]!);
          const d = box.peekAt(0);
          if (d !== undefined) {
            boxes.handOff(d);
            if (boxes.isHandedOff(d.id)) handedOff.set(d.id, d);
          }
        } else if (o.kind === 'finish') {
          const all = [...live.values()];
          const d = all[o.pick % Math.max(1, all.length)];
          if (d === undefined) continue;
          boxes.finish(d);
          live.delete(d.id);
          handedOff.delete(d.id);
        } else if (o.kind === 'expire') {
          for (const d of boxes.expire(RECEIVERS[o.receiver]!, n)) live.delete(d.id);
        } else if (o.kind === 'forget') {
          // Queued deliveries leave with the mailbox; those handed off still finish later.
          for (const d of boxes.forget(RECEIVERS[o.receiver]!)) live.delete(d.id);
        } else {
          const all = [...handedOff.values()];
          const d = all[o.pick % Math.max(1, all.length)];
          if (d === undefined) continue;
          handedOff.delete(d.id);
          // A stranded one (its mailbox forgotten meanwhile) is no longer pending: put back as the bus does.
          for (const s of boxes.rewind([d])) boxes.putBack(s);
        }
      }
      for (const d of live.values()) boxes.finish(d);
      for (const r of RECEIVERS) boxes.forget(r);
      assert.equal(boxes.text.units(), 0, 'the node holds no text');
      for (const cls of ['agent', 'outside', 'platform'] as const) assert.equal(boxes.text.units(cls), 0, `no ${cls} text`);
      assert.equal(boxes.text.sharedMessages, 0, 'no message kept for its deliveries');
      for (const s of SENDERS) assert.equal(boxes.text.unitsOf(s), 0, `${s} holds nothing`);
      for (const r of RECEIVERS) assert.equal(boxes.shares.unitsIn(r), 0, `${r}'s mailbox holds no text`);
    }),
    { numRuns: 500 },
  );
});
