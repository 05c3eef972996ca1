/** Typed refusals of the node's ACC (the inbound HTTP MTP endpoint) and of its configuration. */
import { CaxtonError, type ErrorKind } from '@caxton/core';

export class MtpConfigError extends CaxtonError {
  constructor(message: string, hint: string) {
    super('mtp.bad-config', message, { kind: 'invalid-argument', hint });
  }
}

/** A post the ACC refuses: `code` (`mtp.unauthenticated`, `mtp.body-too-large`, …) and its HTTP status. */
export class MtpRefusal extends CaxtonError {
  constructor(code: string, readonly status: number, message: string, hint: string, kind: ErrorKind, context: Record<string, unknown> = {}) {
    super(code, message, { kind, hint, context });
  }
}
