/**
 * W3C trace context carried inside ACL messages as user parameters, so that a trace follows a
 * conversation across agents and nodes whatever transport carried the message (log, Kafka, gRPC).
 * Recorded through @opentelemetry/api: with no SDK registered every call is a cheap no-op. With
 * the node's own W3C propagator registered, the X-traceparent is parsed and written here
 * (w3c-context.ts, decision 2186), else the registered propagator does it.
 */
import {
  context,
  propagation,
  trace,
  SpanKind,
  SpanStatusCode,
  ProxyTracerProvider,
  type Context,
  type Span,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import { TRACEPARENT_PARAM, TRACESTATE_PARAM, type AclMessage } from '@caxton/core';
import { LeanSpan } from './lean/span.js';
import { formatTraceparent, isNodeW3CFields, parseTraceparent00, validHexId } from './w3c-context.js';

const CARRIER_KEYS: Record<string, string> = { traceparent: TRACEPARENT_PARAM, tracestate: TRACESTATE_PARAM };

const getter: TextMapGetter<AclMessage> = {
  keys: () => ['traceparent', 'tracestate'],
  get: (msg, key) => {
    const param = CARRIER_KEYS[key];
    return param === undefined ? undefined : msg.userParams?.[param];
  },
};

const setter: TextMapSetter<AclMessage> = {
  set: (msg, key, value) => {
    const param = CARRIER_KEYS[key];
    if (param === undefined) return;
    msg.userParams = { ...msg.userParams, [param]: value };
  },
};

let current: { provider: TracerProvider; tracer: Tracer; resolved: boolean } | undefined;

/**
 * The runtime's tracer from the provider registered NOW. The API's own ProxyTracer keeps the first
 * SDK tracer it resolves for good, so after a node's telemetry shut down (trace.disable()) and the
 * next node in the same process (tests, benchmarks) registered its own, spans would still go to
 * the first, shut-down provider. `trace.disable()` replaces the global proxy provider, so its
 * identity tells when to ask again; once resolved, a span costs one identity check.
 */
function currentTracer(): Tracer {
  const provider = trace.getTracerProvider();
  if (current?.provider === provider && current.resolved) return current.tracer;
  const delegate =
    provider instanceof ProxyTracerProvider
      ? provider.getDelegateTracer('caxton-runtime', '0.1.0')
      : provider.getTracer('caxton-runtime', '0.1.0');
  current = delegate
    ? { provider, tracer: delegate, resolved: true }
    : { provider, tracer: provider.getTracer('caxton-runtime', '0.1.0'), resolved: false };
  return current.tracer;
}

export const tracer: Tracer = {
  startSpan: (name, options, ctx) => currentTracer().startSpan(name, options, ctx),
  startActiveSpan: ((...args: unknown[]) => {
    const t = currentTracer();
    return Reflect.apply(t.startActiveSpan, t, args) as unknown;
  }) as Tracer['startActiveSpan'],
};

/**
 * Whether a tracer provider is registered, i.e. spans are recorded. Without one a span only
 * carries its parent's context forward, so the hot path skips spans for messages that carry no
 * trace context: they would start a non-recording span and inject nothing (W3C inject skips an
 * invalid context), yet building them cost ~3 % of the bus thread per message (decision 1201).
 * Asked once per batch.
 */
export function tracerRegistered(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegateTracer('caxton-runtime') !== undefined;
}

/** Providers whose sampler is parent-based: a child of an unsampled parent is never recorded. */
const parentBasedProviders = new WeakSet<TracerProvider>();

/** Called by whoever registers `provider` (startTelemetry) when its sampler is parent-based. */
export function markParentBasedSampling(provider: TracerProvider): void {
  parentBasedProviders.add(provider);
}

/**
 * How the bus treats messages whose trace context is not sampled, decided once per batch.
 * `copy`: a span started under an unsampled parent would record nothing — with no SDK (the API's
 * no-op tracer) or under a parent-based sampler — and would only hand the same trace id on, so
 * the handling's sends carry the received X-traceparent/X-tracestate unchanged instead: no span,
 * attribute object, context or traceparent parsing and formatting per message (decision 1303;
 * at --trace-sample 0.01 those were ~16 % of the bus thread). `span`: another sampler (one that
 * may record a child of an unsampled parent), so every handling gets its span.
 */
export function unsampledContextPolicy(): 'copy' | 'span' {
  const provider = trace.getTracerProvider();
  const delegate = provider instanceof ProxyTracerProvider ? provider.getDelegate() : provider;
  if (provider instanceof ProxyTracerProvider && provider.getDelegateTracer('caxton-runtime') === undefined) return 'copy';
  return parentBasedProviders.has(delegate) ? 'copy' : 'span';
}

/**
 * The message's X-traceparent if it is a version-00 W3C context whose sampled flag is clear, else
 * undefined (no context, a sampled one, or one this check does not understand: those take the span path).
 */
export function unsampledTraceparent(msg: AclMessage): string | undefined {
  const tp = msg.userParams?.[TRACEPARENT_PARAM];
  // 00-<32 hex trace id>-<16 hex span id>-<2 hex flags>: bit 0 of the flags is "sampled".
  if (tp === undefined || tp.length !== 55 || !tp.startsWith('00-')) return undefined;
  const flags = Number.parseInt(tp.slice(53), 16);
  return Number.isNaN(flags) || (flags & 1) === 1 ? undefined : tp;
}

/** Trace and span id of the message's X-traceparent (version 00), for log lines; undefined without one. */
export function traceIdsOf(msg: AclMessage): { traceId: string; spanId: string } | undefined {
  const tp = msg.userParams?.[TRACEPARENT_PARAM];
  if (tp === undefined || tp.length !== 55 || !tp.startsWith('00-')) return undefined;
  return { traceId: tp.slice(3, 35), spanId: tp.slice(36, 52) };
}

/** Give `to` the trace context `from` carries (X-traceparent and X-tracestate), unchanged. */
export function copyTraceContext(from: AclMessage, to: AclMessage): void {
  const tp = from.userParams?.[TRACEPARENT_PARAM];
  if (tp === undefined) return;
  const ts = from.userParams?.[TRACESTATE_PARAM];
  to.userParams = { ...to.userParams, [TRACEPARENT_PARAM]: tp, ...(ts === undefined ? {} : { [TRACESTATE_PARAM]: ts }) };
}

/** Does the message carry a trace context (X-traceparent) to continue? */
export function carriesTraceContext(msg: AclMessage): boolean {
  return msg.userParams?.[TRACEPARENT_PARAM] !== undefined;
}

/** The context a message was sent in (its sender's span), or the active context if it carries none. */
export function extractMessageContext(msg: AclMessage): Context {
  const tp = msg.userParams?.[TRACEPARENT_PARAM];
  if (tp === undefined) return context.active();
  if (isNodeW3CFields(propagation.fields())) {
    const sc = parseTraceparent00(tp, msg.userParams?.[TRACESTATE_PARAM]);
    if (sc !== undefined) return trace.setSpanContext(context.active(), sc);
  }
  return propagation.extract(context.active(), msg, getter);
}

/** Stamp the current (or given) context into the message's X-traceparent / X-tracestate. */
export function injectMessageContext(msg: AclMessage, ctx: Context = context.active()): void {
  if (!isNodeW3CFields(propagation.fields())) {
    propagation.inject(ctx, msg, setter);
    return;
  }
  // What W3CTraceContextPropagator.inject does, one copy of the params; a lean span's ids are valid by construction.
  const span = trace.getSpan(ctx);
  const sc = span?.spanContext();
  if (sc === undefined || isTracingSuppressed(ctx)) return;
  if (!(span instanceof LeanSpan) && !(validHexId(sc.traceId, 32) && validHexId(sc.spanId, 16))) return;
  const tp = formatTraceparent(sc);
  msg.userParams = sc.traceState
    ? { ...msg.userParams, [TRACEPARENT_PARAM]: tp, [TRACESTATE_PARAM]: sc.traceState.serialize() }
    : { ...msg.userParams, [TRACEPARENT_PARAM]: tp };
}

export interface HandleSpanAttributes {
  agent: string;
  performative: string;
  conversationId: string | undefined;
  messageId: string;
}

/** Start the span of one handling of a message, child of the sender's span. */
export function startHandleSpan(msg: AclMessage, attrs: HandleSpanAttributes): { span: Span; ctx: Context } {
  const parent = extractMessageContext(msg);
  const span = tracer.startSpan(
    `handle ${attrs.performative}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'caxton.agent': attrs.agent,
        'caxton.performative': attrs.performative,
        'caxton.message_id': attrs.messageId,
        ...(attrs.conversationId === undefined ? {} : { 'caxton.conversation_id': attrs.conversationId }),
      },
    },
    parent,
  );
  return { span, ctx: trace.setSpan(parent, span) };
}

/**
 * Whether an outside send gets a span: spans are recorded, or there is a context to continue (the
 * message's, or a span active around the call). Otherwise its span would be non-recording and stamp
 * nothing into the message.
 */
export function sendIsTraced(msg: AclMessage): boolean {
  return tracerRegistered() || carriesTraceContext(msg) || trace.getSpan(context.active()) !== undefined;
}

/** Start the span of a message entering the bus from outside (API, CLI). */
export function startSendSpan(msg: AclMessage, origin: string): { span: Span; ctx: Context } {
  const parent = extractMessageContext(msg);
  const span = tracer.startSpan(
    `send ${msg.performative}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'caxton.origin': origin,
        'caxton.performative': msg.performative,
        ...(msg.conversationId === undefined ? {} : { 'caxton.conversation_id': msg.conversationId }),
      },
    },
    parent,
  );
  return { span, ctx: trace.setSpan(parent, span) };
}

export function endSpan(span: Span, error?: { kind: string; message: string }): void {
  if (error !== undefined) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: `${error.kind}: ${error.message}` });
    span.setAttribute('caxton.error_kind', error.kind);
  }
  span.end();
}
