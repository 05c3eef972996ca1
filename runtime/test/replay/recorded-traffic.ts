/**
 * Traffic as the bus appends it, for the replay tests that write a real embedded log and read its
 * history back: messages between agents of platform `test`, their deliveries (one per receiver,
 * the message shared), a delivery to one agent.
 */
import type { AclMessage, Delivery } from '@caxton/core';
import { deliveryId } from '../../src/bus/ids.js';

export const PLATFORM = 'test';
export const T0 = 1_700_000_000_000;

export function msg(from: string, to: readonly string[], content: string, extra: Partial<AclMessage> = {}): AclMessage {
  return {
    performative: 'inform',
    sender: { name: `${from}@${PLATFORM}` },
    receivers: to.map((name) => ({ name: `${name}@${PLATFORM}` })),
    content,
    conversationId: `c-${content}`,
    ...extra,
  };
}

/** A message's deliveries as the bus appends them: one per receiver, the message object shared. */
export function deliveriesOf(messageId: string, message: AclMessage, acceptedAt = T0): Delivery[] {
  return message.receivers.map((r) => {
    const receiver = r.name.slice(0, r.name.lastIndexOf('@'));
    return { id: deliveryId(messageId, receiver), messageId, receiver, message, acceptedAt };
  });
}

/** The delivery of message `messageId` (`content`, from `from`) to `receiver`. */
export function deliveryTo(receiver: string, messageId: string, content: string, from = 'bob', extra: Partial<AclMessage> = {}): Delivery {
  return deliveriesOf(messageId, msg(from, [receiver], content, extra), T0 + messageId.length)[0]!;
}
