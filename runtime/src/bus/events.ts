/**
 * What the bus tells the world (tail streams, logs, metrics). Listeners must be cheap: they run on
 * the hot path. A listener that throws is removed rather than allowed to break routing.
 *
 * A listener may name the event types it wants; emitters ask `wants(type)` before building an
 * event, so an event nobody listens to costs nothing (e.g. 'accepted' when no tail is open: one
 * object and one array per message on the bus thread, profiled).
 */
import type { AclMessage } from '@caxton/core';
import type { AgentLogLine, ExecutionOutcome } from './executor.js';

export type BusEvent =
  | { type: 'accepted'; messageId: string; message: AclMessage; receivers: string[]; refused: { receiver: string; reason: string }[] }
  | { type: 'external'; messageId: string; to: string; message: AclMessage }
  | { type: 'handled'; agent: string; deliveryId: string; messageId: string; outcome: ExecutionOutcome; fuelUsed: number; attempt: number }
  /** Completion of these deliveries is durable: they will never be handed to their agent again. */
  | { type: 'completed'; deliveryIds: string[] }
  | { type: 'dead-lettered'; agent: string; deliveryId: string; reason: string; attempts: number }
  | { type: 'dropped'; message: AclMessage; reason: string }
  | { type: 'log'; agent: string; line: AgentLogLine };

export type BusEventType = BusEvent['type'];
export type BusListener = (event: BusEvent) => void;

export class BusEvents {
  /** Listener → the types it wants (undefined: all). */
  private listeners = new Map<BusListener, ReadonlySet<BusEventType> | undefined>();
  /** Listeners per type, counting those that want everything. */
  private wanted = new Map<BusEventType, number>();
  private all = 0;

  /** Subscribe to every event, or only to `types`. Returns the unsubscribe function. */
  on(listener: BusListener, types?: readonly BusEventType[]): () => void {
    if (this.listeners.has(listener)) this.off(listener);
    const filter = types === undefined ? undefined : new Set(types);
    this.listeners.set(listener, filter);
    if (filter === undefined) this.all += 1;
    else for (const t of filter) this.wanted.set(t, (this.wanted.get(t) ?? 0) + 1);
    return () => this.off(listener);
  }

  get active(): boolean {
    return this.listeners.size > 0;
  }

  /** Does anyone listen to `type`? Check before building an event on a hot path. */
  wants(type: BusEventType): boolean {
    return this.all > 0 || (this.wanted.get(type) ?? 0) > 0;
  }

  emit(event: BusEvent): void {
    for (const [listener, filter] of this.listeners) {
      if (filter !== undefined && !filter.has(event.type)) continue;
      try {
        listener(event);
      } catch {
        this.off(listener);
      }
    }
  }

  private off(listener: BusListener): void {
    if (!this.listeners.has(listener)) return;
    const filter = this.listeners.get(listener);
    this.listeners.delete(listener);
    if (filter === undefined) this.all -= 1;
    else for (const t of filter) this.wanted.set(t, (this.wanted.get(t) ?? 1) - 1);
  }
}
