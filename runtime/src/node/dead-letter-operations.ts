/**
 * Dead letters for operators (decision 1860): list, show, redrive, purge over the message log's
 * dead letters and their marks. Wire input was validated by the API; the audit record of each
 * redrive and purge is written around these calls by the audited control.
 *
 * A redrive sends the letter's message again as a NEW delivery whose message id is derived from
 * (letter id, target) — `redriveMessageId` — then marks the letter redriven. A repeat of the same
 * redrive derives the same delivery id: while the first is pending or recently completed the log
 * and the bus drop it as a duplicate, and once the mark is durable the repeat sends nothing at
 * all. So the message is handled once, even after a crash between the send and the mark.
 */
import {
  MAX_DEAD_LETTERS_PER_CALL,
  NotFoundError,
  replicaOwner,
  type AclMessage,
  type DeadLetterControl,
  type DeadLetterQuery,
  type DeadLetterSelection,
  type DeadLetterView,
  type PurgeResult,
  type RedriveRequest,
  type RedriveResult,
  type SendResult,
} from '@caxton/core';
import type { DeadLetter, DeadLetterMark, MessageLog } from '../log/message-log.js';
import { deliveryId, redriveMessageId } from '../bus/ids.js';
import { DeadLetterPurgedError, DeadLettersUnsupportedError } from '../bus/errors.js';

/**
 * How many of the newest dead letters one call looks at. Dead letters are rare (a delivery that
 * crashed its handler maxAttempts times); an operator facing more purges or redrives the newest
 * first and then sees the older ones.
 */
export const DEAD_LETTER_SCAN_LIMIT = 10_000;

export interface DeadLetterOperationsDeps {
  log: MessageLog;
  /** `echo@platform` → `echo`. */
  agentName: (name: string) => string;
  /** Send as the letter's original sender, under the given message id, on the operator's lane. */
  send: (message: AclMessage, messageId: string) => Promise<SendResult>;
  now?: () => number;
}

/** A letter with the newest mark applied. */
export function viewOf(letter: DeadLetter, mark: DeadLetterMark | undefined): DeadLetterView {
  const view: DeadLetterView = {
    id: letter.delivery.id,
    delivery: letter.delivery,
    reason: letter.reason,
    attempts: letter.attempts,
    at: letter.at,
    state: 'dead',
  };
  if (mark?.state === 'redriven') {
    view.state = 'redriven';
    view.redrive = { deliveryId: mark.deliveryId, receiver: mark.receiver, at: mark.at };
  } else if (mark?.state === 'purged') {
    view.state = 'purged';
    view.purgedAt = mark.at;
  }
  return view;
}

export class DeadLetterOperations implements DeadLetterControl {
  private readonly now: () => number;

  constructor(private readonly d: DeadLetterOperationsDeps) {
    this.now = d.now ?? Date.now;
  }

  async listDeadLetters(query: DeadLetterQuery): Promise<DeadLetterView[]> {
    const agent = query.agent === undefined ? undefined : this.d.agentName(query.agent);
    // A letter for a replica unit `X#r<k>` (decision 2093) is X's: listed, selected and redriven as X's,
    // so the redrive's sender picks a replica again.
    const views = (await this.views()).filter(
      (v) => (agent === undefined || replicaOwner(v.delivery.receiver) === agent) && (query.includePurged || v.state !== 'purged'),
    );
    return views.slice(-Math.min(Math.max(query.limit, 1), MAX_DEAD_LETTERS_PER_CALL));
  }

  async getDeadLetter(id: string): Promise<DeadLetterView> {
    const view = (await this.views()).find((v) => v.id === id);
    if (view === undefined) throw unknownLetter(id);
    return view;
  }

