/**
 * CaxtonError → gRPC status (server side). The status comes from the error's `kind`, declared
 * where the error was raised (core/src/errors.ts), through the one table below; the client maps
 * back through the same table (client-errors.ts). Message, context and hint travel in the status
 * details. See docs/decisions/1105-error-kinds.md.
 */
import { Metadata, status, type StatusObject } from '@grpc/grpc-js';
import { CaxtonError, ERROR_KINDS, type ErrorKind, AlreadyExistsError, InvalidArgumentError, NotFoundError } from '@caxton/core';
import { ERROR_DOMAIN, STATUS_DETAILS_KEY, encodeStatusDetails, type StatusDetails } from './status-details.js';

/** The only place that knows how an error kind looks on the wire. */
export const GRPC_STATUS_BY_KIND: Readonly<Record<ErrorKind, status>> = Object.freeze({
  'invalid-argument': status.INVALID_ARGUMENT,
  'not-found': status.NOT_FOUND,
  'already-exists': status.ALREADY_EXISTS,
  'resource-exhausted': status.RESOURCE_EXHAUSTED,
  'failed-precondition': status.FAILED_PRECONDITION,
  unavailable: status.UNAVAILABLE,
  'deadline-exceeded': status.DEADLINE_EXCEEDED,
  unauthenticated: status.UNAUTHENTICATED,
  'permission-denied': status.PERMISSION_DENIED,
  unimplemented: status.UNIMPLEMENTED,
  cancelled: status.CANCELLED,
  'data-loss': status.DATA_LOSS,
  internal: status.INTERNAL,
});

const KIND_BY_GRPC_STATUS: ReadonlyMap<status, ErrorKind> = new Map(ERROR_KINDS.map((kind) => [GRPC_STATUS_BY_KIND[kind], kind]));

export function grpcStatusForKind(kind: ErrorKind): status {
  return GRPC_STATUS_BY_KIND[kind];
}

/**
 * The reverse, for clients. Statuses Caxton never sends for a kind (UNKNOWN, ABORTED, OUT_OF_RANGE,
 * OK…) come from a proxy or the transport; they are `internal` to the caller.
 */
export function errorKindForGrpcStatus(code: status): ErrorKind {
  return KIND_BY_GRPC_STATUS.get(code) ?? 'internal';
}

/** Trailer metadata of a refusal that says when to retry, in whole milliseconds. */
export const RETRY_AFTER_KEY = 'retry-after-ms';

// Trailers are size-limited (8 KiB by default in most clients): keep details comfortably small.
const MAX_TEXT = 1000;
const MAX_META_VALUE = 400;
const MAX_META_ENTRIES = 16;

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A `Partial<StatusObject>` grpc-js accepts as a handler error, with details in the trailer. */
export function statusFromCaxtonError(err: CaxtonError): Partial<StatusObject> & { code: status; details: string } {
  const code = grpcStatusForKind(err.kind);
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(err.context)) {
    if (value === undefined || Object.keys(metadata).length >= MAX_META_ENTRIES) continue;
    metadata[key] = clip(typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value)), MAX_META_VALUE);
  }
  if (err.hint) metadata.hint = clip(err.hint, MAX_META_VALUE);
  const message = clip(err.message, MAX_TEXT);
  const details: StatusDetails = { code, message, errorInfo: { reason: err.code, domain: ERROR_DOMAIN, metadata } };
  const field = err instanceof InvalidArgumentError ? err.field : err.context.field;
  if (err.kind === 'invalid-argument' && typeof field === 'string') {
    details.fieldViolations = [{ field, description: message }];
  }
  if (err instanceof NotFoundError || err instanceof AlreadyExistsError) {
    details.resource = { resourceType: err.resourceType, resourceName: err.resourceName };
  } else if (err.kind === 'not-found' && typeof err.context.agent === 'string') {
    details.resource = { resourceType: 'agent', resourceName: err.context.agent };
  }
  const trailer = new Metadata();
  trailer.set(STATUS_DETAILS_KEY, encodeStatusDetails(details));
  // A refusal that says when to come back says it where any gRPC client can read it without
  // decoding the details (decision 1810), as well as in them.
  const retryAfterMs = err.context.retryAfterMs;
  if (typeof retryAfterMs === 'number' && Number.isFinite(retryAfterMs)) trailer.set(RETRY_AFTER_KEY, String(Math.ceil(retryAfterMs)));
  return { code, details: message, metadata: trailer };
}

/**
 * Any thrown value → status. Non-Caxton errors are bugs: the operator gets a generic INTERNAL and
 * the full error goes to `report` (the node's log), because stack traces and internal messages
 * are not for remote callers.
 */
export function toGrpcStatus(
  err: unknown,
  method: string,
  report: (err: unknown, method: string) => void,
): Partial<StatusObject> & { code: status; details: string } {
  if (err instanceof CaxtonError) {
    const s = statusFromCaxtonError(err);
    if (err.kind === 'internal') report(err, method);
    return s;
  }
  report(err, method);
  return statusFromCaxtonError(
    new CaxtonError('api.internal', `internal error in ${method}`, {
      kind: 'internal',
      hint: "this is a bug in Caxton; the node's log has the details",
    }),
  );
}
