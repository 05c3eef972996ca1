import { CaxtonError, type ErrorContext } from '@caxton/core';

/** The text of a full mailbox's refusal (the error's message; a platform message dropped for it). */
export function mailboxFullReason(agent: string, capacity: number, textUnits?: number): string {
  return textUnits === undefined
    ? `mailbox of ${agent} is full (${capacity} pending messages)`
    : `mailbox of ${agent} is full (its pending messages' text reached ${textUnits} code units)`;
}

/**
 * The receiver's mailbox is full, of messages or (`textUnits`, decision 2195) of their text: the
 * sender should retry later (backpressure).
 */
export class MailboxFullError extends CaxtonError {
  constructor(agent: string, capacity: number, context: ErrorContext = {}, textUnits?: number) {
    super('bus.mailbox-full', mailboxFullReason(agent, capacity, textUnits), {
      kind: 'resource-exhausted',
      context: { agent, ...context, ...(textUnits !== undefined ? { textUnits } : {}) },
      hint:
        textUnits === undefined
          ? 'retry later; the agent is slower than its senders (raise --mailbox-capacity if this is expected)'
          : 'retry later, or send large payloads by reference; the agent is slower than its senders (raise serve --mailbox-text if this is expected)',
    });
  }
}

export function nodeMailboxesFullReason(textUnits: number, who?: string): string {
  return who === undefined
    ? `this node's mailboxes hold as much message text as it allows (${textUnits} code units)`
    : `${who} hold their part of the message text this node's mailboxes may hold (${textUnits} code units)`;
}

/**
 * The node's mailboxes together hold their whole text budget (decision 2195), or the sender's class
 * (`who`, e.g. outside clients together) its part of it: no more is accepted until receivers handle
 * some (backpressure, like a full mailbox).
 */
export class NodeMailboxesFullError extends CaxtonError {
  constructor(textUnits: number, context: ErrorContext = {}, who?: string) {
    super('bus.node-mailboxes-full', nodeMailboxesFullReason(textUnits, who), {
      kind: 'resource-exhausted',
      context: { ...context, textUnits },
      hint: 'retry later, or send large payloads by reference; receivers on this node are slower than their senders (raise serve --node-mailbox-text if the host has the memory)',
    });
  }
}

/**
 * The receiver's circuit breaker is open (decision 1921): its deliveries kept failing, so the node
 * refuses new messages to it for a cool-down instead of queueing more work it will crash on.
 * Nothing of this send was accepted; retry after `retryAfterMs`.
 */
export class CircuitOpenError extends CaxtonError {
  constructor(details: { agent: string; state: 'open' | 'half-open'; retryAfterMs: number; failures: number }, context: ErrorContext = {}) {
    const why =
      details.state === 'open'
        ? `its last ${details.failures} deliveries failed`
        : 'a probe message is being handled to see whether it recovered';
    super('bus.circuit-open', `agent ${details.agent} is refusing new messages: ${why}; retry after ${details.retryAfterMs} ms`, {
      // Backpressure with a retry-after, like a full mailbox (RESOURCE_EXHAUSTED, exit 7), not
      // UNAVAILABLE: the node is there, this receiver is what refuses.
      kind: 'resource-exhausted',
      context: { ...context, agent: details.agent, breaker: details.state, failures: details.failures, retryAfterMs: details.retryAfterMs },
      hint: `nothing was accepted; retry after ${details.retryAfterMs} ms. See why with \`caxton logs ${details.agent}\`; an upgrade or rollback of the agent closes the breaker at once`,
    });
  }
}

/**
 * The receiver is absent (stopped with its queue kept, or suspended) and the messages kept for it
 * reached its `absentQueue` limit (decision 1990). Nothing of this send was accepted.
 */
export class AbsentQueueFullError extends CaxtonError {
  /** `partitionBudget`: a cluster's absent deliveries per partition held the queue below its own bound. */
  constructor(agent: string, limit: number, context: ErrorContext = {}, partitionBudget?: number) {
    super('bus.absent-queue-full', `agent ${agent} is absent and already has ${limit} messages waiting for it (its absent queue is full)`, {
      kind: 'resource-exhausted',
      context: { agent, limit, ...(partitionBudget !== undefined ? { partitionBudget } : {}), ...context },
      hint:
        partitionBudget === undefined
          ? `nothing was accepted; retry once ${agent} is deployed or resumed again (\`caxton agents ${agent}\` shows its queue), or deploy it with a larger --absent-queue`
          : `nothing was accepted; in a cluster the absent agents of one bus partition keep ${partitionBudget} messages together (half the partition's window of pending deliveries, so the partition's other agents keep getting theirs); retry once ${agent} is deployed or resumed again (\`caxton agents ${agent}\` shows its queue)`,
    });
  }
}

