/**
 * The one place that builds kafkajs clients (kafkajs is unmaintained since 2023; everything that
 * touches it lives in this folder), plus the error classification the retry loops share.
 */
import kafkajs from 'kafkajs';
import type { Kafka, logCreator, RetryOptions, SASLOptions } from 'kafkajs';
import type { KafkaLogLevel, ResolvedKafkaOptions } from './options.js';
import { partitionFor } from './partitioner.js';
import { KafkaLogStateError } from './errors.js';
import { dropKafkajsNegativeTimeoutWarnings } from './negative-timeout-warning.js';

const { Kafka: KafkaClient, logLevel } = kafkajs;

function levelName(l: number): KafkaLogLevel {
  if (l <= logLevel.ERROR) return 'error';
  if (l === logLevel.WARN) return 'warn';
  if (l === logLevel.INFO) return 'info';
  return 'debug';
}

/**
 * A heartbeat answered "rebalancing", "unknown member" or "illegal generation" is how the group
 * coordinator tells a member to rejoin: kafkajs rejoins on it, and the consumer logs the rebalance
 * itself. kafkajs logs the response at error level anyway (every member, every rebalance), which
 * reads as a fault in a node's log: it is kept, at debug.
 */
const REJOIN_SIGNALS = [
  'The group is rebalancing, so a rejoin is needed',
  'The coordinator is not aware of this member',
  'Specified group generation id is not valid',
];

/** The level a kafkajs line is logged at here: kafkajs's own, but a heartbeat's rejoin signal at debug. */
export function kafkaLineLevel(level: number, namespace: string, message: string, extra: Record<string, unknown>): KafkaLogLevel {
  const name = levelName(level);
  if (
    name === 'error' &&
    namespace === 'Connection' &&
    message.startsWith('Response Heartbeat') &&
    REJOIN_SIGNALS.includes(String(extra.error))
  )
    return 'debug';
  return name;
}

export function createKafka(o: ResolvedKafkaOptions): Kafka {
  dropKafkajsNegativeTimeoutWarnings();
  const bridge: logCreator =
    () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _t, logger: _l, ...extra } = log;
      const text = String(message);
      o.logger({ level: kafkaLineLevel(level, namespace, text, extra), namespace, message: text, extra });
    };
  return new KafkaClient({
    clientId: o.clientId,
    brokers: [...o.brokers],
    connectionTimeout: o.connectionTimeoutMs,
    requestTimeout: o.requestTimeoutMs,
    // Short client-level retries: our own loops (append, commit, open) own the deadlines.
    retry: { initialRetryTime: 200, maxRetryTime: 2000, retries: 3 },
    logLevel: logLevel.INFO,
    logCreator: bridge,
    ...(o.tls ? { ssl: { rejectUnauthorized: true, ...o.tls } } : {}),
    ...(o.sasl ? { sasl: { ...o.sasl } as SASLOptions } : {}),
  });
}

/** Why a connection was refused, when it was the credentials or the TLS handshake rather than the network. */
export type SecurityFailure = 'auth' | 'tls';

const TLS_FAILURE = /certificate|self[- ]signed|SSL|TLS|handshake|EPROTO|secure TLS connection|ERR_TLS/i;

/**
 * Classifies a connect failure: wrong SASL credentials, or a TLS problem (an unknown CA, a
 * certificate that does not name the host, a broker that wanted a client certificate and hung up).
 * Undefined means a plain network failure (or unknown).
 */
export function securityFailure(e: unknown): SecurityFailure | undefined {
  const c = chain(e);
  if (
    c.some(
      (x) =>
        (x as { name?: string }).name === 'KafkaJSSASLAuthenticationError' ||
        (x as { type?: string }).type === 'SASL_AUTHENTICATION_FAILED',
    )
  )
    return 'auth';
  if (
    c.some(
      (x) =>
        TLS_FAILURE.test(String((x as { message?: string }).message ?? '')) ||
        TLS_FAILURE.test(String((x as { code?: string }).code ?? '')),
    )
  )
    return 'tls';
  return undefined;
}

