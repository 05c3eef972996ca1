/**
 * A grpc-js server interceptor that measures and traces every caxton.v1 call (decision 1301): one
 * place for unary calls, server streams and the client-streamed uploads alike, and the status
 * code exactly as the client gets it (the wrappers' typed-error mapping included). Health and
 * reflection are not counted: probes would swamp the API's own traffic.
 *
 * Installed only when a MeterProvider or a TracerProvider is registered (server.ts): otherwise a
 * call goes through no interceptor at all.
 */
import { context, type Context, type Span } from '@opentelemetry/api';
import { ServerInterceptingCall, status as GrpcStatus, type ServerInterceptor } from '@grpc/grpc-js';
import { ApiMetrics } from '../telemetry/api-metrics.js';
import { endApiSpan, startApiSpan } from '../telemetry/api-spans.js';
import { metricsRegistered, runtimeMeter } from '../telemetry/meters.js';
import { tracerRegistered } from '../telemetry/trace-context.js';

const CODE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(GrpcStatus)
    .filter(([, v]) => typeof v === 'number')
    .map(([k, v]) => [v as number, k]),
);

/** `/caxton.v1.Caxton/ListAgents` → [`caxton.v1.Caxton`, `ListAgents`]; other services: undefined. */
export function caxtonMethod(path: string, servicePrefix = 'caxton.v1.'): [service: string, method: string] | undefined {
  if (!path.startsWith(`/${servicePrefix}`)) return undefined;
  const slash = path.indexOf('/', 1);
  if (slash < 0) return undefined;
  return [path.slice(1, slash), path.slice(slash + 1)];
}

export function codeName(code: number): string {
  return CODE_NAMES[code] ?? String(code);
}

/** The interceptor, or undefined when no telemetry SDK is registered (nothing to record into). */
export function apiTelemetryInterceptor(): ServerInterceptor | undefined {
  const metrics = metricsRegistered() ? new ApiMetrics(runtimeMeter()) : undefined;
  const tracing = tracerRegistered();
  if (metrics === undefined && !tracing) return undefined;
  return (descriptor, call) => {
    const named = caxtonMethod(descriptor.path);
    if (named === undefined) return new ServerInterceptingCall(call);
    const [service, method] = named;
    const started = performance.now();
    let span: Span | undefined;
    let ctx: Context = context.active();
    // Handlers run inside the call's context where a context manager is registered; a send
    // continues the call's trace in any case, through the message (api-spans.ts).
    const inCall = (next: () => void): void => (span === undefined ? next() : context.with(ctx, next));
    let finished = false;
    const finish = (code: number, details: string | undefined): void => {
      if (finished) return;
      finished = true;
      const name = codeName(code);
      metrics?.record(method, name, (performance.now() - started) / 1000);
      if (span !== undefined) endApiSpan(span, code, name, details);
    };
    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, nextMetadata) => {
            if (tracing) ({ span, ctx } = startApiSpan(service, method, metadata, metadata.getMap()));
            inCall(() => nextMetadata(metadata));
          },
          onReceiveMessage: (message, nextMessage) => inCall(() => nextMessage(message)),
          onReceiveHalfClose: (nextHalfClose) => inCall(() => nextHalfClose()),
          // A client that goes away (a tail closed with ^C) gets no status: counted as CANCELLED.
          onCancel: () => finish(GrpcStatus.CANCELLED, 'the client cancelled the call'),
        }),
      sendStatus: (status, next) => {
        finish(status.code ?? GrpcStatus.OK, status.details);
        next(status);
      },
    });
  };
}
