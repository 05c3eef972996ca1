/**
 * The span of one caxton.v1 call (decision 1301): server kind, named `caxton.v1.Caxton/<Method>`
 * as OpenTelemetry's RPC conventions name it, a child of the caller's span when the gRPC metadata
 * carries a W3C `traceparent` (the CLI, or any instrumented client).
 *
 * A handler reaches the call's context through the call's metadata object (the one grpc-js hands
 * both the interceptor and the handler), not through an async context manager: none is required
 * (async_hooks would tax every promise of the bus thread). SendMessage stamps it into the message,
 * so the message's `send` span and everything after it continue the call's trace.
 */
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  propagation,
  trace,
  type Context,
  type Span,
  type TextMapGetter,
} from '@opentelemetry/api';
import type { AclMessage } from '@caxton/core';
import { carriesTraceContext, injectMessageContext, tracer } from './trace-context.js';

/** gRPC metadata as grpc-js gives it (`Metadata.getMap()`): string values, binary ones as Buffers. */
export type MetadataMap = Readonly<Record<string, string | Buffer>>;

const metadataGetter: TextMapGetter<MetadataMap> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key.toLowerCase()];
    return typeof value === 'string' ? value : undefined;
  },
};

/** Call contexts by the call's metadata object; gone with the call. */
const callContexts = new WeakMap<object, Context>();

export function startApiSpan(service: string, method: string, metadata: object, map: MetadataMap): { span: Span; ctx: Context } {
  const parent = propagation.extract(ROOT_CONTEXT, map, metadataGetter);
  const span = tracer.startSpan(
    `${service}/${method}`,
    { kind: SpanKind.SERVER, attributes: { 'rpc.system': 'grpc', 'rpc.service': service, 'rpc.method': method } },
    parent,
  );
  const ctx = trace.setSpan(parent, span);
  callContexts.set(metadata, ctx);
  return { span, ctx };
}

/**
 * A message sent by an API call continues the call's trace: its X-traceparent becomes the call's
 * span, unless the client set one of its own in the message (an explicit context wins). Does
 * nothing when the call was not traced.
 */
export function continueCallTrace(metadata: object, msg: AclMessage): void {
  const ctx = callContexts.get(metadata);
  if (ctx !== undefined && !carriesTraceContext(msg)) injectMessageContext(msg, ctx);
}

/** End the call's span with its gRPC status (name and number); anything but OK is an error. */
export function endApiSpan(span: Span, code: number, codeName: string, details: string | undefined): void {
  span.setAttribute('rpc.grpc.status_code', code);
  span.setAttribute('caxton.code', codeName);
  if (code !== 0) span.setStatus({ code: SpanStatusCode.ERROR, message: details ? `${codeName}: ${details}` : codeName });
  span.end();
}
