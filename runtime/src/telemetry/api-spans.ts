/**
 * The span of one caxton.v1 call (decision 1301): server kind, named `caxton.v1.Caxton/<Method>`
 * as OpenTelemetry's RPC conventions name it, a child of the caller's span when the gRPC metadata
 * carries a W3C `traceparent` (the CLI, or any instrumented client). Everything the handler does
 * (a send: its `send` span and the message's X-traceparent) runs inside it.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, propagation, trace, type Context, type Span, type TextMapGetter } from '@opentelemetry/api';
import { tracer } from './trace-context.js';

/** gRPC metadata as grpc-js gives it (`Metadata.getMap()`): string values, binary ones as Buffers. */
export type MetadataMap = Readonly<Record<string, string | Buffer>>;

const metadataGetter: TextMapGetter<MetadataMap> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key.toLowerCase()];
    return typeof value === 'string' ? value : undefined;
  },
};

export function startApiSpan(service: string, method: string, metadata: MetadataMap): { span: Span; ctx: Context } {
  const parent = propagation.extract(ROOT_CONTEXT, metadata, metadataGetter);
  const span = tracer.startSpan(
    `${service}/${method}`,
    { kind: SpanKind.SERVER, attributes: { 'rpc.system': 'grpc', 'rpc.service': service, 'rpc.method': method } },
    parent,
  );
  return { span, ctx: trace.setSpan(parent, span) };
}

/** End the call's span with its gRPC status (name and number); anything but OK is an error. */
export function endApiSpan(span: Span, code: number, codeName: string, details: string | undefined): void {
  span.setAttribute('rpc.grpc.status_code', code);
  span.setAttribute('caxton.code', codeName);
  if (code !== 0) span.setStatus({ code: SpanStatusCode.ERROR, message: details ? `${codeName}: ${details}` : codeName });
  span.end();
}
