/**
 * Errors of the Kafka message log. Each names the brokers or topic involved and says what to do.
 * All are `internal` for an API caller: the node's storage failed, not the request (the status they
 * always had; a retryable 'unavailable' for `unreachable` would be a behaviour change).
 */
import { CaxtonError, type ErrorContext } from '@caxton/core';

const START_HINT = 'start one with `npm run infra:up kafka` or pass --kafka <host:port,...>';

/** No broker answered (open() or a later operation gave up). */
export class KafkaUnreachableError extends CaxtonError {
  constructor(brokers: readonly string[], detail: string, opts: { cause?: unknown; context?: ErrorContext } = {}) {
    super('bus.kafka.unreachable', `Kafka at ${brokers.join(',')} unreachable: ${detail}`, {
      kind: 'internal',
      context: { brokers: brokers.join(','), ...opts.context },
      hint: START_HINT,
      cause: opts.cause,
    });
  }
}

/**
 * The brokers answered but refused this node: wrong SASL credentials, or a TLS handshake that failed
 * (unknown CA, a certificate for another host, a client certificate the broker wanted and did not get).
 */
export class KafkaSecurityError extends CaxtonError {
  constructor(
    brokers: readonly string[],
    failure: 'auth' | 'tls',
    detail: string,
    opts: { cause?: unknown; mechanism?: string; username?: string } = {},
  ) {
    const auth = failure === 'auth';
    super(
      auth ? 'bus.kafka.auth-failed' : 'bus.kafka.tls-failed',
      auth
        ? `Kafka at ${brokers.join(',')} refused the SASL credentials${opts.username ? ` of user ${opts.username}` : ''}: ${detail}`
        : `TLS with Kafka at ${brokers.join(',')} failed: ${detail}`,
      {
        kind: 'internal',
        context: {
          brokers: brokers.join(','),
          ...(opts.mechanism ? { mechanism: opts.mechanism } : {}),
          ...(opts.username ? { username: opts.username } : {}),
        },
        hint: auth
          ? "check --kafka-sasl-username and the password (--kafka-sasl-password-file or CAXTON_KAFKA_SASL_PASSWORD) against the broker's SCRAM users, and --kafka-sasl-mechanism"
          : "check --kafka-ca (the CA that signed the brokers' certificates), that the certificates name the broker hosts, and --kafka-cert/--kafka-key if the brokers require client certificates",
        cause: opts.cause,
      },
    );
  }
}

/** The cluster answers but its topics or settings do not match what Caxton needs. */
export class KafkaMisconfiguredError extends CaxtonError {
  constructor(message: string, hint: string, context: ErrorContext = {}) {
    super('bus.kafka.misconfigured', message, { kind: 'internal', context, hint });
  }
}

/** append() could not make the deliveries durable before its deadline; they are NOT accepted. */
export class KafkaAppendError extends CaxtonError {
  constructor(count: number, detail: string, opts: { cause?: unknown; context?: ErrorContext } = {}) {
    super('bus.kafka.append-failed', `${count} deliveries not accepted: ${detail}`, {
      kind: 'internal',
      context: { count, ...opts.context },
      hint: 'the message was not accepted; the sender may retry (delivery ids make a retry idempotent)',
      cause: opts.cause,
    });
  }
}

/** complete()/deadLetter() could not commit before its deadline; the deliveries will be redelivered. */
export class KafkaCommitError extends CaxtonError {
  constructor(ids: readonly string[], detail: string, opts: { cause?: unknown } = {}) {
    super('bus.kafka.commit-failed', `completion of ${ids.length} deliveries not recorded: ${detail}`, {
      kind: 'internal',
      context: { ids: ids.slice(0, 10), count: ids.length },
      hint: 'the deliveries will be handed out again (at-least-once); check broker health',
      cause: opts.cause,
    });
  }
}

/**
 * A fenced state commit outside a delivery (an instance's timer firing, decision 2060) for a
 * partition this node no longer holds, or never claimed: its new owner fires the timer instead.
 */
export class KafkaStateNotOwnerError extends CaxtonError {
  constructor(agent: string, context: ErrorContext = {}) {
    super('bus.kafka.not-owner', `state of ${agent} not committed: its partition is not held here`, {
      kind: 'internal',
      context: { agent, ...context },
      hint: 'the partition moved to another node, which runs the work again on its committed state: nothing to do here',
    });
  }
}

/**
 * The completions name deliveries this node does not (or no longer) own: their partition moved to
 * another node in a rebalance, or they were never handed out here. The owner redelivers them.
 */
export class KafkaNotOwnerError extends CaxtonError {
  constructor(ids: readonly string[], context: ErrorContext = {}) {
    super('bus.kafka.not-owner', `${ids.length} completions name deliveries this node does not own`, {
      kind: 'internal',
      context: { ids: ids.slice(0, 10), count: ids.length, ...context },
      hint: 'their partition moved to another node, which hands them out again: drop them locally (at-least-once)',
    });
  }
}

/** Used after close(), or before open(). */
export class KafkaLogStateError extends CaxtonError {
  constructor(message: string) {
    super('bus.kafka.state', message, { kind: 'internal', hint: 'call open() first; do not use the log after close()' });
  }
}

/**
 * A read of an agent's state on a node that does not hold its partition would read more records
 * than its caller allows (the whole partition is read: a later tombstone or a fenced record can
 * undo any key read before it, so no read can stop at the agent's first key).
 */
export class KafkaStateReadBoundError extends CaxtonError {
  constructor(agent: string, context: { partition: number; records: number; maxRecords: number }) {
    super(
      'bus.kafka.state-read-bound',
      `reading the state of ${agent} here would read ${context.records} offsets of partition ${context.partition} (at most ${context.maxRecords}; compaction does not lower the span)`,
      {
        kind: 'resource-exhausted',
        context: { agent, ...context },
        hint: `ask the node that runs ${agent} (caxton status shows it): it holds that partition's state already`,
      },
    );
  }
}

/** A state key the Kafka layout cannot store (it would overwrite the commit marker). */
export class KafkaStateKeyError extends CaxtonError {
  constructor(agent: string, key: string) {
    super('bus.kafka.state-key', `state key ${JSON.stringify(key)} of agent ${agent} is reserved for the commit marker`, {
      kind: 'invalid-argument',
      context: { agent },
      hint: 'runtime bookkeeping keys start with U+0000 followed by a namespace such as "http/"; "\\u0000commit" is taken',
    });
  }
}

/**
 * The cluster's record keys (`--cluster-record-key-file`, decision 2185) cannot be used: unreadable,
 * a malformed line, a secret too short, an id listed twice. Raised when the node starts.
 */
export class RecordKeyError extends CaxtonError {
  constructor(message: string, hint: string, opts: { cause?: unknown; context?: ErrorContext } = {}) {
    super('log.record-key-invalid', message, { kind: 'invalid-argument', context: opts.context ?? {}, hint, cause: opts.cause });
  }
}

/**
 * A record read from the Kafka log without a valid tag of the cluster's record keys (decision
 * 2185): written by something other than a node of the cluster. Not handled; dead-lettered and
 * audited with this error's code.
 */
export class RecordUnauthenticatedError extends CaxtonError {
  constructor(topic: string, partition: number, offset: string, reason: string) {
    super('log.record-unauthenticated', `record ${topic}/${partition}@${offset} refused: ${reason}`, {
      kind: 'unauthenticated',
      context: { topic, partition: String(partition), offset },
      hint: "only the cluster's nodes write its topics; find who else has write access to the brokers (the record is in the dead letters), or give every node the same --cluster-record-key-file",
    });
  }
}
