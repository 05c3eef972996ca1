/**
 * What the log recorded of one agent's handlings, in commit order (issue 57): the shapes a history
 * source (the embedded log's segments, an export file) yields and the replay engine consumes. Plain
 * data, one definition.
 *
 * A source yields events in the order the log made them durable:
 * - `state`: a state transaction of the agent that completes nothing (a compaction snapshot or a
 *   `clearState` when `reset`, an operator's `commitState`); replay applies it to its view;
 * - `handled`: a handling that committed — a delivery's completion (with its state writes, possibly
 *   none) or a durable timer's firing commit — with the messages it sent (found by their derived ids);
 * - `dead-lettered`: a delivery of the agent moved aside (its handling never committed).
 */
import type { AclMessage, Delivery, StateWrite } from '@caxton/core';

/** The work a recorded handling ran on. */
export type RecordedWork =
  | { kind: 'message'; delivery: Delivery }
  /**
   * A durable timer's firing: its id, the token the agent set — undefined when the log does not
   * hold the record that set it (retention deleted it; a kind instance's timers are never recorded
   * there), and the firing cannot be replayed — and when it was due (undefined when not said).
   */
  | { kind: 'timer'; timerId: string; token: string | undefined; dueAt: number | undefined };

export interface RecordedHandling {
  kind: 'handled';
  work: RecordedWork;
  /** The writes its commit point carried, as the log holds them (the runtime's reserved bookkeeping included). */
  state: readonly StateWrite[];
  /**
   * What it sent that the log holds, in outbox order (message ids derived from the work: ids.ts
   * `derivedMessageId`), and each one's index in the outbox: a message to no agent of the log (an
   * API caller, another platform) is not appended, and leaves a gap.
   */
  sends: readonly AclMessage[];
  sendIndexes: readonly number[];
  /** Where in the log its commit point is (source-specific, e.g. `<segment>.<offset>`): for messages and `--from`. */
  position: string;
  /**
   * What its first wall-clock read returned (ms since epoch), where the log recorded it (decision
   * 2178): a replay's first read returns it. Absent: it read no clock, or the log did not record it.
   */
  clockAt?: number;
}

export type RecordedEvent =
  | {
      kind: 'state';
      reset: boolean;
      writes: readonly StateWrite[];
      position: string;
      /**
       * Set when the transaction completed a delivery whose append the source no longer holds (the
       * log's retention deleted it before the history's start): its writes still count for the
       * agent's state, but the handling itself cannot be replayed.
       */
      completes?: string;
    }
  | RecordedHandling
  | { kind: 'dead-lettered'; delivery: Delivery; position: string };

/**
 * Where a node reads an agent's recorded history back (the upgrade gate, issue 57): one read per
 * call, its events oldest first; what the generator returns says what of the log it could not read
 * whole, in words (undefined: it read it all). `signal` ends a read under way (its reason thrown),
 * also while it crosses records that are not the agent's.
 */
export type HistoryReader = (agent: string, opts?: { signal?: AbortSignal }) => AsyncGenerator<RecordedEvent, string | undefined>;

/** The deployment a history is replayed under: core's (the node's upgrade gate takes it too). */
export type { RecordedDeployment } from '@caxton/core';
