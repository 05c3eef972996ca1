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

/**
 * Delivery n goes to agent-(n mod RECEIVERS) as part of message m<n − n mod RECEIVERS>: the
 * RECEIVERS consecutive deliveries of one message share it, so appends hold multi-receiver
 * messages (AppendedShared frames, decision 1202) whose stragglers compaction must narrow.
 */
export function deliveryId(round: number, n: number): string {
  return `r${round}-m${n - (n % RECEIVERS)}:agent-${n % RECEIVERS}`;
}

export function parseDeliveryId(id: string): { round: number; n: number; receiver: string } {
  const match = /^r(\d+)-m(\d+):agent-(\d+)$/.exec(id);
  if (match === null) throw new Error(`not a crash-test delivery id: ${id}`);
  return { round: Number(match[1]), n: Number(match[2]) + Number(match[3]), receiver: `agent-${match[3]}` };
}

/**
 * The deliveries n in [from, to), as the bus appends them: those of one message (inside this
 * range) share one message object and acceptance time.
 */
export function crashBatch(round: number, from: number, to: number): Delivery[] {
  const acceptedAt = Date.now();
  const messages = new Map<number, Delivery['message']>();
  const batch: Delivery[] = [];
  for (let n = from; n < to; n++) {
    const m = n - (n % RECEIVERS);
    let message = messages.get(m);
    if (message === undefined) {
      message = {
        performative: 'request',
        sender: { name: 'load@crash' },
        receivers: Array.from({ length: RECEIVERS }, (_, k) => ({ name: `agent-${k}@crash` })),
        content: `(work ${m} "${'x'.repeat(m % 200)}")`,
        protocol: 'fipa-request',
        conversationId: `conv-${round}-${m}`,
      };
      messages.set(m, message);
    }
    batch.push({ id: deliveryId(round, n), messageId: `r${round}-m${m}`, receiver: `agent-${n % RECEIVERS}`, acceptedAt, message });
  }
  return batch;
}
