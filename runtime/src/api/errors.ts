/**
 * Errors of the management API, and ready-made ones a NodeControl implementation can throw. Each
 * declares its ErrorKind; grpc-status.ts turns the kind into the status, so the node does not have
 * to know gRPC to get the right status in front of the operator.
 */
import { CaxtonError, type ErrorContext } from '@caxton/core';

/**
 * A request field is wrong. Raised by the API layer, `field` is the wire (proto) path, e.g.
 * `header.sha256`, `structured.receivers[0]`; raised by the domain, it is the domain's own name
 * (e.g. `limits.fuelPerMessage`), never a proto field.
 */
export class InvalidArgumentError extends CaxtonError {
  readonly field: string;

  constructor(field: string, message: string, hint?: string) {
    super('api.invalid', `${field}: ${message}`, hint === undefined ? { kind: 'invalid-argument', context: { field } } : { kind: 'invalid-argument', context: { field }, hint });
    this.field = field;
  }
}

/** No such agent (or other resource). */
export class NotFoundError extends CaxtonError {
  readonly resourceType: string;
  readonly resourceName: string;

  constructor(resourceType: string, resourceName: string, hint?: string) {
    super(`${resourceType}.not-found`, `no ${resourceType} named ${resourceName}`, {
      kind: 'not-found',
      context: resourceType === 'agent' ? { agent: resourceName } : { [resourceType]: resourceName },
      hint: hint ?? (resourceType === 'agent' ? 'list deployed agents with `caxton agents`' : undefined),
    });
    this.resourceType = resourceType;
    this.resourceName = resourceName;
  }
}

export class AlreadyExistsError extends CaxtonError {
  readonly resourceType: string;
  readonly resourceName: string;

  constructor(resourceType: string, resourceName: string, hint?: string) {
    super(`${resourceType}.already-exists`, `${/^[aeiou]/i.test(resourceType) ? 'an' : 'a'} ${resourceType} named ${resourceName} already exists`, {
      kind: 'already-exists',
      context: resourceType === 'agent' ? { agent: resourceName } : { [resourceType]: resourceName },
      hint: hint ?? (resourceType === 'agent' ? 'upgrade it with `caxton upgrade`, or stop it first' : undefined),
    });
    this.resourceType = resourceType;
    this.resourceName = resourceName;
  }
}

/** A size or count limit was hit (artifact too large, too many uploads at once…). */
export class ResourceExhaustedError extends CaxtonError {
  constructor(message: string, opts: { context?: ErrorContext; hint?: string } = {}) {
    super('api.resource-exhausted', message, { ...opts, kind: 'resource-exhausted' });
  }
}

export class UnauthenticatedError extends CaxtonError {
  constructor(message: string, hint: string) {
    super('api.unauthenticated', message, { kind: 'unauthenticated', hint });
  }
}

/** Valid credentials that do not allow this call (a read-only token asking to change something). */
export class PermissionDeniedError extends CaxtonError {
  constructor(message: string, opts: { context?: ErrorContext; hint?: string } = {}) {
    super('api.permission-denied', message, { ...opts, kind: 'permission-denied' });
  }
}

/** The operation conflicts with the agent's current state (e.g. upgrade while stopping). */
export class ConflictError extends CaxtonError {
  constructor(message: string, opts: { context?: ErrorContext; hint?: string } = {}) {
    super('agent.conflict', message, { ...opts, kind: 'failed-precondition' });
  }
}

/** The node cannot serve right now (shutting down, storage unreachable). Clients may retry. */
export class UnavailableError extends CaxtonError {
  constructor(message: string, opts: { context?: ErrorContext; hint?: string } = {}) {
    super('node.unavailable', message, { ...opts, kind: 'unavailable' });
  }
}

/** A client upload ran past its idle timeout. */
export class UploadTimeoutError extends CaxtonError {
  constructor(idleMs: number) {
    super('api.upload-timeout', `no artifact data received for ${idleMs} ms; upload abandoned`, {
      kind: 'deadline-exceeded',
      context: { idleMs },
      hint: 'check the network between client and node, then retry the upload',
    });
  }
}
