/**
 * The cluster's protocol gate on delivery (decision 0711): an outside sender's message is judged
 * once, by the node of the agents it addressed, with the core's real ConversationTracker. A message
 * to several agents on this node arrives once per agent; a refusal must refuse every one of its
 * deliveries (before, only the first was judged and the others were handed out), and a refused
 * delivery handed out again (its completion failed) is refused again.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConversationTracker, type AclMessage, type Delivery } from '@caxton/core';
import type { Bus } from '../../../src/bus/bus.js';
import { ClusterProtocols } from '../../../src/topology/cluster/protocols.js';

const PLATFORM = 'p';

function gate() {
  const completed: string[] = [];
  const replies: AclMessage[] = [];
  const bus = { sendPlatformReplies: async (r: AclMessage[]) => void replies.push(...r) } as unknown as Bus;
  const g = new ClusterProtocols({
    tracker: new ConversationTracker({ platformAgent: { name: `ams@${PLATFORM}` } }),
    platform: PLATFORM,
    isAgent: (n) => n === 'a' || n === 'b',
    isLocal: (n) => n === 'a' || n === 'b',
    bus: () => bus,
    complete: async (d) => void completed.push(d.id),
  });
  return { g, completed, replies };
}

/** The deliveries of one message from the operator (outside the platform) to a and b. */
function sent(messageId: string): Delivery[] {
  const message: AclMessage = {
    performative: 'request',
    sender: { name: 'operator@elsewhere' },
    receivers: [{ name: `a@${PLATFORM}` }, { name: `b@${PLATFORM}` }],
    protocol: 'fipa-request',
    conversationId: 'c1',
    content: messageId,
  };
  return ['a', 'b'].map((receiver) => ({ id: `${messageId}/${receiver}`, messageId, receiver, acceptedAt: Date.now(), message }));
}

test('a refused message is refused for every local receiver, answered once, and refused again when handed out again', () => {
  const { g, completed, replies } = gate();
  try {
    const first = sent('m1');
    assert.deepEqual(
      g.screen(first).map((d) => d.id),
      ['m1/a', 'm1/b'],
      'the opening request reaches both',
    );
    // The same conversation opened again while it is open: refused (protocol.conversation-in-use).
    const [toA, toB] = sent('m2') as [Delivery, Delivery];
    assert.deepEqual(g.screen([toA]), [], 'refused for a');
    assert.deepEqual(g.screen([toB]), [], 'and for b, which arrives in a later batch');
    assert.deepEqual(g.screen([toA]), [], 'handed out again (its completion failed): refused again');
    assert.deepEqual(completed, ['m2/a', 'm2/b', 'm2/a'], 'each refused delivery completed, never handed to its agent');
    assert.equal(replies.length, 1, 'the sender is answered once for the message');
  } finally {
    g.stop();
  }
});
