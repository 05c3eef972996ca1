/**
 * Runs a kafkajs consumer and restarts it after the crashes kafkajs does not restart itself (it gives
 * up for good on some errors, such as no group coordinator during a broker restart), and does not
 * let those restarts outlive a close.
 *
 * Why the close waits: a restart's `connect()` or `run()` still in flight when `close()` disconnects
 * goes on afterwards — kafkajs reconnects its brokers on demand, and a runner stopped before its
 * join finished is not stopped at all (`Runner.stop` returns while it is not yet running) — so it
 * ends as a consumer nobody stops: a socket and heartbeat timers that keep the process alive and
 * crash again once the brokers go ("write after end"). `close()` therefore stops new attempts, waits
 * for the one in flight (at most `closeWaitMs`: a join can be held by the broker for its rebalance
 * timeout), disconnects, and disconnects again once an attempt it stopped waiting for settles.
 *
 * Not covered here: kafkajs' own restart after a crash it deems retriable (`restart: true`), whose
 * join may be in flight when `close()` runs; the consumers disconnect again when a join completes
 * after close began (DeliveryConsumer.onJoin, StateReader's GROUP_JOIN listener).
 */
import { backoff } from './client.js';

export interface ConsumerRestartsDeps {
  /** Connects the consumer again (kafkajs has disconnected it when it crashed). */
  connect(): Promise<void>;
  /** Runs the consumer: resolves once it has joined its group (or crashed trying). */
  run(): Promise<void>;
  /** An attempt failed; it is retried after a backoff unless closing. */
  failed(error: Error): void;
  /** Called just before a restart connects (stale per-run state is dropped there). */
  beforeRestart?(): void;
  /** Backoff between restarts in ms (defaults 300 growing to 5,000). */
  delayMs?(attempt: number): number;
  /** Longest close() waits for an attempt in flight before disconnecting anyway, ms (default 30,000). */
  closeWaitMs?: number;
}

export class ConsumerRestarts {
  private closing = false;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(private readonly d: ConsumerRestartsDeps) {}

  /** True once close() began: kafkajs' own restarts are refused from then on (consumerRetry). */
  get closed(): boolean {
    return this.closing;
  }

  /** The consumer's first run (already connected). A failure restarts it later. */
  start(): void {
    this.attempt(false, 0);
  }

  /** Restarts the consumer after a backoff; one restart is pending at a time. */
  later(attempt: number): void {
    if (this.closing || this.timer) return;
    const delay = this.d.delayMs ? this.d.delayMs(attempt) : backoff(attempt, 300, 5000);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.attempt(true, attempt);
    }, delay);
    this.timer.unref();
  }

  /**
   * Stops restarting, waits for an attempt in flight (at most closeWaitMs), then disconnects through
   * `disconnect`; an attempt still in flight then is disconnected again once it settles.
   */
  async close(disconnect: () => Promise<void>): Promise<void> {
    this.closing = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    const pending = this.inFlight;
    if (pending) {
      let waited: NodeJS.Timeout | undefined;
      const settled = await Promise.race([
        pending.then(() => true),
        new Promise<false>((resolve) => {
          waited = setTimeout(() => resolve(false), this.d.closeWaitMs ?? 30_000);
        }),
      ]);
      clearTimeout(waited);
      if (!settled) void pending.then(() => disconnect()).catch(() => {});
    }
    await disconnect();
  }

  private attempt(reconnect: boolean, attempt: number): void {
    if (this.closing) return;
    if (reconnect) this.d.beforeRestart?.();
    const run = async (): Promise<void> => {
      if (reconnect) await this.d.connect();
      // close() began while connecting: it disconnects once this settles; running now would outlive it.
      if (!this.closing) await this.d.run();
    };
    const settled: Promise<void> = run()
      .then(
        () => undefined,
        (error: unknown) => {
          this.d.failed(error instanceof Error ? error : new Error(String(error)));
          this.later(attempt + 1);
        },
      )
      .finally(() => {
        if (this.inFlight === settled) this.inFlight = undefined;
      });
    this.inFlight = settled;
  }
}
