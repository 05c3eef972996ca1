/**
 * One etcd client configured for a runtime that must fail fast rather than hang: every unary call
 * has a deadline, retries are few, a host that keeps failing is skipped briefly (circuit breaker),
 * and watch streams reconnect within a second once etcd is back. Every failure leaves here as a
 * RegistryError whose hint says what to do, never as a raw gRPC error.
 */
import { Etcd3, isRecoverableError, GRPCDeadlineExceededError, GRPCUnavailableError, EtcdLeaseInvalidError } from 'etcd3';
import { type IBackoff, circuitBreaker, ConsecutiveBreaker, ConstantBackoff, ExponentialBackoff, handleWhen, isBrokenCircuitError, retry } from 'cockatiel';
import { Instrumentation } from '@caxton/core';
import { RegistryError } from '../errors.js';

/** One etcd call answered or failed (`what` as the caller described it), for metrics (decision 1301). */
export type EtcdEvent = { type: 'request'; what: string; seconds: number; ok: boolean };

export interface EtcdConnectionOptions {
  /** etcd client URLs, e.g. `['http://127.0.0.1:2379']`. */
  endpoints: string[];
  /** Deadline of each unary call in ms (default 2000). Bounds how long an unreachable etcd blocks a caller. */
  callTimeoutMs?: number;
}

export class EtcdConnection {
  /** Every unary call, timed, to a `request` listener (decision 1106: nothing is built without one). */
  readonly events = new Instrumentation<EtcdEvent>();
  readonly client: Etcd3;
  readonly endpoints: readonly string[];
  readonly callTimeoutMs: number;
  private closed = false;

  constructor(opts: EtcdConnectionOptions) {
    if (!Array.isArray(opts.endpoints) || opts.endpoints.length === 0) {
      throw new RegistryError('registry.invalid', 'etcd needs at least one endpoint', {
        hint: 'pass --etcd http://127.0.0.1:2379 (or start one with `npm run infra:up`)',
      });
    }
    this.endpoints = [...opts.endpoints];
    this.callTimeoutMs = opts.callTimeoutMs ?? 2000;
    const timeout = this.callTimeoutMs;
    this.client = new Etcd3({
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

/** Errors that mean "could not talk to etcd" rather than "etcd said no". */
export function isUnreachable(err: unknown): boolean {
  return (
    err instanceof GRPCUnavailableError ||
    err instanceof GRPCDeadlineExceededError ||
    isBrokenCircuitError(err) ||
    (err instanceof Error && isRecoverableError(err))
  );
}
