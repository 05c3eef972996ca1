/**
 * Fans bus events out to TailMessages subscribers, filtering at the source so a quiet subscriber
 * costs nothing per message. Subscribes to the bus only while someone is listening.
 */
import type { BusEvents } from '../bus/events.js';
import type { MessageEvent, Sink, TailFilter, Unsubscribe } from '@caxton/core';
import { matchesTailFilter } from '@caxton/core';

export class TailHub {
  private readonly subscribers = new Map<Sink<MessageEvent>, TailFilter>();
  private detach: (() => void) | undefined;

  constructor(private readonly events: BusEvents) {}

  subscribe(filter: TailFilter, sink: Sink<MessageEvent>): Unsubscribe {
    this.subscribers.set(sink, filter);
    if (!this.detach) {
      this.detach = this.events.on((e) => {
        // Every message the bus takes emits exactly one 'accepted' (also when its only receiver is
        // an outside client), so that is the one event the tail needs.
        if (e.type !== 'accepted') return;
        const event: MessageEvent = { messageId: e.messageId, acceptedAt: Date.now(), message: e.message };
        for (const [s, f] of this.subscribers) if (matchesTailFilter(f, event)) s.next(event);
      }, ['accepted']);
    }
    return () => {
      this.subscribers.delete(sink);
      if (this.subscribers.size === 0 && this.detach) {
        this.detach();
        this.detach = undefined;
      }
    };
  }

  endAll(error?: Error): void {
    for (const sink of this.subscribers.keys()) sink.end(error);
    this.subscribers.clear();
    this.detach?.();
    this.detach = undefined;
  }
}