/**
 * kafkajs partitioner that agrees with partitionFor(). kafkajs calls it for every record, also one
 * that names its partition: that one is kept (state records are keyed `<agent>\0<key>` but belong
 * in the agent's partition).
 */
export const receiverPartitioner =
  () =>
  ({
    message,
    partitionMetadata,
  }: {
    message: { key?: Buffer | string | null; partition?: number | null };
    partitionMetadata: unknown[];
  }) =>
    message.partition ?? partitionFor(String(message.key ?? ''), partitionMetadata.length);

/** Consumer retries: patient, because a consumer that gives up only restarts and rejoins. */
export const consumerRetry = (isClosing: () => boolean): RetryOptions & { restartOnFailure: (e: Error) => Promise<boolean> } => ({
  initialRetryTime: 300,
  maxRetryTime: 5000,
  retries: 10,
  restartOnFailure: async () => !isClosing(),
});

/** Protocol errors that no amount of retrying fixes. Everything else is retried until a deadline. */
const PERMANENT = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'INVALID_TOPIC_EXCEPTION',
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'INVALID_REQUIRED_ACKS',
  'UNSUPPORTED_VERSION',
  'POLICY_VIOLATION',
  'UNSUPPORTED_SASL_MECHANISM',
  'SASL_AUTHENTICATION_FAILED',
  'OFFSET_METADATA_TOO_LARGE',
]);

/** The error, its causes and (for aggregate errors) the errors it wraps. */
function chain(e: unknown): unknown[] {
  const out: unknown[] = [];
  const stack: unknown[] = [e];
  while (stack.length > 0 && out.length < 16) {
    const c = stack.shift();
    if (!c || typeof c !== 'object' || out.includes(c)) continue;
    out.push(c);
    stack.push((c as { cause?: unknown }).cause, ...((c as { errors?: unknown[] }).errors ?? []));
  }
  return out.length > 0 ? out : [e];
}

export function isPermanent(e: unknown): boolean {
  // A closed log's producer refuses every send: retrying it only keeps timers alive.
  return chain(e).some(
    (c) =>
      PERMANENT.has(String((c as { type?: unknown }).type)) ||
      (c as { name?: string }).name === 'KafkaJSSASLAuthenticationError' ||
      c instanceof KafkaLogStateError,
  );
}

/** The broker refused the record (or its batch) as bigger than it takes: sending it again never helps. */
export function isTooLarge(e: unknown): boolean {
  return chain(e).some((c) => {
    const type = String((c as { type?: unknown }).type);
    return type === 'MESSAGE_TOO_LARGE' || type === 'RECORD_LIST_TOO_LARGE';
  });
}

/** The innermost message, for error details ("Connection error: connect ECONNREFUSED …"). */
export function rootMessage(e: unknown): string {
  const c = chain(e);
  const last = c[c.length - 1] as { message?: string } | undefined;
  const first = c[0] as { message?: string } | undefined;
  return [first?.message, last !== first ? last?.message : undefined].filter(Boolean).join(' ← ') || String(e);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves after the I/O and callbacks already queued in this turn of the event loop ran. */
export const yieldTurn = () => new Promise<void>((r) => setImmediate(r));

/** Exponential backoff with jitter, capped. */
export function backoff(attempt: number, baseMs = 100, capMs = 3000): number {
  const exp = Math.min(capMs, baseMs * 2 ** attempt);
  return exp / 2 + Math.random() * (exp / 2);
}

/**
 * Bound one attempt of a kafkajs call. kafkajs has request timeouts, but some paths (a commit
 * while its consumer restarts, a connect to a broker that vanished mid-handshake) were seen to
 * wait far longer; our retry loops need every attempt to end.
 */
export class AttemptTimeoutError extends Error {
  override readonly name = 'AttemptTimeoutError';
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AttemptTimeoutError(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
