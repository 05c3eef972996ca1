/**
 * One typed instrumentation emitter, in the spirit of kafkajs's `instrumentationEvents`: each
 * package instantiates it with its own event union (`{ type: ... }` objects), and every consumer —
 * telemetry, the CLI's tail, logs — subscribes the same way. It lives in core because the sandbox
 * cannot import the runtime; it is generic so core knows no package's events.
 *
 * Hot-path contract (why it is not node:events): emitters call `wants(type)` before building an
 * event, so an event nobody listens to costs nothing; listeners must be cheap; a listener that
 * throws is removed rather than allowed to break the emitter's caller (routing, a shard).
 * See docs/decisions/1106-instrumentation.md.
 */
export interface InstrumentationEvent {
  readonly type: string;
}

export type InstrumentationListener<E extends InstrumentationEvent> = (event: E) => void;

export class Instrumentation<E extends InstrumentationEvent> {
  /** Listener → the types it wants (undefined: all). */
  private readonly listeners = new Map<InstrumentationListener<E>, ReadonlySet<E['type']> | undefined>();
  /** Listeners per type, not counting those that want everything (`all`). */
  private readonly wanted = new Map<E['type'], number>();
  private all = 0;
  /**
   * Per type, the listeners that want it, in subscription order; rebuilt after any change. An
   * emit on a hot path (one `handled` event per delivery) walks only those: no test of every
   * listener's filter per event (decision 2095).
   */
  private readonly byType = new Map<E['type'], readonly InstrumentationListener<E>[]>();
  /** Bumped by every subscribe and unsubscribe: an emit under way notices a listener removed meanwhile. */
  private changes = 0;

  /** Subscribe to every event, or only to `types`. Returns the unsubscribe function. */
  on(listener: InstrumentationListener<E>, types?: readonly E['type'][]): () => void {
    if (this.listeners.has(listener)) this.off(listener);
    const filter = types === undefined ? undefined : new Set(types);
    this.listeners.set(listener, filter);
    this.changed();
    if (filter === undefined) this.all += 1;
    else for (const t of filter) this.wanted.set(t, (this.wanted.get(t) ?? 0) + 1);
    return () => this.off(listener);
  }

  /** Subscribe to one type with a listener typed for that event. */
  onType<T extends E['type']>(type: T, listener: (event: Extract<E, { type: T }>) => void): () => void {
    return this.on(listener as InstrumentationListener<E>, [type]);
  }

  get active(): boolean {
    return this.listeners.size > 0;
  }

  /** Does anyone listen to `type`? Check before building an event on a hot path. */
  wants(type: E['type']): boolean {
    return this.all > 0 || (this.wanted.get(type) ?? 0) > 0;
  }

  /**
   * Calls each listener that wants the event's type, in subscription order. One removed by an
   * earlier listener of the same emit is not called, nor one re-subscribed by it to types without
   * this event's; one added during an emit gets the next event.
   */
  emit(event: E): void {
    const listeners = this.byType.get(event.type) ?? this.listenersOf(event.type);
    const changes = this.changes;
    for (const listener of listeners) {
      // Only when a listener of this emit changed the subscriptions: the list is as they were at its start.
      if (this.changes !== changes && !this.stillWants(listener, event.type)) continue;
      try {
        listener(event);
      } catch {
        this.off(listener);
      }
    }
  }

  private stillWants(listener: InstrumentationListener<E>, type: E['type']): boolean {
    if (!this.listeners.has(listener)) return false;
    const filter = this.listeners.get(listener);
    return filter === undefined || filter.has(type);
  }

  private listenersOf(type: E['type']): readonly InstrumentationListener<E>[] {
    const out: InstrumentationListener<E>[] = [];
    for (const [listener, filter] of this.listeners) if (filter === undefined || filter.has(type)) out.push(listener);
    this.byType.set(type, out);
    return out;
  }

  private changed(): void {
    this.changes += 1;
    this.byType.clear();
  }

  private off(listener: InstrumentationListener<E>): void {
    if (!this.listeners.has(listener)) return;
    const filter = this.listeners.get(listener);
    this.listeners.delete(listener);
    this.changed();
    if (filter === undefined) this.all -= 1;
    else for (const t of filter) this.wanted.set(t, (this.wanted.get(t) ?? 1) - 1);
  }
}
