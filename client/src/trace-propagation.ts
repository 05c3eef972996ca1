/**
 * The caller's trace, carried into a call's metadata (W3C traceparent) so it continues in the
 * node's call span. @opentelemetry/api is ~50 files: a `caxton` command, which never has an
 * OpenTelemetry SDK, should not load it on every run (decision 2051). The API keeps what an SDK
 * registers (propagator, context manager) under one global symbol; while that symbol is absent
 * every propagator is the no-op one and `inject` adds nothing, so skipping it then is exactly what
 * calling it would do. Once an SDK registered anything, the API is loaded (synchronously: it is
 * CommonJS) and asked as usual.
 */
import { createRequire } from 'node:module';
import type { Metadata } from '@grpc/grpc-js';
import type * as OtelApi from '@opentelemetry/api';

/** The API's global registry key for API major version 1 (@opentelemetry/api internal/global-utils). */
const OTEL_GLOBAL = Symbol.for('opentelemetry.js.api.1');

let api: typeof OtelApi | undefined;

const setter: OtelApi.TextMapSetter<Metadata> = { set: (md, key, value) => md.set(key, value) };

/** Adds the active trace context to `md`, if an OpenTelemetry SDK registered a propagator. */
export function injectTraceContext(md: Metadata): void {
  if ((globalThis as Record<symbol, unknown>)[OTEL_GLOBAL] === undefined) return;
  api ??= createRequire(import.meta.url)('@opentelemetry/api') as typeof OtelApi;
  api.propagation.inject(api.context.active(), md, setter);
}
