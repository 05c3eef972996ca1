/**
 * W3C trace context in ACL messages without the propagator's regular expressions (decision 2186):
 * per handled message the bus extracts the received X-traceparent and injects one into every send,
 * and the W3C propagator's regexes, the API's id checks and a user-params copy per header were
 * ~3 µs of the bus thread per message. These do the same for the propagator the node registers
 * itself (NodeW3CPropagator: its `fields()` array is its own, so `propagation.fields()` tells it
 * is still the registered one); with any other propagator (an embedder's) trace-context.ts asks
 * the API as before. Results match W3CTraceContextPropagator's exactly (test: w3c-context.test.ts);
 * what this parser does not take (another version, spaces) goes to the propagator.
 */
import { TraceFlags, type SpanContext } from '@opentelemetry/api';
import { TraceState, W3CTraceContextPropagator } from '@opentelemetry/core';

const NODE_W3C_FIELDS: string[] = ['traceparent', 'tracestate'];

/** The W3C propagator start-node registers when no other is. */
export class NodeW3CPropagator extends W3CTraceContextPropagator {
  override fields(): string[] {
    return NODE_W3C_FIELDS;
  }
}

/** Whether the registered propagator's fields are NodeW3CPropagator's (so its W3C is the one in use). */
export function isNodeW3CFields(fields: string[]): boolean {
  return fields === NODE_W3C_FIELDS;
}

/** `id` is `length` hex digits (either case, as the API's check), not all zero. */
export function validHexId(id: string, length: number): boolean {
  if (id.length !== length) return false;
  let nonZero = false;
  for (let i = 0; i < length; i++) {
    const c = id.charCodeAt(i);
    if (c === 48) continue;
    if (!((c > 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70))) return false;
    nonZero = true;
  }
  return nonZero;
}

/** `id` is `length` lowercase hex digits, not all zero (the W3C traceparent grammar). */
function lowerHexId(id: string, length: number): boolean {
  let nonZero = false;
  for (let i = 0; i < length; i++) {
    const c = id.charCodeAt(i);
    if (c === 48) continue;
    if (!((c > 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
    nonZero = true;
  }
  return nonZero;
}

function lowerHexDigit(c: number): number {
  return c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
}

/**
 * The span context of a version-00 traceparent (exactly 55 characters) and its tracestate, as the
 * W3C propagator extracts it (remote); `undefined` when this is not one this parser takes — the
 * caller then asks the propagator, which refuses or accepts it by its own rules.
 */
export function parseTraceparent00(tp: string, tracestate: string | undefined): SpanContext | undefined {
  if (tp.length !== 55 || tp.charCodeAt(0) !== 48 || tp.charCodeAt(1) !== 48) return undefined;
  if (tp.charCodeAt(2) !== 45 || tp.charCodeAt(35) !== 45 || tp.charCodeAt(52) !== 45) return undefined;
  const traceId = tp.slice(3, 35);
  const spanId = tp.slice(36, 52);
  const hi = lowerHexDigit(tp.charCodeAt(53));
  const lo = lowerHexDigit(tp.charCodeAt(54));
  if (hi < 0 || lo < 0 || !lowerHexId(traceId, 32) || !lowerHexId(spanId, 16)) return undefined;
  const context: SpanContext = { traceId, spanId, traceFlags: hi * 16 + lo, isRemote: true };
  if (tracestate) context.traceState = new TraceState(tracestate);
  return context;
}

/** The traceparent the W3C propagator writes for a valid span context. */
export function formatTraceparent(sc: SpanContext): string {
  const flags = sc.traceFlags || TraceFlags.NONE;
  return `00-${sc.traceId}-${sc.spanId}-${flags === TraceFlags.SAMPLED ? '01' : flags === 0 ? '00' : `0${Number(flags).toString(16)}`}`;
}
