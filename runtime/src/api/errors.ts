/**
 * Errors of the management API itself (limits, authentication, uploads). The errors a node raises
 * about a request (InvalidArgumentError, NotFoundError…) are @caxton/core's control errors.
 */
import { CaxtonError, type ErrorContext } from '@caxton/core';

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
