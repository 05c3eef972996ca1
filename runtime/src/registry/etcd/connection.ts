/**
 * One etcd client configured for a runtime that must fail fast rather than hang: every unary call
 * has a deadline, retries are few, a host that keeps failing is skipped briefly (circuit breaker),
 * and watch streams reconnect within a second once etcd is back. Every failure leaves here as a
 * RegistryError whose hint says what to do, never as a raw gRPC error.
 */
import {
  Etcd3,
  isRecoverableError,
  GRPCDeadlineExceededError,
  GRPCUnavailableError,
  EtcdLeaseInvalidError,
  EtcdAuthenticationFailedError,
  EtcdPermissionDeniedError,
  type IOptions,
} from 'etcd3';
import {
  type IBackoff,
  circuitBreaker,
  ConsecutiveBreaker,
  ConstantBackoff,
  ExponentialBackoff,
  handleWhen,
  isBrokenCircuitError,
  retry,
} from 'cockatiel';
import { Instrumentation } from '@caxton/core';
import { RegistryError } from '../errors.js';

/** One etcd call answered or failed (`what` as the caller described it), for metrics (decision 1301). */
export type EtcdEvent = { type: 'request'; what: string; seconds: number; ok: boolean };

export interface EtcdConnectionOptions {
  /** etcd client URLs, e.g. `['http://127.0.0.1:2379']`. */
  endpoints: string[];
  /** Deadline of each unary call in ms (default 2000). Bounds how long an unreachable etcd blocks a caller. */
  callTimeoutMs?: number;
  /**
   * TLS to etcd (endpoints must be https://): PEM bytes, read by the caller. No `ca` = the system's
   * roots; `cert`/`key` when etcd runs with --client-cert-auth.
   */
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  /** etcd's user/password authentication (etcd with auth enabled). */
  auth?: { username: string; password: string };
}

export class EtcdConnection {
  /** Every unary call, timed, to a `request` listener (decision 1106: nothing is built without one). */
  readonly events = new Instrumentation<EtcdEvent>();
  readonly client: Etcd3;
  readonly endpoints: readonly string[];
  readonly callTimeoutMs: number;
  private readonly username: string | undefined;
  private closed = false;

