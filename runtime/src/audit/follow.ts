/**
 * Following a trail: read what is stored from a position, then keep reading as records arrive. One
 * loop for every adapter: it reads a page, and when it has caught up waits for a local append to
 * wake it or for the poll interval (records another node appended arrive that way). TrailFollowers
 * is what an adapter holds for it: its followers' wake-ups, rung after each append.
 */
import type { Sink, StoredAuditRecord, Unsubscribe } from '@caxton/core';

export interface Followable {
  read(from: number, limit: number): Promise<StoredAuditRecord[]>;
}

export interface FollowOptions {
  /** Registers a wake-up for appends made through this process; returns its removal. */
  onAppend: (listener: () => void) => () => void;
  /** How often to look for records appended elsewhere (ms). */
  pollMs: number;
  pageSize?: number;
  /** Awaited after each page: a reader's backpressure (a gRPC stream's drain). */
  ready?: () => Promise<void>;
}

export function followTrail(trail: Followable, from: number, sink: Sink<StoredAuditRecord>, options: FollowOptions): Unsubscribe {
  const pageSize = options.pageSize ?? 256;
  let stopped = false;
  let next = from;
  let wake: (() => void) | undefined;
  // Set before the first read, so an append between a read and the wait is not slept through.
  let pending = false;
  const removeListener = options.onAppend(() => {
    pending = true;
    wake?.();
  });
  const waitForMore = (): Promise<void> =>
    new Promise((resolve) => {
      if (pending || stopped) return resolve();
      const timer = setTimeout(done, options.pollMs);
      function done(): void {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });
  void (async () => {
    try {
      while (!stopped) {
        pending = false;
        const page = await trail.read(next, pageSize);
        for (const record of page) {
          if (stopped) return;
          sink.next(record);
          next = record.position + 1;
        }
        if (options.ready) await options.ready();
        if (page.length < pageSize) await waitForMore();
      }
    } catch (err) {
      if (!stopped) {
        stopped = true;
        removeListener();
        sink.end(err as Error);
      }
    }
  })();
  return () => {
    if (stopped) return;
    stopped = true;
    removeListener();
    wake?.();
  };
}

/**
 * The followers of one trail (an adapter's `follow`): each follows with followTrail, woken by the
 * adapter's `appended()` after records are durable in this process, and by the poll interval.
 */
export class TrailFollowers {
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly trail: Followable,
    private readonly pollMs: number,
  ) {}

  /** Wakes every follower: records were appended through this process. */
  appended(): void {
    for (const listener of this.listeners) listener();
  }

  follow(from: number, sink: Sink<StoredAuditRecord>, options: { ready?: () => Promise<void> } = {}): Unsubscribe {
    return followTrail(this.trail, from, sink, {
      ...options,
      pollMs: this.pollMs,
      onAppend: (listener) => {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
      },
    });
  }
}
