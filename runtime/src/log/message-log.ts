/**
 * The one small interface behind which the bus persists messages. The embedded on-disk log
 * (`log/embedded/`) is the default; Kafka (`log/kafka/`) implements the same contract in a cluster.
 *
 * Contract (both implementations):
 * - `append` resolves only once every record is durable; then the message is "accepted".
 * - Every accepted delivery is eventually handed to `consume`'s handler, in append order per
 *   receiver, again after a restart unless it was marked completed (at-least-once).
 * - `complete` durably records that a delivery was handled; a completed delivery is never handed
 *   out again, also across restarts (the bus additionally dedups by delivery id).
 * - `deadLetter` durably moves a delivery aside with a reason; it counts as completed.
 */
import type { AclMessage, Delivery, ReplayReach, StateWrite } from '@caxton/core';
import type { InOrderCallback } from './in-order-callbacks.js';

export interface CompletionRecord {
  id: string;
  receiver: string;
  /**
   * The receiver's state changes made while handling this delivery: durable in the same step as
   * the completion, all or nothing (decision 1600). A log that keeps state must also be an
   * `AgentStateStore` (storage/ports.ts).
   */
  state?: readonly StateWrite[];
  /**
   * What the handling's first wall-clock read returned (ms since epoch), if it read one: a log that
   * records it (the embedded log) keeps it with the completion, so a replay's first read returns it
   * (decision 2178). A log may leave it out; nothing but replay reads it.
   */
  clockAt?: number;
}

export interface DeadLetter {
  delivery: Delivery;
  reason: string;
  attempts: number;
  at: number;
}

/**
 * What became of a dead letter after it was dead-lettered (decision 1860), stored append-only
 * beside the letters: the newest mark of a letter wins.
 */
export type DeadLetterMark =
  | { id: string; state: 'redriven'; deliveryId: string; receiver: string; at: number }
  | { id: string; state: 'purged'; at: number };

export type DeliveryHandler = (batch: readonly Delivery[]) => void;

