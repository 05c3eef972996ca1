/**
 * Identifiers for messages and deliveries.
 *
 * Message ids of messages that enter from outside are unique (node prefix + time + counter). Ids of
 * messages an agent sends while handling a delivery are DERIVED from that delivery's id and the
 * position in its outbox: if the runtime dies after the outbox was appended but before the
 * completion was recorded, the re-handled delivery produces the same ids and the duplicates are
 * dropped at append. Derivation hashes (rather than concatenates) so ids do not grow along a chain.
 */
import { randomBytes } from 'node:crypto';

export class MessageIdGenerator {
  private counter = 0;
  private readonly prefix: string;

  constructor(nodeId: string) {
    // The random part keeps ids unique across restarts of a node with the same id.
    this.prefix = `${nodeId}-${randomBytes(4).toString('hex')}`;
  }

  next(): string {
    this.counter += 1;
    return `${this.prefix}-${Date.now().toString(36)}-${this.counter.toString(36)}`;
  }
}

/** The delivery of message `messageId` to agent `receiver`. */
export function deliveryId(messageId: string, receiver: string): string {
  return `${messageId}>${receiver}`;
}

/** Id of the `index`-th message sent while handling `parentDeliveryId` (stable across re-handling). */
export function derivedMessageId(parentDeliveryId: string, index: number): string {
  const key = `${parentDeliveryId}#${index}`;
  return `d-${hash53(key, 0x9e3779b1).toString(36)}${hash53(key, 0x85ebca77).toString(36)}`;
}

/** cyrb53: a fast 53-bit string hash; two seeds give ~106 bits, enough to make collisions moot. */
function hash53(text: string, seed: number): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
