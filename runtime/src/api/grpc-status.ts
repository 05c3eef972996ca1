/**
 * CaxtonError → gRPC status (server side). The status code comes from the error's `code` by the
 * suffix convention documented in node-control.ts, so errors raised anywhere in the runtime map
 * without the API knowing every class. Message, context and hint travel in the status details.
 */
import { Metadata, status, type StatusObject } from '@grpc/grpc-js';
import { CaxtonError } from '@caxton/core';
import { AlreadyExistsError, InvalidArgumentError, NotFoundError } from './errors.js';
import { ERROR_DOMAIN, STATUS_DETAILS_KEY, encodeStatusDetails, type StatusDetails } from './status-details.js';

/** Exact codes whose suffix alone would mislead. */
const EXACT: ReadonlyMap<string, status> = new Map([
  ['registry.corrupt', status.DATA_LOSS],
  ['registry.io-failed', status.INTERNAL],
  ['cluster.node-id-taken', status.FAILED_PRECONDITION],
  ['cluster.membership-lost', status.UNAVAILABLE],
  ['api.upload-timeout', status.DEADLINE_EXCEEDED],
  // What the sandbox says about an artifact or its init is the deployer's to fix, not a node bug
  // (without these a core module or a component of another world came back as INTERNAL).
  ['sandbox.artifact.core-module', status.INVALID_ARGUMENT],
  ['sandbox.artifact.not-wasm', status.INVALID_ARGUMENT],
  ['sandbox.artifact.wrong-world', status.INVALID_ARGUMENT],
  ['sandbox.artifact.unsupported', status.INVALID_ARGUMENT],
  ['sandbox.limits.memory-below-initial', status.INVALID_ARGUMENT],
  // A component that is too costly to prepare exhausted what the node gives one preparation.
  ['sandbox.artifact.too-complex', status.RESOURCE_EXHAUSTED],
  ['sandbox.artifact.prepare-timeout', status.RESOURCE_EXHAUSTED],
  ['sandbox.agent.init-failed', status.INVALID_ARGUMENT],
]);

/** Checked in order against the part of the code after its last dot. */
const SUFFIX_RULES: readonly [RegExp, status][] = [
  [/^(not-found|not-registered|unknown-[a-z-]+)$/, status.NOT_FOUND],
  [/^(already-exists|already-registered|exists)$/, status.ALREADY_EXISTS],
  [/^(invalid|invalid-[a-z-]+|malformed|bad-[a-z-]+)$/, status.INVALID_ARGUMENT],
  [/^([a-z-]+-full|full|too-large|[a-z-]*exhausted|[a-z-]+-limit)$/, status.RESOURCE_EXHAUSTED],
  [/^(unavailable|not-open|shutting-down|closed)$/, status.UNAVAILABLE],
  [/^(conflict|busy|not-running|precondition)$/, status.FAILED_PRECONDITION],
  [/^(timeout|deadline)$/, status.DEADLINE_EXCEEDED],
  [/^unauthenticated$/, status.UNAUTHENTICATED],
  [/^(forbidden|denied|[a-z-]+-denied)$/, status.PERMISSION_DENIED],
  [/^(unimplemented|not-supported)$/, status.UNIMPLEMENTED],
  [/^cancelled$/, status.CANCELLED],
];

export function grpcCodeFor(code: string): status {
  const exact = EXACT.get(code);
  if (exact !== undefined) return exact;
  const suffix = code.slice(code.lastIndexOf('.') + 1);
  for (const [pattern, grpcCode] of SUFFIX_RULES) if (pattern.test(suffix)) return grpcCode;
  return status.INTERNAL;
}

// Trailers are size-limited (8 KiB by default in most clients): keep details comfortably small.
const MAX_TEXT = 1000;
const MAX_META_VALUE = 400;
const MAX_META_ENTRIES = 16;

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A `Partial<StatusObject>` grpc-js accepts as a handler error, with details in the trailer. */
export function statusFromCaxtonError(err: CaxtonError): Partial<StatusObject> & { code: status; details: string } {
  const code = grpcCodeFor(err.code);
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(err.context)) {
    if (value === undefined || Object.keys(metadata).length >= MAX_META_ENTRIES) continue;
    metadata[key] = clip(typeof value === 'string' ? value : JSON.stringify(value) ?? String(value), MAX_META_VALUE);
  }
  if (err.hint) metadata.hint = clip(err.hint, MAX_META_VALUE);
  const message = clip(err.message, MAX_TEXT);
  const details: StatusDetails = { code, message, errorInfo: { reason: err.code, domain: ERROR_DOMAIN, metadata } };
  const field = err instanceof InvalidArgumentError ? err.field : err.context.field;
  if (code === status.INVALID_ARGUMENT && typeof field === 'string') {
    details.fieldViolations = [{ field, description: message }];
  }
  if (err instanceof NotFoundError || err instanceof AlreadyExistsError) {
    details.resource = { resourceType: err.resourceType, resourceName: err.resourceName };
  } else if (code === status.NOT_FOUND && typeof err.context.agent === 'string') {
    details.resource = { resourceType: 'agent', resourceName: err.context.agent };
  }
  const trailer = new Metadata();
  trailer.set(STATUS_DETAILS_KEY, encodeStatusDetails(details));
  return { code, details: message, metadata: trailer };
}

/**
 * Any thrown value → status. Non-Caxton errors are bugs: the operator gets a generic INTERNAL and
 * the full error goes to `report` (the node's log), because stack traces and internal messages
 * are not for remote callers.
 */
export function toGrpcStatus(err: unknown, method: string, report: (err: unknown, method: string) => void): Partial<StatusObject> & { code: status; details: string } {
  if (err instanceof CaxtonError) {
    const s = statusFromCaxtonError(err);
    if (s.code === status.INTERNAL) report(err, method);
    return s;
  }
  report(err, method);
  return statusFromCaxtonError(
    new CaxtonError('api.internal', `internal error in ${method}`, { hint: "this is a bug in Caxton; the node's log has the details" }),
  );
}
