/** Typed refusals of the node's ACC (the inbound HTTP MTP endpoint) and of its configuration. */
import { CaxtonError, type ErrorKind } from '@caxton/core';

export class MtpConfigError extends CaxtonError {
  constructor(message: string, hint: string) {
    super('mtp.bad-config', message, { kind: 'invalid-argument', hint });
  }
}

/** A post the ACC refuses: `code` (`mtp.unauthenticated`, `mtp.body-too-large`, …) and its HTTP status. */
export class MtpRefusal extends CaxtonError {
  constructor(
    code: string,
    readonly status: number,
    message: string,
    hint: string,
    kind: ErrorKind,
    context: Record<string, unknown> = {},
  ) {
    super(code, message, { kind, hint, context });
  }
}

/**
 * The outbox records of a send to peer platforms could not be committed (decision 1910, "Outbox"):
 * the send fails. A handling runs again and sends again; an agent's `init` is not re-run, so its
 * applier calls `answerSender` — the agent gets a FIPA `failure` instead of a post silently lost.
 */
export class MtpOutboxNotDurable extends CaxtonError {
  constructor(
    agent: string,
    messageId: string,
    cause: unknown,
    readonly answerSender: () => Promise<void>,
  ) {
    super(
      'mtp.outbox-not-durable',
      `${agent}'s message ${messageId} to a peer platform was not forwarded: its outbox record could not be committed (${(cause as Error)?.message ?? String(cause)})`,
      {
        kind: 'unavailable',
        hint: "the node's state store refused the write; the message is not posted — send it again once the store is healthy",
        context: { agent, messageId },
      },
    );
  }
}

/**
 * A send to peer platforms owed its sender a `failure` (outbox full, node stopping, a refused
 * destination) that could not be made durable (the log refused the append): the send fails, so
 * its handling runs again and sends that failure again under the same id (the log keeps one) —
 * the agent is never left without an answer (review of outboxfix2). An `init` (not re-run) tries
 * once more through `answerSender`.
 */
export class MtpFailureNotDurable extends CaxtonError {
  constructor(
    agent: string,
    messageId: string,
    reason: string,
    readonly answerSender: () => Promise<void>,
  ) {
    super(
      'mtp.failure-not-durable',
      `${agent}'s message ${messageId} to a peer platform was refused (${reason.slice(0, 300)}) and that failure could not be returned to ${agent}`,
      {
        kind: 'unavailable',
        hint: "the node's message log refused the failure's append; the handling runs again and returns it then",
        context: { agent, messageId },
      },
    );
  }
}
