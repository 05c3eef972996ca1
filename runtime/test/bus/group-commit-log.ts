/**
 * A log that commits in call order, as the embedded log's group commit does (decision 2111): calls
 * queue in order and settle together as one group when the test says, so a test can look at the
 * bus between a call and its durability. Shared by the applier tests that need that control
 * (in-order-completion, completion-behind-sends). It wraps the real memory log (RecordingLog): what
 * a settled group holds is stored and read back as in production, only its timing is the test's.
 */
import type { Delivery } from '@caxton/core';
import type { CompletionRecord } from '../../src/log/message-log.js';
import { RecordingLog, until } from './scripted-port.js';

type Queued =
  | {
      kind: 'append';
      deliveries: readonly Delivery[];
      then: ((error: unknown) => void) | undefined;
      resolve: () => void;
      reject: (e: unknown) => void;
    }
  | {
      kind: 'complete';
      records: readonly CompletionRecord[];
      then: ((error: unknown) => void) | undefined;
      resolve: () => void;
      reject: (e: unknown) => void;
    };

/** Appends and completions queue in call order; `settleGroup` makes them durable (or fails them) together. */
export class GroupCommitLog extends RecordingLog {
  private queue: Queued[] = [];
  /** Called right after each completion's callback, while the group is settling (to observe the bus there). */
  afterCallback: () => void = () => {};

  get waiting(): number {
    return this.queue.length;
  }

  override completeInOrder(records: readonly CompletionRecord[], then?: (error: unknown) => void): Promise<void> {
    this.ops.push(`queued-complete:${records.map((r) => r.id).join(',')}`);
    return this.enqueue((resolve, reject) => ({ kind: 'complete', records, then, resolve, reject }));
  }

  /** For a subclass that also queues appends (`appendInOrder`). */
  protected queueAppend(deliveries: readonly Delivery[], then?: (error: unknown) => void): Promise<void> {
    this.ops.push(`queued-append:${deliveries.map((d) => d.id).join(',')}`);
    return this.enqueue((resolve, reject) => ({ kind: 'append', deliveries, then, resolve, reject }));
  }

  private enqueue(call: (resolve: () => void, reject: (e: unknown) => void) => Queued): Promise<void> {
    const durable = new Promise<void>((resolve, reject) => this.queue.push(call(resolve, reject)));
    // The port's promise to a caller that passes `then`: this promise never goes unhandled.
    durable.catch(() => {});
    return durable;
  }

  /** One group: everything queued, in order; callbacks synchronously, then the promises. */
  settleGroup(error?: Error): void {
    const group = this.queue;
    this.queue = [];
    for (const call of group) {
      if (call.kind === 'append') {
        // The memory log stores synchronously (its promise only reports it); RecordingLog's own
        // append, not a subclass's queueing one.
        if (error === undefined) void RecordingLog.prototype.append.call(this, call.deliveries);
        call.then?.(error);
      } else {
        if (error === undefined) void this.complete(call.records);
        call.then?.(error);
        this.afterCallback();
      }
    }
    for (const call of group) {
      if (error === undefined) call.resolve();
      else call.reject(error);
    }
  }

  /** Keep settling groups as they come until `done`. */
  async settleUntil(done: () => boolean, what: string): Promise<void> {
    await until(() => {
      if (this.waiting > 0) this.settleGroup();
      return done();
    }, what);
  }
}
