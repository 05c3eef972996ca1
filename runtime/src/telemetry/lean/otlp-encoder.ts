/**
 * Ended lean spans as an OTLP ExportTraceServiceRequest in protobuf (opentelemetry-proto
 * trace/v1), written straight from the spans: ResourceSpans{resource, ScopeSpans{scope, Span…}}.
 * Fields are written in the order and with the presence rules of the SDK's own serializer
 * (@opentelemetry/otlp-transformer), so for the same spans the bytes are the same; the tests hold
 * it to that. The resource and each scope are encoded once, not per request.
 */
import type { AttributeValue, SpanContext } from '@opentelemetry/api';
import { ProtoWriter } from './proto-writer.js';
import type { FlatAttributes, LeanEvent, LeanLink, LeanScope, LeanSpan } from './span.js';

// Wire types.
const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;

const MIN_INT64 = -(2 ** 63);
const MAX_INT64 = 2 ** 63;

function anyValue(w: ProtoWriter, value: unknown): void {
  switch (typeof value) {
    case 'string':
      w.tag(1, LEN);
      w.string(value);
      return;
    case 'boolean':
      w.tag(2, VARINT);
      w.varint32(value ? 1 : 0);
      return;
    case 'number':
      if (Number.isInteger(value) && value >= MIN_INT64 && value < MAX_INT64) {
        w.tag(3, VARINT);
        w.varint64(value);
      } else {
        w.tag(4, I64);
        w.double(value);
      }
      return;
  }
  if (value instanceof Uint8Array) {
    w.tag(7, LEN);
    w.bytes(value);
  } else if (Array.isArray(value)) {
    w.tag(5, LEN);
    const array = w.begin();
    for (const item of value) {
      w.tag(1, LEN);
      const at = w.begin();
      anyValue(w, item);
      w.end(at);
    }
    w.end(array);
  }
}

function keyValue(w: ProtoWriter, field: number, key: string, value: unknown): void {
  w.tag(field, LEN);
  const kv = w.begin();
  w.tag(1, LEN);
  w.string(key);
  w.tag(2, LEN);
  const v = w.begin();
  anyValue(w, value);
  w.end(v);
  w.end(kv);
}

function attributes(w: ProtoWriter, field: number, flat: FlatAttributes): void {
  for (let i = 0; i < flat.length; i += 2) keyValue(w, field, flat[i] as string, flat[i + 1]);
}

function flags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | HAS_IS_REMOTE | (isRemote ? IS_REMOTE : 0);
}

function event(w: ProtoWriter, e: LeanEvent): void {
  w.tag(11, LEN);
  const at = w.begin();
  w.tag(1, I64);
  w.fixed64Ms(e.time);
  w.tag(2, LEN);
  w.string(e.name);
  attributes(w, 3, e.attributes);
  w.tag(4, VARINT);
  w.varint32(e.droppedAttributes);
  w.end(at);
}

/** A span context's trace id, span id and trace state: fields 1 to 3 of both Span and Span.Link. */
function contextFields(w: ProtoWriter, c: SpanContext): void {
  w.tag(1, LEN);
  w.hexBytes(c.traceId);
  w.tag(2, LEN);
  w.hexBytes(c.spanId);
  const state = c.traceState?.serialize();
  if (state) {
    w.tag(3, LEN);
    w.string(state);
  }
}

function link(w: ProtoWriter, l: LeanLink): void {
  const c: SpanContext = l.context;
  w.tag(13, LEN);
  const at = w.begin();
  contextFields(w, c);
  attributes(w, 4, l.attributes);
  w.tag(5, VARINT);
  w.varint32(l.droppedAttributes);
  w.tag(6, I32);
  w.fixed32(flags(c.traceFlags, c.isRemote));
  w.end(at);
}

