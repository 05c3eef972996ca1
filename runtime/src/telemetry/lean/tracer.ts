/**
 * The lean TracerProvider (decision 2186): `@opentelemetry/api`'s TracerProvider and Tracer over
 * LeanSpan (span.ts), so the runtime, embedders and tests keep recording through the API while a
 * span costs a few small objects instead of the SDK's. The sampling follows the SDK's Tracer step
 * by step: the configured SDK Sampler decides (parent-based or not), NOT_RECORD gives the API's
 * non-recording span carrying the context on, RECORD a span that is recorded and not exported,
 * RECORD_AND_SAMPLED one the queue takes; suppressed tracing gives the invalid context.
 */
import {
  INVALID_SPAN_CONTEXT,
  SamplingDecision,
  SpanKind,
  TraceFlags,
  context as contextApi,
  trace,
  type Context,
  type Span,
  type SpanContext,
  type SpanOptions,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import type { Sampler } from '@opentelemetry/sdk-trace';
import { newSpanId, newTraceId } from './ids.js';
import { LeanSpan, validValue, type LeanScope, type SpanSink } from './span.js';
import { validHexId } from '../w3c-context.js';

/** What the provider hands ended spans to and flushes (span-queue.ts). */
export interface LeanSpanSink extends SpanSink {
  forceFlush(): Promise<void>;
  /** Waits for the last spans at most `timeoutMs` (the sink's default when not given). */
  shutdown(timeoutMs?: number): Promise<void>;
}

export class LeanTracer implements Tracer {
  constructor(
    private readonly scope: LeanScope,
    private readonly sampler: Sampler,
    private readonly sink: SpanSink,
  ) {}

  startSpan(name: string, options: SpanOptions = {}, ctx: Context = contextApi.active()): Span {
    if (options.root) ctx = trace.deleteSpan(ctx);
    if (isTracingSuppressed(ctx)) return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    const parentSpan = trace.getSpan(ctx);
    const parentContext = parentSpan?.spanContext();
    const spanId = newSpanId();
    let parent: SpanContext | undefined;
    let traceId: string;
    let traceState = undefined as SpanContext['traceState'];
    // The API's isSpanContextValid, without its regexes; a lean span's own context is valid by construction.
    const validParent =
      parentContext !== undefined &&
      (parentSpan instanceof LeanSpan || (validHexId(parentContext.traceId, 32) && validHexId(parentContext.spanId, 16)));
    if (!validParent) traceId = newTraceId();
    else {
      parent = parentContext;
      traceId = parentContext.traceId;
      traceState = parentContext.traceState;
    }
    const kind = options.kind ?? SpanKind.INTERNAL;
    const result = this.sampler.shouldSample(ctx, traceId, name, kind, options.attributes ?? {}, options.links ?? []);
    traceState = result.traceState ?? traceState;
    const spanContext: SpanContext = {
      traceId,
      spanId,
      traceFlags: result.decision === SamplingDecision.RECORD_AND_SAMPLED ? TraceFlags.SAMPLED : TraceFlags.NONE,
      traceState,
    };
    if (result.decision === SamplingDecision.NOT_RECORD) return trace.wrapSpanContext(spanContext);
    const span = new LeanSpan(this.sink, this.scope, spanContext, name, kind, parent, options.startTime);
    if (options.links !== undefined) span.addLinks(options.links);
    const attributes = options.attributes;
    if (attributes !== undefined)
      for (const key in attributes) {
        const value = attributes[key];
        if (value !== undefined && validValue(value)) span.setAttribute(key, value);
      }
    if (result.attributes !== undefined) span.setAttributes(result.attributes);
    return span;
  }

  // The API's overloads: (name, fn), (name, options, fn), (name, options, context, fn); as the SDK's Tracer.
  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...rest: unknown[]): ReturnType<F> {
    const fn = rest[rest.length - 1] as F;
    const options = (rest.length >= 2 ? rest[0] : undefined) as SpanOptions | undefined;
    const parentContext = (rest.length >= 3 ? rest[1] : undefined) as Context | undefined;
    const ctx = parentContext ?? contextApi.active();
    const span = this.startSpan(name, options, ctx);
    return contextApi.with(trace.setSpan(ctx, span), fn as (s: Span) => ReturnType<F>, undefined, span);
  }
}

export interface LeanTracerProviderOptions {
  sampler: Sampler;
  sink: LeanSpanSink;
}

export class LeanTracerProvider implements TracerProvider {
  private readonly tracers = new Map<string, LeanTracer>();

  constructor(private readonly opts: LeanTracerProviderOptions) {}

  getTracer(name: string, version?: string): Tracer {
    const key = `${name}@${version ?? ''}`;
    let tracer = this.tracers.get(key);
    if (tracer === undefined) {
      tracer = new LeanTracer({ name, version }, this.opts.sampler, this.opts.sink);
      this.tracers.set(key, tracer);
    }
    return tracer;
  }

  forceFlush(): Promise<void> {
    return this.opts.sink.forceFlush();
  }

  /** The sink's shutdown: the last spans are waited for at most `timeoutMs`. */
  shutdown(timeoutMs?: number): Promise<void> {
    return this.opts.sink.shutdown(timeoutMs);
  }
}