  constructor(opts: EtcdConnectionOptions) {
    if (!Array.isArray(opts.endpoints) || opts.endpoints.length === 0) {
      throw new RegistryError('registry.invalid', 'etcd needs at least one endpoint', {
        hint: 'pass --etcd http://127.0.0.1:2379 (or start one with `npm run infra:up`)',
      });
    }
    this.endpoints = [...opts.endpoints];
    this.callTimeoutMs = opts.callTimeoutMs ?? 2000;
    this.username = opts.auth?.username;
    const timeout = this.callTimeoutMs;
    const secured: Pick<IOptions, 'credentials' | 'auth'> = {};
    if (opts.tls)
      secured.credentials = {
        rootCertificate: opts.tls.ca ?? null,
        ...(opts.tls.cert && opts.tls.key ? { certChain: opts.tls.cert, privateKey: opts.tls.key } : {}),
      } as IOptions['credentials'];
    if (opts.auth) secured.auth = { username: opts.auth.username, password: opts.auth.password };
    this.client = new Etcd3({
      ...secured,
      hosts: [...opts.endpoints],
      dialTimeout: timeout,
      // Streams (watch, keepalive) live long; only unary calls get the deadline.
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeout }),
      faultHandling: {
        // After 3 straight failures skip the host for 500 ms: fail fast during an outage, but
        // notice a restarted etcd quickly (the library default waits 5 s).
        host: () => circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: 500, breaker: new ConsecutiveBreaker(3) }),
        // One retry rides over a dropped connection; more would multiply the deadline.
        global: retry(handleWhen(isRecoverableError), { maxAttempts: 1, backoff: new ConstantBackoff(50) }),
        // Default caps at 30 s between watch reconnects; caches must catch up within ~1 s. etcd3's
        // typing says IBackoff but its WatchManager calls `.next()` on it: it wants the factory.
        watchBackoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 1000 }) as unknown as IBackoff<unknown>,
      },
    });
  }

  /** A deadline for a call starting now. */
  deadline(ms = this.callTimeoutMs): Date {
    return new Date(Date.now() + ms);
  }

  /**
   * Runs one etcd operation and translates its failure. The outer timer is a backstop: deadlines
   * already bound each call, but a call queued behind a reconnect must not outlive them either.
   */
  async call<T>(what: string, op: () => Promise<T>, timeoutMs = this.callTimeoutMs * 2 + 500): Promise<T> {
    if (this.closed) throw this.failure(what, new Error('connection closed'));
    let timer: NodeJS.Timeout | undefined;
    const backstop = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new GRPCDeadlineExceededError(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    // Timed only for a listener (metrics, decision 1301): one event per call, none otherwise.
    const started = this.events.wants('request') ? performance.now() : undefined;
    let ok = false;
    try {
      const result = await Promise.race([op(), backstop]);
      ok = true;
      return result;
    } catch (err) {
      throw this.failure(what, err);
    } finally {
      clearTimeout(timer);
      if (started !== undefined) this.events.emit({ type: 'request', what, seconds: (performance.now() - started) / 1000, ok });
    }
  }

  /** Maps any error from etcd3 to a RegistryError (RegistryErrors pass through). */
  failure(what: string, err: unknown): RegistryError {
    if (err instanceof RegistryError) return err;
    const endpoints = this.endpoints.join(',');
    if (err instanceof EtcdAuthenticationFailedError) {
      return new RegistryError(
        'registry.auth-failed',
        `etcd at ${endpoints} refused the credentials${this.username ? ` of user ${this.username}` : ''}`,
        {
          context: { endpoints, operation: what, ...(this.username ? { username: this.username } : {}) },
          hint: "check --etcd-username and the password (--etcd-password-file or CAXTON_ETCD_PASSWORD) against etcd's users",
          cause: err,
        },
      );
    }
    if (err instanceof EtcdPermissionDeniedError) {
      return new RegistryError(
        'registry.permission-denied',
        `etcd at ${endpoints} denied ${this.username ? `user ${this.username}` : 'an unauthenticated client'} permission to ${what}`,
        {
          context: { endpoints, operation: what, ...(this.username ? { username: this.username } : {}) },
          hint: this.username
            ? 'grant the user a role with read/write on the cluster prefix'
            : 'etcd has authentication enabled: pass --etcd-username with --etcd-password-file (or CAXTON_ETCD_PASSWORD)',
          cause: err,
        },
      );
    }
    if (isTlsFailure(err)) {
      return new RegistryError(
        'registry.tls-failed',
        `TLS with etcd at ${endpoints} failed while trying to ${what}: ${(err as Error)?.message ?? String(err)}`,
        {
          context: { endpoints, operation: what },
          hint: "check --etcd-ca (the CA that signed etcd's certificate), that the certificate names the etcd host, and --etcd-cert/--etcd-key if etcd requires client certificates",
          cause: err,
        },
      );
    }
    if (isUnreachable(err)) {
      return new RegistryError('registry.unavailable', `etcd at ${endpoints} unreachable while trying to ${what}`, {
        context: { endpoints, operation: what },
        hint: 'start one with `npm run infra:up` or pass --etcd <url>; a running node reconnects once it is back, a starting one exits',
        cause: err,
      });
    }
    return new RegistryError('registry.etcd-failed', `etcd at ${endpoints} failed to ${what}: ${(err as Error)?.message ?? String(err)}`, {
      context: { endpoints, operation: what },
      hint: err instanceof EtcdLeaseInvalidError ? 'the lease expired; the node must rejoin' : 'see the cause; etcd logs may say more',
      cause: err,
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.close();
  }
}

const TLS_FAILURE = /certificate|self[- ]signed|SSL|TLS|handshake|ERR_TLS|EPROTO/i;

/** A connect failure caused by the TLS handshake (grpc reports it as UNAVAILABLE, with the reason in the text). */
export function isTlsFailure(err: unknown): boolean {
  for (
    let e = err as { message?: string; details?: string; cause?: unknown } | undefined, n = 0;
    e && n < 8;
    e = e.cause as typeof e, n++
  ) {
    if (TLS_FAILURE.test(`${e.message ?? ''} ${e.details ?? ''}`)) return true;
  }
  return false;
}

/** Errors that mean "could not talk to etcd" rather than "etcd said no". */
export function isUnreachable(err: unknown): boolean {
  return (
    err instanceof GRPCUnavailableError ||
    err instanceof GRPCDeadlineExceededError ||
    isBrokenCircuitError(err) ||
    (err instanceof Error && isRecoverableError(err))
  );
}
