/**
 * Errors of the telemetry set-up: a flag or OTEL_* variable with a value we cannot use, an OTLP
 * protocol this build does not ship, a metrics address that cannot be listened on. All are raised
 * at start-up, before the node serves anything, and name the flag or variable and what to write.
 */
import { CaxtonError, type ErrorContext, type ErrorKind } from '@caxton/core';

export type TelemetryErrorCode =
  /** A value that does not parse (a ratio above 1, a URL without scheme, `k=v` without `=`…). */
  | 'telemetry.invalid-config'
  /** A valid OpenTelemetry choice this build does not implement (OTLP over gRPC or http/json). */
  | 'telemetry.unsupported'
  /** The Prometheus endpoint could not listen on --metrics-addr (in use, no such interface). */
  | 'telemetry.listen-failed'
  /** Another OpenTelemetry SDK is registered in this process (an embedder's, or a second node's). */
  | 'telemetry.already-registered';

export const TELEMETRY_ERROR_KINDS: Readonly<Record<TelemetryErrorCode, ErrorKind>> = Object.freeze({
  'telemetry.invalid-config': 'invalid-argument',
  'telemetry.unsupported': 'unimplemented',
  'telemetry.listen-failed': 'failed-precondition',
  'telemetry.already-registered': 'failed-precondition',
});

export class TelemetryError extends CaxtonError {
  declare readonly code: TelemetryErrorCode;

  constructor(code: TelemetryErrorCode, message: string, opts: { context?: ErrorContext; hint?: string; cause?: unknown } = {}) {
    super(code, message, { kind: TELEMETRY_ERROR_KINDS[code], ...opts });
  }
}
