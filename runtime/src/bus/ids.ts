/**
 * Identifiers for messages and deliveries.
 *
 * Message ids of messages that enter from outside are unique (node prefix + time + counter). Ids of
 * messages an agent sends while handling a delivery are DERIVED from that delivery's id and the
 * position in its outbox: if the runtime dies after the outbox was appended but before the
 * completion was recorded, the re-handled delivery produces the same ids and the duplicates are
 * dropped at append. Derivation hashes (rather than concatenates) so ids do not grow along a chain.
 */
import { createHash, randomBytes } from 'node:crypto';

export class MessageIdGenerator {
  private counter = 0;
  private readonly prefix: string;

  constructor(nodeId: string) {
    // The random part keeps ids unique across restarts of a node with the same id.
    this.prefix = `${nodeId}-${randomBytes(4).toString('hex')}`;
  }

  next(): string {
    this.counter += 1;
    return `${this.prefix}-${base36(Date.now())}-${this.counter.toString(36)}`;
  }
}

/**
 * Id of an operator's message sent with an idempotency key (decision 1700): the same for every
 * retry of that send — on any node of the cluster, before and after a restart — so the log's
 * dedup by delivery id drops a retry that the key record no longer knows about. `caller` keeps two
 * callers' keys apart; `requestDigest` makes the key reused for another message a different id,
 * so where the node cannot refuse such a reuse (after a restart) it is a new message, never
 * silently dropped as a "duplicate" of the first. sha256, truncated to 128 bits: ids from outside
 * input must not be steerable into collisions, which cyrb53 below does not promise.
 */
export function idempotentMessageId(caller: string, key: string, requestDigest: string): string {
  const hash = createHash('sha256').update(`caxton.idempotent-send.v1\0${caller}\0${key}\0${requestDigest}`, 'utf8').digest('hex');
  return `i-${hash.slice(0, 32)}`;
}

/** The delivery of message `messageId` to agent `receiver`. */
export function deliveryId(messageId: string, receiver: string): string {
  return `${messageId}>${receiver}`;
}

/**
 * Id of the message that redrives dead letter `deadLetterId` to agent `target` (decision 1860):
 * the same for every repeat of that redrive — a retry, two operators, a crash between the send
 * and its mark — so the log's dedup by delivery id keeps one delivery, handled once. sha256 like
 * `idempotentMessageId`: letter ids and targets come from outside input.
 */
export function redriveMessageId(deadLetterId: string, target: string): string {
  const hash = createHash('sha256').update(`caxton.redrive.v1\0${deadLetterId}\0${target}`, 'utf8').digest('hex');
  return `r-${hash.slice(0, 32)}`;
}

/**
 * Id of the `index`-th message sent while handling `parentDeliveryId` (stable across re-handling):
 * cyrb53 pairs (below) over the text `${parentDeliveryId}#${index}`. The text is hashed in two
 * parts — the parent, then `#index` — rather than built first: building it made a cons string
 * that the hash's first character read flattened into a second copy, two strings of garbage per
 * message sent (the function ran at ~450 ns a call, profiled; the ids it returns are unchanged,
 * pinned by derived-ids.test.ts).
 */
export function derivedMessageId(parentDeliveryId: string, index: number): string {
  // Any number as before (a negative or fractional index too): the table holds only 0 … 63.
  hashPairOf(parentDeliveryId, INDEX_SUFFIXES[index] ?? `#${index}`);
  return `d-${base36(pairA)}${base36(pairB)}`;
}

/** `#0` … `#63`: the suffixes of almost every derived id, made once. */
const INDEX_SUFFIXES: readonly string[] = Array.from({ length: 64 }, (_, i) => `#${i}`);

// The two results of hashPairOf (module state instead of an array: this runs once per message sent).
let pairA = 0;
let pairB = 0;

/**
 * cyrb53 with seeds 0x9e3779b1 and 0x85ebca77 (two 53-bit hashes, ~106 bits, enough to make
 * collisions moot), both computed in one pass over the text `head + tail`. The output must never
 * change: ids derived before a crash are compared with ids derived after the restart.
 */
function hashPairOf(head: string, tail: string): void {
  let a1 = 0xdeadbeef ^ 0x9e3779b1;
  let a2 = 0x41c6ce57 ^ 0x9e3779b1;
  let b1 = 0xdeadbeef ^ 0x85ebca77;
  let b2 = 0x41c6ce57 ^ 0x85ebca77;
  for (let part = 0; part < 2; part++) {
    const text = part === 0 ? head : tail;
    for (let i = 0; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      a1 = Math.imul(a1 ^ ch, 2654435761);
      a2 = Math.imul(a2 ^ ch, 1597334677);
      b1 = Math.imul(b1 ^ ch, 2654435761);
      b2 = Math.imul(b2 ^ ch, 1597334677);
    }
  }
  pairA = finish53(a1, a2);
  pairB = finish53(b1, b2);
}

function finish53(h1: number, h2: number): number {
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** 36^6: the low six base-36 digits. */
const LOW = 36 ** 6;

/**
 * `n.toString(36)` for an integer 0 ≤ n < 2^53, the same digits ~10x faster: V8 converts small
 * integers quickly but took ~1.8 µs for numbers above 2^32, more than everything else in deriving
 * an id (profiled). Split into a high part and six low digits, both small enough for the fast path.
 */
export function base36(n: number): string {
  if (n < 2147483648) return n.toString(36);
  const low = n % LOW; // exact on integers below 2^53
  return ((n - low) / LOW).toString(36) + low.toString(36).padStart(6, '0');
}
