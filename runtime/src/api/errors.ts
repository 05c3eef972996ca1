/**
 * Errors of the management API itself (limits, authentication, uploads). The errors a node raises
 * about a request (InvalidArgumentError, NotFoundError…) are @caxton/core's control errors.
 */
import { BODY_MIN_BYTES_PER_SECOND, CaxtonError, type ErrorContext } from '@caxton/core';

/** A size or count limit was hit (artifact too large, too many uploads at once…). */
export class ResourceExhaustedError extends CaxtonError {
  constructor(message: string, opts: { context?: ErrorContext; hint?: string } = {}) {
    super('api.resource-exhausted', message, { ...opts, kind: 'resource-exhausted' });
  }
}

/** No valid credentials: none, a wrong token, or an issued one that expired or was revoked (decision 1760). */
export class UnauthenticatedError extends CaxtonError {
  constructor(
    message: string,
    hint: string,
    code: 'api.unauthenticated' | 'api.token-expired' | 'api.token-revoked' = 'api.unauthenticated',
  ) {
    super(code, message, { kind: 'unauthenticated', hint });
  }
}

/**
 * Valid credentials that do not allow this call: the role lacks the permission, or the token is
 * confined to other agents (access.ts; the typed reason is in the context's `reason`).
 */
export class PermissionDeniedError extends CaxtonError {
  constructor(message: string, opts: { context?: ErrorContext; hint?: string } = {}) {
    super('api.permission-denied', message, { ...opts, kind: 'permission-denied' });
  }
}

/** An upload (artifact or state import) still incomplete at its whole deadline (bodyDeadlineMs). */
export class UploadTooSlowError extends CaxtonError {
  /** `received`: what the upload holds so far (an import's as its bound counts it). */
  constructor(what: string, deadlineMs: number, received: number) {
    super('api.upload-too-slow', `${what} not complete after ${deadlineMs} ms (${received} bytes held); abandoned, nothing was changed`, {
      kind: 'deadline-exceeded',
      context: { deadlineMs, received, minBytesPerSecond: BODY_MIN_BYTES_PER_SECOND },
      hint: `send it at ${BODY_MIN_BYTES_PER_SECOND / 1024} KiB/s or faster on average; check the network between client and node`,
    });
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