function span(w: ProtoWriter, s: LeanSpan): void {
  const c = s.spanContext();
  w.tag(2, LEN); // ScopeSpans.spans
  const at = w.begin();
  contextFields(w, c);
  if (s.parent !== undefined) {
    w.tag(4, LEN);
    w.hexBytes(s.parent.spanId);
  }
  w.tag(5, LEN);
  w.string(s.name);
  w.tag(6, VARINT);
  w.varint32(s.kind + 1); // OTLP's kinds start at 1: 0 is "unspecified"
  w.tag(7, I64);
  w.fixed64Ms(s.startTime);
  w.tag(8, I64);
  w.fixed64Ms(s.endTime);
  attributes(w, 9, s.attributes);
  w.tag(10, VARINT);
  w.varint32(s.droppedAttributes);
  if (s.events !== undefined) for (const e of s.events) event(w, e);
  w.tag(12, VARINT);
  w.varint32(s.droppedEvents);
  if (s.links !== undefined) for (const l of s.links) link(w, l);
  w.tag(14, VARINT);
  w.varint32(s.droppedLinks);
  w.tag(15, LEN);
  const status = w.begin();
  if (s.statusMessage) {
    w.tag(2, LEN);
    w.string(s.statusMessage);
  }
  w.tag(3, VARINT);
  w.varint32(s.statusCode);
  w.end(status);
  w.tag(16, I32);
  w.fixed32(flags(c.traceFlags, s.parent?.isRemote));
  w.end(at);
}

/** `Resource` (ResourceSpans field 1) of these attributes, encoded once per provider. */
export function encodeResource(resource: Readonly<Record<string, AttributeValue | undefined>>): Buffer {
  const w = new ProtoWriter(256);
  w.tag(1, LEN);
  const at = w.begin();
  for (const key in resource) if (Object.hasOwn(resource, key)) keyValue(w, 1, key, resource[key]);
  w.tag(2, VARINT);
  w.varint32(0);
  w.end(at);
  return Buffer.from(w.finish());
}

/** `InstrumentationScope` (ScopeSpans field 1). */
function encodeScope(scope: LeanScope): Buffer {
  const w = new ProtoWriter(64);
  w.tag(1, LEN);
  const at = w.begin();
  w.tag(1, LEN);
  w.string(scope.name);
  if (scope.version) {
    w.tag(2, LEN);
    w.string(scope.version);
  }
  w.end(at);
  return Buffer.from(w.finish());
}

/** The largest buffer an encode starts with (1 MiB). */
export const INITIAL_BUFFER_CAP = 1024 * 1024;

export class OtlpTraceEncoder {
  private readonly scopes = new WeakMap<LeanScope, Buffer>();
  /** Bytes per span of the last request: the next one's buffer is sized from it. */
  private perSpan = 256;

  constructor(private readonly resource: Buffer) {}

  private scope(scope: LeanScope): Buffer {
    let bytes = this.scopes.get(scope);
    if (bytes === undefined) this.scopes.set(scope, (bytes = encodeScope(scope)));
    return bytes;
  }

  /** One ExportTraceServiceRequest: one ResourceSpans, one ScopeSpans per scope in order of first appearance. */
  encode(spans: readonly LeanSpan[]): Buffer {
    const byScope = new Map<LeanScope, LeanSpan[]>();
    for (const s of spans) {
      const list = byScope.get(s.scope);
      if (list === undefined) byScope.set(s.scope, [s]);
      else list.push(s);
    }
    // The last batch's bytes per span sizes the buffer, at most INITIAL_BUFFER_CAP: one huge span must not
    // make every later batch allocate for huge spans (ensure() grows the buffer when a batch needs it).
    const w = new ProtoWriter(Math.min(INITIAL_BUFFER_CAP, this.resource.length + 64 + Math.ceil(spans.length * this.perSpan * 1.25)));
    w.tag(1, LEN); // ExportTraceServiceRequest.resource_spans
    const resourceSpans = w.begin();
    w.ensure(this.resource.length);
    this.resource.copy(w.buf, w.pos);
    w.pos += this.resource.length;
    for (const [scope, list] of byScope) {
      w.tag(2, LEN); // ResourceSpans.scope_spans
      const scopeSpans = w.begin();
      const header = this.scope(scope);
      w.ensure(header.length);
      header.copy(w.buf, w.pos);
      w.pos += header.length;
      for (const s of list) span(w, s);
      w.end(scopeSpans);
    }
    w.end(resourceSpans);
    if (spans.length > 0) this.perSpan = Math.max(64, Math.ceil(w.pos / spans.length));
    return w.finish();
  }
}
