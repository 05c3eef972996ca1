/**
 * What the crash child and the crash test agree on: delivery ids, which deliveries the child
 * completes / dead-letters / leaves pending, and the progress lines it prints.
 *
 * Progress lines (each written with a blocking write, so a line the parent received was printed
 * BEFORE whatever the child did next):
 *   READY                 the log is open
 *   A <from> <to>         append of n in [from, to) resolved (durable)
 *   I <from> <to>         about to call complete() for the completable n in [from, to)
 *   C <from> <to>         that complete() resolved
 *   DI <n> / D <n>        about to dead-letter n / the dead letter resolved
 *   E <message>           the child hit an error
 */
import type { Delivery } from '@caxton/core';

export const RECEIVERS = 4;

/** Never completed: these must stay pending across every crash and every compaction. */
export function isStraggler(n: number): boolean {
  return n % 29 === 0;
}

export function isDeadLettered(n: number): boolean {
  return !isStraggler(n) && n % 31 === 7;
}

export function isCompletable(n: number): boolean {
  return !isStraggler(n) && !isDeadLettered(n);
}

export function deliveryId(round: number, n: number): string {
  return `r${round}-m${n}:agent-${n % RECEIVERS}`;
}

export function parseDeliveryId(id: string): { round: number; n: number; receiver: string } {
  const match = /^r(\d+)-m(\d+):(agent-\d+)$/.exec(id);
  if (match === null) throw new Error(`not a crash-test delivery id: ${id}`);
  return { round: Number(match[1]), n: Number(match[2]), receiver: match[3]! };
}

export function crashDelivery(round: number, n: number): Delivery {
  const receiver = `agent-${n % RECEIVERS}`;
  return {
    id: deliveryId(round, n),
    messageId: `r${round}-m${n}`,
    receiver,
    acceptedAt: Date.now(),
    message: {
      performative: 'request',
      sender: { name: 'load@crash' },
      receivers: [{ name: `${receiver}@crash` }],
      content: `(work ${n} "${'x'.repeat(n % 200)}")`,
      protocol: 'fipa-request',
      conversationId: `conv-${round}-${n}`,
    },
  };
}
