/**
 * gRPC errors as seen by a client → `ApiCallError`, a CaxtonError that carries the status code and
 * whatever the server put in the status details (Caxton error code, context, hint, bad fields). Its
 * `kind` comes from the status through the same table the server used (grpc-status.ts).
 */
import { status, type ServiceError } from '@grpc/grpc-js';
import { CaxtonError, type ErrorContext } from '@caxton/core';
import { errorKindForGrpcStatus } from './grpc-status.js';
import { STATUS_DETAILS_KEY, decodeStatusDetails, type FieldViolation } from './status-details.js';

export class ApiCallError extends CaxtonError {
  /** The gRPC status code (`status.NOT_FOUND`…). */
  readonly grpcCode: status;
  readonly fieldViolations: FieldViolation[];

  constructor(
    grpcCode: status,
    code: string,
    message: string,
    opts: { context?: ErrorContext; hint?: string; fieldViolations?: FieldViolation[]; cause?: unknown },
  ) {
    super(code, message, { ...opts, kind: errorKindForGrpcStatus(grpcCode) });
    this.grpcCode = grpcCode;
    this.fieldViolations = opts.fieldViolations ?? [];
  }

  get statusName(): string {
    return status[this.grpcCode] ?? `STATUS_${this.grpcCode}`;
  }
}

function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === 'number' && 'metadata' in err;
}

export function toApiCallError(err: unknown): ApiCallError {
  if (err instanceof ApiCallError) return err;
  if (!isServiceError(err)) {
    return new ApiCallError(status.UNKNOWN, 'api.client-error', err instanceof Error ? err.message : String(err), { cause: err });
  }
  const raw = err.metadata?.get(STATUS_DETAILS_KEY)[0];
  if (raw instanceof Buffer) {
    try {
      const details = decodeStatusDetails(raw);
      const metadata = { ...(details.errorInfo?.metadata ?? {}) };
      const hint = metadata.hint;
      delete metadata.hint;
      return new ApiCallError(
        err.code,
        details.errorInfo?.reason || `grpc.${status[err.code] ?? err.code}`,
        details.message || err.details,
        {
          context: metadata,
          ...(hint ? { hint } : {}),
          ...(details.fieldViolations ? { fieldViolations: details.fieldViolations } : {}),
          cause: err,
        },
      );
    } catch {
      // Undecodable details (a proxy or another server): fall back to the plain status below.
    }
  }
  return new ApiCallError(err.code, `grpc.${(status[err.code] ?? String(err.code)).toLowerCase()}`, err.details || err.message, {
    cause: err,
  });
}