/**
 * The receiver is an instance of an agent kind that is not in memory, and there is no room for it
 * (decision 1980): the shard its key hashes to holds as many instances as it may, or (`kindCap`)
 * the kind holds as many as its own `--max-active` and none of them is idle. Activating one more
 * would grow the node without bound. Nothing of this send was accepted; retry after `retryAfterMs`.
 */
export class ActivationLimitError extends CaxtonError {
  constructor(details: { agent: string; limit: number; retryAfterMs: number; kindCap?: number | undefined }, context: ErrorContext = {}) {
    const { agent, limit, retryAfterMs, kindCap } = details;
    super(
      'bus.activation-limit',
      kindCap === undefined
        ? `instance ${agent} cannot be activated now: its shard holds ${limit} active instances; retry after ${retryAfterMs} ms`
        : `instance ${agent} cannot be activated now: its kind holds ${kindCap} active instances (its --max-active) and none is idle; retry after ${retryAfterMs} ms`,
      {
        kind: 'resource-exhausted',
        context: { ...context, agent, limit: kindCap ?? limit, retryAfterMs },
        hint:
          kindCap === undefined
            ? `nothing was accepted; retry after ${retryAfterMs} ms (idle instances are passivated after the kind's idle period; a shorter --idle or a node with more shards holds more keys at once)`
            : `nothing was accepted; retry after ${retryAfterMs} ms (an instance idle by then is passivated early to make room), or deploy the kind again with a larger --max-active`,
      },
    );
  }
}

/** No agent of that name is deployed on this platform. */
export class UnknownReceiverError extends CaxtonError {
  constructor(receiver: string, context: ErrorContext = {}) {
    super('bus.unknown-receiver', `no agent named ${receiver}`, {
      kind: 'not-found',
      context: { receiver, ...context },
      hint: 'check the name with `caxton agents`; names are local (echo) or qualified (echo@<platform>)',
    });
  }
}

export class InvalidSendError extends CaxtonError {
  /** `hint`: what to do about this refusal, when the one every bad send shares does not say it. */
  constructor(message: string, context: ErrorContext = {}, hint = 'a message needs a performative and at least one receiver') {
    super('bus.invalid-send', message, { kind: 'invalid-argument', context, hint });
  }
}

/**
 * A receiver `topic:<…>` that is not a valid topic address (decision 1960). A `bus.` code, so an
 * agent that sent it is answered with a failure like any other refused send.
 */
export class InvalidTopicAddressError extends CaxtonError {
  constructor(cause: CaxtonError, context: ErrorContext = {}) {
    super('bus.invalid-topic', cause.message, {
      kind: 'invalid-argument',
      context,
      ...(cause.hint !== undefined ? { hint: cause.hint } : {}),
      cause,
    });
  }
}

/** The bus was used before `open(port)`: it cannot route without the node's port. */
export class BusNotOpenError extends CaxtonError {
  constructor(operation: string) {
    super('bus.not-open', `the bus cannot ${operation} before it is opened`, {
      kind: 'unavailable',
      context: { operation },
      hint: 'a node opens its bus (Bus.open(port)) before it starts agents or accepts sends; this is a wiring bug in the node',
    });
  }
}

/**
 * The node is past its capacity for outside clients (edge admission, decision 1810): nothing of
 * this send was accepted. Overload is a state, not a failure: retry after `retryAfterMs`.
 */
export class BusOverloadedError extends CaxtonError {
  constructor(details: { inFlight: number; limit: number; retryAfterMs: number }, context: ErrorContext = {}) {
    super(
      'bus.overloaded',
      `node is overloaded: ${details.inFlight} outside messages in flight, limit ${details.limit}; retry after ${details.retryAfterMs} ms`,
      {
        kind: 'resource-exhausted',
        context: { ...context, inFlight: details.inFlight, limit: details.limit, retryAfterMs: details.retryAfterMs },
        hint: `nothing was accepted; retry after ${details.retryAfterMs} ms (the node refuses at the edge while what it accepted already waits longer than its delay target; it recovers by itself as that work is handled)`,
      },
    );
  }
}

/** The message log keeps dead letters but cannot record what became of them (no marks). */
export class DeadLettersUnsupportedError extends CaxtonError {
  constructor() {
    super('dead-letters.unsupported', "this node's message log cannot redrive or purge dead letters", {
      kind: 'unimplemented',
      hint: 'the embedded and Kafka logs support it; list the letters with `caxton dlq list` and resend them by hand',
    });
  }
}

/** A purged dead letter is gone for operators: it cannot be sent again. */
export class DeadLetterPurgedError extends CaxtonError {
  constructor(id: string) {
    super('dead-letters.purged', `dead letter ${id} was purged`, {
      kind: 'failed-precondition',
      context: { deadLetter: id },
      hint: 'a purged letter cannot be redriven; `caxton dlq show <id>` still shows it',
    });
  }
}
