/**
 * Group commit for appends: while one produce request is in flight, later appends queue up and go
 * out together in the next request, so many concurrent senders share one round trip (the Kafka
 * analogue of sharing one fsync). One request at a time also keeps retries in append order.
 *
 * A waiter resolves only after the broker acknowledged its records with acks=-1 (all in-sync
 * replicas). On failure the SAME batch is re-sent with backoff until each waiter's deadline (across
 * a broker restart, say), then rejected: never resolved without durability. Re-sending the
 * identical batch lets the broker recognise records it did store before the response was lost;
 * when the batch has to change (a waiter expired) or the sequence state broke, the producer is
 * replaced first (see producer-slot.ts).
 */
import type { Message } from 'kafkajs';
import { KafkaAppendError } from './errors.js';
import { AttemptTimeoutError, backoff, isPermanent, rootMessage, sleep, yieldTurn } from './client.js';
import { needsNewProducer } from './producer-slot.js';

interface Waiter<R> {
  messages: Message[];
  deadline: number;
  resolve: (result: R) => void;
  reject: (e: Error) => void;
}

/** `R`: what the send reports (the state topic needs the offsets the broker gave; deliveries need nothing). */
export interface AppendBatcherOptions<R = void> {
  send: (messages: Message[]) => Promise<R>;
  /** Replace the producer (new identity) before the next attempt. */
  resetProducer: () => Promise<void>;
  maxBatch: number;
  timeoutMs: number;
  /**
   * How long an idle batcher waits before its first request, so that appends of the next few
   * turns share it (0: only the current turn's). Not applied while a request is in flight: the
   * appends made meanwhile already wait for it. Resolved in options.ts (core's KAFKA_REQUEST_LIMIT_TABLE.lingerMs).
   */
  lingerMs?: number;
  onRetry: (attempt: number, error: string) => void;
}

export class AppendBatcher<R = void> {
  private queue: Waiter<R>[] = [];
  private running = false;
  private idle: (() => void)[] = [];

  constructor(private readonly o: AppendBatcherOptions<R>) {}

  /** Resolves with the result of the send that carried `messages` (shared with its batch-mates). */
  append(messages: Message[]): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ messages, deadline: Date.now() + this.o.timeoutMs, resolve, reject });
      void this.run();
    });
  }

  /** Resolves when nothing is queued or in flight (every waiter settled). */
  drain(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  private queued(): number {
    let count = 0;
    for (const w of this.queue) count += w.messages.length;
    return count;
  }

  private take(): Waiter<R>[] {
    const batch: Waiter<R>[] = [];
    let count = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      if (batch.length > 0 && count + next.messages.length > this.o.maxBatch) break;
      batch.push(this.queue.shift()!);
      count += next.messages.length;
    }
    return batch;
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      // Let the rest of this turn of the event loop queue up first: the bus appends a burst of
      // deliveries in one turn, and without this the first of them went out alone in a request of
      // its own (kafkajs spends hundreds of µs per produce request, whatever its size).
      await yieldTurn();
      const linger = this.o.lingerMs ?? 0;
      if (linger > 0 && this.queued() < this.o.maxBatch) await sleep(linger);
      while (this.queue.length > 0) await this.flush(this.take());
    } finally {
      this.running = false;
      for (const r of this.idle.splice(0)) r();
    }
  }

  /** Send one batch until it is acknowledged or every waiter in it has given up. */
  private async flush(batch: Waiter<R>[]): Promise<void> {
    for (let attempt = 1; batch.length > 0; attempt++) {
      try {
        const result = await this.o.send(batch.flatMap((w) => w.messages));
        for (const w of batch) w.resolve(result);
        return;
      } catch (e) {
        const detail = rootMessage(e);
        const now = Date.now();
        const keep = batch.filter((w) => {
          if (!isPermanent(e) && now < w.deadline) return true;
          w.reject(new KafkaAppendError(w.messages.length, detail, { cause: e }));
          return false;
        });
        if (keep.length === 0) return;
        // A timed-out attempt may still be in flight inside kafkajs: a new identity keeps the
        // two from confusing each other's sequence numbers.
        if (keep.length !== batch.length || needsNewProducer(e) || e instanceof AttemptTimeoutError) await this.o.resetProducer();
        batch = keep;
        this.o.onRetry(attempt, detail);
        await sleep(Math.min(backoff(attempt, 100, 2000), Math.max(0, Math.min(...batch.map((w) => w.deadline)) - now)));
      }
    }
  }
}
