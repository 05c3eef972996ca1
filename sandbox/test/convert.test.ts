/**
 * messageToWit: the world value of a message, converted once per message object (decision 1202),
 * narrowed to the receiving agent above 16 receivers (decision 2001); and the bridge's paging of
 * the full list (`caxton:agent/message-info`).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AclMessage } from '@caxton/core';
import { MESSAGE_INFO_LIMITS, RECEIVER_COUNT_PARAM, TRACEPARENT_PARAM, TRACESTATE_PARAM } from '@caxton/core';
import { messageToWit, narrowedReceiver } from '../src/host/convert.js';
import { HostBridge } from '../src/host/bridge.js';
import { resolveLimits } from '../src/limits/limits.js';

const message = (receivers: number): AclMessage => ({
  performative: 'inform',
  sender: { name: 'sender@p' },
  receivers: Array.from({ length: receivers }, (_, i) => ({ name: `sink-${i}@p`, ...(i === 1 ? { addresses: ['mtp://x'] } : {}) })),
  content: 'news',
  replyBy: 12.7,
  userParams: { 'X-a': 'b' },
});

describe('messageToWit', () => {
  it('converts every field the guest sees', () => {
    const wit = messageToWit(message(3));
    assert.deepEqual(wit.receivers, [
      { name: 'sink-0@p', addresses: [] },
      { name: 'sink-1@p', addresses: ['mtp://x'] },
      { name: 'sink-2@p', addresses: [] },
    ]);
    assert.equal(wit.replyBy, 12n);
    assert.deepEqual(wit.userParams, [['X-a', 'b']]);
  });

  it('the deliveries of one message share one conversion; another message object gets its own', () => {
    const shared = message(1000);
    const first = messageToWit(shared);
    assert.equal(messageToWit(shared), first, 'same object: converted once');
    const copy = structuredClone(shared);
    const other = messageToWit(copy);
    assert.notEqual(other, first);
    assert.deepEqual(other, first, 'an equal message converts to an equal value');
  });
});

describe('trace context (decision 2202)', () => {
  it('is not shown to the guest: the other parameters are, in their order, at any receiver count', () => {
    const params = {
      'X-a': '1',
      [TRACEPARENT_PARAM]: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      'X-b': '2',
      [TRACESTATE_PARAM]: 'k=v',
    };
    assert.deepEqual(messageToWit({ ...message(3), userParams: params }).userParams, [
      ['X-a', '1'],
      ['X-b', '2'],
    ]);
    const wide = messageToWit({ ...message(40), userParams: params }, [{ name: 'sink-7@p', addresses: [] }]);
    assert.deepEqual(wide.userParams, [
      [RECEIVER_COUNT_PARAM, '40'],
      ['X-a', '1'],
      ['X-b', '2'],
    ]);
    assert.deepEqual(messageToWit({ ...message(3), userParams: { [TRACEPARENT_PARAM]: 'x' } }).userParams, []);
    // SDKs compare keys case-insensitively (Go under Unicode folding): a sender's variant is not shown either.
    const variants = { 'x-traceparent': 'a', 'X-TRACESTATE': 'b', 'X-trace\u017ftate': 'c', 'X-c': 'd' };
    assert.deepEqual(messageToWit({ ...message(3), userParams: variants }).userParams, [['X-c', 'd']]);
  });
});

describe('narrowed deliveries (decision 2001)', () => {
  const self = Object.freeze([{ name: 'sink-7@p', addresses: [] }]);

  it('above the threshold: only the receiving agent and the count; each delivery its own value over one shared conversion', () => {
    const m = message(MESSAGE_INFO_LIMITS.inlineReceivers + 1);
    const a = messageToWit(m, self);
    assert.deepEqual(a.receivers, [{ name: 'sink-7@p', addresses: [] }]);
    assert.deepEqual(
      a.userParams,
      [
        [RECEIVER_COUNT_PARAM, '17'],
        ['X-a', 'b'],
      ],
      'the runtime pair first',
    );
    assert.equal(a.content, 'news');
    const other = Object.freeze([{ name: 'sink-3@p', addresses: [] }]);
    const b = messageToWit(m, other);
    assert.deepEqual(b.receivers, other);
    assert.equal(b.userParams, a.userParams, 'the shared part is converted once per message');
    assert.deepEqual(messageToWit(m).receivers.length, 17, 'without self (tools): the whole message');
  });

  it('at the threshold nothing changes; a forged count parameter (any case) is dropped at any size and replaced above it', () => {
    const at = messageToWit(message(MESSAGE_INFO_LIMITS.inlineReceivers), self);
    assert.equal(at.receivers.length, 16);
    assert.deepEqual(at.userParams, [['X-a', 'b']]);
    const forged = { ...message(40), userParams: { [RECEIVER_COUNT_PARAM]: '7' } };
    assert.deepEqual(messageToWit(forged, self).userParams, [[RECEIVER_COUNT_PARAM, '40']]);
    for (const n of [1, 3]) {
      const small = { ...message(n), userParams: { 'x-CAXTON-receivers': '1000', 'X-b': 'c' } };
      assert.deepEqual(messageToWit(small, self).userParams, [['X-b', 'c']], `${n} receivers`);
    }
    // Look-alike keys: long s (U+017F, Go's strings.EqualFold takes it for s), dotless i (U+0131).
    const folded = { 'X-caxton-receiver\u017f': '7', 'X-caxton-rece\u0131vers': '8', 'X-b': 'c' };
    assert.deepEqual(
      messageToWit({ ...message(40), userParams: folded }, self).userParams,
      [
        [RECEIVER_COUNT_PARAM, '40'],
        ['X-b', 'c'],
      ],
      'runtime pair first, look-alikes dropped',
    );
    assert.deepEqual(messageToWit({ ...message(3), userParams: folded }, self).userParams, [['X-b', 'c']]);
  });

  it('a delivery is narrowed to its own receiver entry, found by mailbox name (a replica reads what replica 1 reads)', () => {
    const m = message(40);
    const seven = narrowedReceiver(m, 'sink-7', 'p');
    assert.deepEqual(seven, [{ name: 'sink-7@p', addresses: [] }]);
    assert.equal(narrowedReceiver(m, 'sink-7', 'p'), seven, 'one entry per receiver, shared by its deliveries');
    assert.deepEqual(
      narrowedReceiver(m, 'sink-1', 'p'),
      [{ name: 'sink-1@p', addresses: ['mtp://x'] }],
      'the stored entry, addresses and all',
    );
    assert.equal(narrowedReceiver(m, 'sink-7#r2', 'p'), undefined, 'no entry names a replica key');
    assert.equal(narrowedReceiver(message(40), 'sink-7', undefined), undefined, 'without the platform only exact names match');
  });

  it('the bridge pages the message being handled and refuses bad ranges and calls outside handle, typed', () => {
    const b = new HostBridge({
      agent: 'sink-7@p',
      limits: resolveLimits({}),
      directory: () => ({ version: 0, byType: {} }),
      clock: () => 0,
      newId: () => 'id',
    });
    b.begin();
    assert.equal(b.hosts.messageInfo.receiverCount(), 0);
    assert.equal((b.hosts.messageInfo.receiversPage(0, 1) as { val: { kind: string } }).val.kind, 'no-message');
    b.setMessage(message(600));
    assert.equal(b.hosts.messageInfo.receiverCount(), 600);
    const page = b.hosts.messageInfo.receiversPage(256, 256);
    assert.equal(page.tag, 'ok');
    assert.equal((page.val as { name: string }[])[0]!.name, 'sink-256@p');
    assert.equal((page.val as unknown[]).length, 256);
    assert.equal((b.hosts.messageInfo.receiversPage(512, 256).val as unknown[]).length, 88, 'the last page is short');
    assert.deepEqual(b.hosts.messageInfo.receiversPage(600, 1), { tag: 'ok', val: [] }, 'offset = count: an empty page');
    for (const [o, l] of [
      [0, 0],
      [0, MESSAGE_INFO_LIMITS.maxReceiversPage + 1],
      [601, 1],
      [2 ** 32 - 1, 2 ** 32 - 1],
    ] as const) {
      const r = b.hosts.messageInfo.receiversPage(o, l);
      assert.equal(r.tag, 'err', `${o} ${l}`);
      assert.equal((r.val as { kind: string }).kind, 'invalid-range');
    }
    assert.ok(b.counters.badArgument >= 5, 'every refusal is counted');
    b.begin();
    assert.equal(b.hosts.messageInfo.receiverCount(), 0, 'begin forgets the message');
  });
});
