/**
 * Dead letters for operators (issue 27, decision 1860): see why a delivery was dead-lettered,
 * send it again (to its receiver or another agent), or purge it. A dead letter's id is the id of
 * the delivery it was dead-lettered under: stable, and already unique within a log.
 */
import type { Delivery } from './execution.js';

/** Where a dead letter stands: still dead, sent again (as `redriveDeliveryId`), or purged. */
export type DeadLetterState = 'dead' | 'redriven' | 'purged';

export const DEAD_LETTER_STATES: readonly DeadLetterState[] = ['dead', 'redriven', 'purged'];

/** One dead letter as operators see it. */
export interface DeadLetterView {
  /** The delivery id it was dead-lettered under. */
  id: string;
  delivery: Delivery;
  reason: string;
  attempts: number;
  /** When it was dead-lettered, ms since epoch. */
  at: number;
  state: DeadLetterState;
  /** Set when redriven: the new delivery it was sent again as, and when. */
  redrive?: { deliveryId: string; receiver: string; at: number };
  /** Set when purged. */
  purgedAt?: number;
}

/** Hard bound of one page of dead letters, and of the ids one redrive or purge may name. */
export const MAX_DEAD_LETTERS_PER_CALL = 500;

export interface DeadLetterQuery {
  /** Only letters to this receiver (local agent name). */
  agent?: string;
  /** Purged letters too (hidden by default). */
  includePurged: boolean;
  /** At most this many, the newest (1..MAX_DEAD_LETTERS_PER_CALL). */
  limit: number;
}

/** Which letters a redrive or purge acts on: named ones, or every unpurged one of an agent. */
export type DeadLetterSelection = { ids: readonly string[] } | { agent: string };

export interface RedriveRequest {
  select: DeadLetterSelection;
  /** Send to this agent instead of each letter's own receiver. */
  to?: string;
}

export interface RedriveResult {
  /** Each letter sent again, and the delivery it went as (the same for a repeated redrive). */
  redriven: { id: string; deliveryId: string; receiver: string }[];
}

export interface PurgeResult {
  purged: string[];
}

/**
 * Operators' access to dead letters. A redrive is idempotent: its delivery id is derived from the
 * letter and the target, so a repeated redrive (retry, two operators, a crash between the send and
 * its mark) is deduplicated by the log and handled once.
 */
export interface DeadLetterControl {
  /** Newest last. */
  listDeadLetters(query: DeadLetterQuery): Promise<DeadLetterView[]>;
  /** Rejects with a `not-found` error for an unknown id. */
  getDeadLetter(id: string): Promise<DeadLetterView>;
  /** Unknown ids: `not-found`, nothing sent; a purged letter cannot be redriven (`failed-precondition`). */
  redriveDeadLetters(request: RedriveRequest): Promise<RedriveResult>;
  purgeDeadLetters(select: DeadLetterSelection): Promise<PurgeResult>;
}
