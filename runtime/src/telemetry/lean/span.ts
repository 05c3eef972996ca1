/**
 * A span of the lean tracer (decision 2186): what `@opentelemetry/api` asks of a span, recorded in
 * the fewest objects — attributes as one flat array of key, value pairs, times as epoch
 * milliseconds (a double: sub-microsecond at today's epoch) from the monotonic clock placed on the
 * wall clock (clockOffset), ids as
 * hex strings (ids.ts). The ended span itself is the record the queue holds and the encoder writes
 * (otlp-encoder.ts); no SDK span, no HrTime pairs, no per-attribute objects.
 *
 * Behaviour follows the SDK's SpanImpl where callers can see it: the SDK's default limits (128
 * attributes, events, links, attributes per event and link), a key set twice keeps its place and
 * takes the new value, invalid values and changes after end are ignored, `setStatus` as the
 * SDK's (OK is final, UNSET ignored, a message only with ERROR), `recordException` as the SDK's
 * `exception` event, times given as performance-relative or epoch numbers, Dates or HrTimes.
 */
import {
  SpanStatusCode,
  TraceFlags,
  diag,
  type AttributeValue,
  type Attributes,
  type Exception,
  type HrTime,
  type Link,
  type Span,
  type SpanContext,
  type SpanKind,
  type SpanStatus,
  type TimeInput,
} from '@opentelemetry/api';
import { isAttributeValue } from '@opentelemetry/core';

/** The SDK's default span limits. */
export const SPAN_LIMIT = 128;

/** A tracer's instrumentation scope; spans are grouped by its identity when encoded. */
export interface LeanScope {
  readonly name: string;
  readonly version: string | undefined;
}

/** Where ended spans go (the bounded queue, span-queue.ts). */
export interface SpanSink {
  onEnd(span: LeanSpan): void;
}

/** Attributes as `[key0, value0, key1, value1, …]`. */
export type FlatAttributes = unknown[];

export interface LeanEvent {
  name: string;
  /** Epoch milliseconds. */
  time: number;
  attributes: FlatAttributes;
  droppedAttributes: number;
}

export interface LeanLink {
  context: SpanContext;
  attributes: FlatAttributes;
  droppedAttributes: number;
}

/**
 * Where performance.now() sits on the wall clock (Date.now() − performance.now()), re-read at most
 * once a second: the monotonic clock and the wall clock drift apart over a long run (and NTP may
 * step the latter), so a fixed `performance.timeOrigin` would move every span's time away from
 * the clock the collector and the logs use. Date.now() counts whole milliseconds: a new reading
 * is taken only when it moves by 1 ms or more, so times do not jitter from one second to the next.
 * A span's end is never before its start (LeanSpan.end), whatever the re-reading did meanwhile.
 */
let offset = performance.timeOrigin;
let readAt = Number.NEGATIVE_INFINITY;
const REREAD_MS = 1000;

/** Date.now() − performance.now(), as of at most a second ago. */
export function clockOffset(now: number = performance.now()): number {
  if (now - readAt >= REREAD_MS) {
    readAt = now;
    const fresh = Date.now() - now;
    if (Math.abs(fresh - offset) >= 1) offset = fresh;
  }
  return offset;
}

/** Now, in epoch milliseconds: the monotonic clock placed on the wall clock (clockOffset). */
export function nowMs(): number {
  const now = performance.now();
  return clockOffset(now) + now;
}

/** A TimeInput as epoch milliseconds, as the SDK reads one (a number not past performance.now() is performance-relative). */
export function toEpochMs(t: TimeInput): number {
  if (typeof t === 'number') {
    const now = performance.now();
    return t <= now ? clockOffset(now) + t : t;
  }
  if (t instanceof Date) return t.getTime();
  const hr = t as HrTime;
  return hr[0] * 1000 + hr[1] / 1e6;
}

/** Adds `key = value` to `attrs` under `limit` distinct keys (an array value copied); false when dropped for the limit. */
export function setFlat(attrs: FlatAttributes, key: string, value: unknown, limit: number): boolean {
  // An array is copied: the caller may change its own afterwards (the SDK copies too).
  if (Array.isArray(value)) value = value.slice();
  for (let i = 0; i < attrs.length; i += 2)
    if (attrs[i] === key) {
      attrs[i + 1] = value;
      return true;
    }
  if (attrs.length >= limit * 2) return false;
  attrs.push(key, value);
  return true;
}

/** The SDK's check, with its common cases first (a string, a number, a boolean). */
export function validValue(value: unknown): value is AttributeValue {
  const t = typeof value;
  return t === 'string' || t === 'number' || t === 'boolean' || (value != null && isAttributeValue(value));
}