export interface MessageLog {
  /** Open storage and replay: unfinished deliveries from before are handed to the consumer first. */
  open(): Promise<void>;
  /** Durably append; resolves when all are durable (group commit may share one fsync). */
  append(deliveries: readonly Delivery[]): Promise<void>;
  /**
   * Optional, for logs that commit in call order (those with `completeInOrder`): `append`, but a
   * refusal (an invalid delivery, a stopped log) throws synchronously, queueing nothing; once it
   * returns, every delivery is queued (or already pending or completed: the log's dedup) ahead of
   * anything queued after it, `completeInOrder` included, and the promise settles as `append`'s.
   * The bus then lets a handling's completion follow its sends into the same group without awaiting
   * them (decision 2111). `then`, when given, is called as `completeInOrder`'s is (below): once,
   * with the promise's outcome, synchronously as the log settles the deliveries, in call order with
   * every other call's callback; the bus finishes the send there, with no waiter (decision 2118).
   */
  appendInOrder?(deliveries: readonly Delivery[], then?: InOrderCallback): Promise<void>;
  /** Start handing deliveries (replayed unfinished ones first, then new ones) to `handler`. */
  consume(handler: DeliveryHandler): void;
  /** Bounded dedup index: was this delivery id completed (within the retention window)? */
  hasCompleted?(id: string): boolean;
  /**
   * Is `delivery` handed out here and its partition still this node's (a log whose consumers share
   * partitions: Kafka)? False: another node owns it now and hands it out again — completing or
   * dead-lettering it here would be refused `bus.kafka.not-owner`. Absent: every delivery is this node's.
   */
  holds?(delivery: Pick<Delivery, 'id' | 'receiver'>): boolean;
  /**
   * Deliveries handed out here that turned out to sit outside their receiver's home partition (a
   * log partitioned by placement key, decision 2189: read before the key was known here) are
   * appended to it and completed where they were read. Returns those still to be handled here (read
   * from their home partition); the rest were moved, or are not this node's any more (their
   * partition moved: its next owner reads them). Absent: one partition for all.
   */
  relocate?(deliveries: readonly Delivery[]): Promise<Delivery[]>;
  /** Durably record completion. */
  complete(records: readonly CompletionRecord[]): Promise<void>;
  /**
   * Optional, for logs that commit in call order (the embedded log's group commit): queue the
   * completions now. Throws synchronously, queueing nothing, when it refuses the records (e.g.
   * `log.invalid-state`); otherwise the promise settles when they are durable, calls become durable
   * in call order, and if one call's promise rejects every later call's does too (the log stopped).
   * With it an agent's next commit follows its previous one into the log without waiting for that
   * one's fsync (issue 24, decision 1703); without it the next commit waits for durability.
   * `then`, when given, is called once with the same outcome as the promise (undefined when
   * durable, else the error), synchronously as the log settles the records and before any reaction
   * to the promise runs; calls' callbacks run in call order. It must not throw. A caller that
   * passes it may drop the promise: the log never lets that promise become an unhandled rejection.
   * The bus carries a handled batch on from there while its data is hot, depth-first (decision 2111).
   */
  completeInOrder?(records: readonly CompletionRecord[], then?: InOrderCallback): Promise<void>;
  /** Durably dead-letter a delivery (it is then complete). */
  deadLetter(letter: DeadLetter): Promise<void>;
  /** Read dead letters (newest last), for operators. */
  deadLetters(limit?: number): Promise<DeadLetter[]>;
  /**
   * Durably record what became of dead letters (redriven, purged). Optional: a log without it
   * cannot offer redrive or purge, and the node refuses them with `dead-letters.unsupported`.
   */
  markDeadLetters?(marks: readonly DeadLetterMark[]): Promise<void>;
  /** The newest mark of every dead letter that has one. */
  deadLetterMarks?(): Promise<ReadonlyMap<string, DeadLetterMark>>;
  /**
   * Why the log stopped for good (a failed write or fsync: ENOSPC, EIO, EFBIG…), or undefined while
   * it works. A log that reconnects by itself (Kafka) never reports one. The node turns this into
   * NOT_SERVING health and refuses new work with the reason.
   */
  stoppedBy?(): Error | undefined;
  /**
   * Accepted messages, newest first from `before` backwards (the web console's history, issue 15).
   * Optional: a log that cannot read its past cheaply (Kafka, memory) leaves it out and the console
   * says so. Reads only what is durable; retention may already have deleted older messages.
   */
  history?(query: HistoryQuery): Promise<HistoryPage>;
  /** Bytes the log holds on disk now, when it knows. */
  sizeBytes?(): number;
  /**
   * How far back a replay reaches (issue 57): when the oldest record the log holds was written, what
   * it holds and the history it keeps (decision 2179), for `caxton status`. Read-only and cheap (no
   * file is read). Optional: a log without it says nothing, and the status has no replay line.
   */
  replayReach?(): ReplayReach;
  close(): Promise<void>;
}

/** A message as it was accepted (one entry per message, however many receivers it had). */
export interface HistoricMessage {
  messageId: string;
  acceptedAt: number;
  message: AclMessage;
  /** Where it is in the log: give as `before` to read older ones. Opaque to callers. */
  position: string;
}

export interface HistoryQuery {
  /** Only messages older than this position (a previous page's `nextBefore`); absent: from the newest. */
  before?: string;
  limit: number;
  /** Only messages this accepts. */
  match: (message: HistoricMessage) => boolean;
  /** Stop after scanning this many bytes of log, returning what was found and where to go on. */
  maxScanBytes: number;
}

export interface HistoryPage {
  /** Oldest first. */
  messages: HistoricMessage[];
  /** Read on from here for older messages; absent when the log's beginning was reached. */
  nextBefore?: string;
}