  async redriveDeadLetters(request: RedriveRequest): Promise<RedriveResult> {
    const marking = this.marking();
    // An agent's letters are its dead deliveries, not records refused as written by no node of the
    // cluster (decision 2185): their sender and content are whoever wrote them, and a redrive sends
    // them as this node's. Such a letter is redriven only when named by its id.
    const letters = await this.select(request.select, (v) => v.state === 'dead' && !refusedRecord(v));
    // All refusals before anything is sent: a purged letter named by id fails the whole call.
    for (const v of letters) if (v.state === 'purged') throw new DeadLetterPurgedError(v.id);
    const target = request.to === undefined ? undefined : this.d.agentName(request.to);
    const redriven: RedriveResult['redriven'] = [];
    for (const v of letters) {
      const receiver = target ?? replicaOwner(v.delivery.receiver);
      const messageId = redriveMessageId(v.id, receiver);
      const newDelivery = deliveryId(messageId, receiver);
      // Redriven there already (the mark is durable): nothing to send, however old the first one is.
      if (v.redrive?.deliveryId !== newDelivery) {
        await this.d.send({ ...v.delivery.message, receivers: [{ name: receiver }] }, messageId);
        await marking([{ id: v.id, state: 'redriven', deliveryId: newDelivery, receiver, at: this.now() }]);
      }
      redriven.push({ id: v.id, deliveryId: newDelivery, receiver });
    }
    return { redriven };
  }

  async purgeDeadLetters(select: DeadLetterSelection): Promise<PurgeResult> {
    const marking = this.marking();
    const letters = (await this.select(select, (v) => v.state !== 'purged')).filter((v) => v.state !== 'purged');
    const at = this.now();
    if (letters.length > 0) await marking(letters.map((v) => ({ id: v.id, state: 'purged', at })));
    return { purged: letters.map((v) => v.id) };
  }

  private marking(): (marks: readonly DeadLetterMark[]) => Promise<void> {
    const log = this.d.log;
    if (log.markDeadLetters === undefined) throw new DeadLettersUnsupportedError();
    return (marks) => log.markDeadLetters!(marks);
  }

  /** Named letters (every id must exist), or the agent's letters `wanted` keeps; at most a call's bound. */
  private async select(select: DeadLetterSelection, wanted: (v: DeadLetterView) => boolean): Promise<DeadLetterView[]> {
    const views = await this.views();
    if ('agent' in select) {
      const agent = this.d.agentName(select.agent);
      return views.filter((v) => replicaOwner(v.delivery.receiver) === agent && wanted(v)).slice(0, MAX_DEAD_LETTERS_PER_CALL);
    }
    const byId = new Map(views.map((v) => [v.id, v]));
    return [...new Set(select.ids)].map((id) => {
      const view = byId.get(id);
      if (view === undefined) throw unknownLetter(id);
      return view;
    });
  }

  /** The newest letters with their marks, oldest first; a letter written twice (a retried dead-letter) once. */
  private async views(): Promise<DeadLetterView[]> {
    const [letters, marks] = await Promise.all([
      this.d.log.deadLetters(DEAD_LETTER_SCAN_LIMIT),
      this.d.log.deadLetterMarks?.() ?? new Map<string, DeadLetterMark>(),
    ]);
    const byId = new Map<string, DeadLetter>();
    for (const letter of letters) {
      byId.delete(letter.delivery.id);
      byId.set(letter.delivery.id, letter);
    }
    return [...byId.values()].map((letter) => viewOf(letter, marks.get(letter.delivery.id)));
  }
}

/**
 * The reason of a letter the Kafka log wrote for a record it refused (decision 2185,
 * RecordUnauthenticatedError): `log.record-unauthenticated: <why>`.
 */
export const REFUSED_RECORD_REASON = 'log.record-unauthenticated:';

/** A letter for a record refused by its record-key check, not a delivery that failed. */
export function refusedRecord(v: Pick<DeadLetterView, 'reason'>): boolean {
  return v.reason.startsWith(REFUSED_RECORD_REASON);
}

function unknownLetter(id: string): NotFoundError {
  return new NotFoundError(
    'dead-letter',
    id,
    'list dead letters with `caxton dlq list --all`; ids are the delivery ids they were dead-lettered under',
  );
}