/** Valid attributes of `attributes` as a flat array, and how many the limit dropped. */
export function flatten(attributes: Attributes | undefined): { attributes: FlatAttributes; dropped: number } {
  const flat: FlatAttributes = [];
  let dropped = 0;
  if (attributes === undefined) return { attributes: flat, dropped };
  for (const key in attributes) {
    if (!Object.hasOwn(attributes, key)) continue;
    const value = attributes[key];
    if (key.length === 0 || !validValue(value)) continue;
    if (!setFlat(flat, key, value, SPAN_LIMIT)) dropped++;
  }
  return { attributes: flat, dropped };
}

export class LeanSpan implements Span {
  readonly attributes: FlatAttributes = [];
  droppedAttributes = 0;
  events: LeanEvent[] | undefined;
  droppedEvents = 0;
  links: LeanLink[] | undefined;
  droppedLinks = 0;
  statusCode: SpanStatusCode = SpanStatusCode.UNSET;
  statusMessage: string | undefined;
  /** Epoch milliseconds; the end is NaN until the span ends. */
  readonly startTime: number;
  endTime = Number.NaN;
  private ended = false;

  constructor(
    private readonly sink: SpanSink,
    readonly scope: LeanScope,
    private readonly context: SpanContext,
    public name: string,
    readonly kind: SpanKind,
    /** The parent's context when the span has a valid parent. */
    readonly parent: SpanContext | undefined,
    startTime: TimeInput | undefined,
  ) {
    this.startTime = startTime === undefined ? nowMs() : toEpochMs(startTime);
  }

  spanContext(): SpanContext {
    return this.context;
  }

  /** Whether this span is exported (sampled), not only recorded. */
  get sampled(): boolean {
    return (this.context.traceFlags & TraceFlags.SAMPLED) !== 0;
  }

  setAttribute(key: string, value: AttributeValue): this {
    if (value == null || this.ended || key.length === 0 || !validValue(value)) return this;
    if (!setFlat(this.attributes, key, value, SPAN_LIMIT)) this.droppedAttributes++;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const key in attributes) if (Object.hasOwn(attributes, key)) this.setAttribute(key, attributes[key] as AttributeValue);
    return this;
  }

  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (this.ended) return this;
    let attributes: Attributes | undefined;
    if (isTimeInput(attributesOrTime)) {
      if (!isTimeInput(time)) time = attributesOrTime;
    } else attributes = attributesOrTime;
    this.events ??= [];
    if (this.events.length >= SPAN_LIMIT) {
      this.events.shift();
      this.droppedEvents++;
    }
    const flat = flatten(attributes);
    this.events.push({
      name,
      time: time === undefined ? nowMs() : toEpochMs(time),
      attributes: flat.attributes,
      droppedAttributes: flat.dropped,
    });
    return this;
  }

  addLink(link: Link): this {
    if (this.ended) return this;
    this.links ??= [];
    if (this.links.length >= SPAN_LIMIT) {
      this.links.shift();
      this.droppedLinks++;
    }
    const flat = flatten(link.attributes);
    this.links.push({ context: link.context, attributes: flat.attributes, droppedAttributes: flat.dropped });
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.ended || status.code === SpanStatusCode.UNSET || this.statusCode === SpanStatusCode.OK) return this;
    this.statusCode = status.code;
    this.statusMessage = status.code === SpanStatusCode.ERROR && typeof status.message === 'string' ? status.message : undefined;
    return this;
  }

  updateName(name: string): this {
    if (!this.ended) this.name = name;
    return this;
  }

  end(endTime?: TimeInput): void {
    if (this.ended) {
      diag.error(`${this.name} ${this.context.traceId}-${this.context.spanId} - You can only call end() on a span once.`);
      return;
    }
    this.ended = true;
    const end = endTime === undefined ? nowMs() : toEpochMs(endTime);
    this.endTime = Math.max(end, this.startTime);
    this.sink.onEnd(this);
  }

  isRecording(): boolean {
    return !this.ended;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') attributes['exception.message'] = exception;
    else if (exception) {
      if (exception.code) attributes['exception.type'] = exception.code.toString();
      else if (exception.name) attributes['exception.type'] = exception.name;
      if (exception.message) attributes['exception.message'] = exception.message;
      if (exception.stack) attributes['exception.stacktrace'] = exception.stack;
    }
    if (attributes['exception.type'] || attributes['exception.message']) this.addEvent('exception', attributes, time);
    else diag.warn(`Failed to record an exception ${String(exception)}`);
  }
}

function isTimeInput(v: unknown): v is TimeInput {
  return (
    typeof v === 'number' ||
    v instanceof Date ||
    (Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && typeof v[1] === 'number')
  );
}
