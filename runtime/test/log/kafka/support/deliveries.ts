/** Test deliveries: real ACL messages, ids shaped like the bus's (message id + receiver). */
import type { Delivery } from '@caxton/core';

export function delivery(messageId: string, receiver: string, content = messageId): Delivery {
  return {
    id: `${messageId}/${receiver}`,
    messageId,
    receiver,
    acceptedAt: Date.now(),
    message: {
      performative: 'inform',
      sender: { name: 'tester@test' },
      receivers: [{ name: `${receiver}@test` }],
      content,
      conversationId: `conv-${messageId}`,
    },
  };
}

/** n deliveries round-robin over the receivers, numbered in append order. */
export function deliveries(prefix: string, n: number, receivers: readonly string[]): Delivery[] {
  return Array.from({ length: n }, (_, i) => delivery(`${prefix}-${i}`, receivers[i % receivers.length]!));
}
