/**
 * Fans bus events out to TailMessages subscribers, filtering at the source so a quiet subscriber
 * costs nothing per message. Subscribes to the bus only while someone is listening.
 */
import type { BusEvents } from '../bus/events.js';
import type { MessageEvent, Sink, TailFilter, Unsubscribe } from '@caxton/core';
import { matchesTailFilter, type Instrumentation } from '@caxton/core';
import type { HttpGatewayEvent, HttpRequestEvent } from '../http/gateway.js';

export class TailHub {
  private readonly subscribers = new Map<Sink<MessageEvent>, TailFilter>();
  private detach: (() => void) | undefined;

  /**
   * `http`: the HTTP gateway's events. A call is not a message on the bus (its answer is), so the
   * tail shows it as one: a `request` from the agent to `http@<platform>` (decision 1601).
   */
  constructor(
    private readonly events: BusEvents,
    private readonly http?: Instrumentation<HttpGatewayEvent>,
    private readonly platform = 'caxton',
  ) {}

  subscribe(filter: TailFilter, sink: Sink<MessageEvent>): Unsubscribe {
    this.subscribers.set(sink, filter);
    if (!this.detach) {
      this.detach = this.events.on(
        (e) => {
          // Every message the bus takes emits exactly one 'accepted' (also when its only receiver is
          // an outside client), so that is the one event the tail needs.
          if (e.type !== 'accepted') return;
          const event: MessageEvent = { messageId: e.messageId, acceptedAt: Date.now(), message: e.message };
          for (const [s, f] of this.subscribers) if (matchesTailFilter(f, event)) s.next(event);
        },
        ['accepted'],
      );
      const detachHttp = this.http?.onType('http-request', (e) => {
        const event = this.callEvent(e);
        for (const [s, f] of this.subscribers) if (matchesTailFilter(f, event)) s.next(event);
      });
      const detachBus = this.detach;
      this.detach = () => {
        detachBus();
        detachHttp?.();
      };
    }
    return () => {
      this.subscribers.delete(sink);
      if (this.subscribers.size === 0 && this.detach) {
        this.detach();
        this.detach = undefined;
      }
    };
  }

  private callEvent(e: HttpRequestEvent): MessageEvent {
    const message: MessageEvent['message'] = {
      performative: 'request',
      sender: { name: `${e.agent}@${this.platform}` },
      receivers: [{ name: `http@${this.platform}` }],
      content: `${e.method} ${e.url}`,
      replyWith: e.callId,
      ...(e.conversationId !== undefined ? { conversationId: e.conversationId } : {}),
      ...(e.context !== undefined ? { userParams: { 'X-caxton-http-context': e.context } } : {}),
    };
    return { messageId: `http-call:${e.callId}`, acceptedAt: Date.now(), message };
  }

  endAll(error?: Error): void {
    for (const sink of this.subscribers.keys()) sink.end(error);
    this.subscribers.clear();
    this.detach?.();
    this.detach = undefined;
  }
}
