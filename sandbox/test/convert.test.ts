/** messageToWit: the world value of a message, converted once per message object (decision 1202). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AclMessage } from '@caxton/core';
import { messageToWit } from '../src/host/convert.js';

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
