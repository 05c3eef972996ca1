/**
 * What can go wrong between the CLI and an OCI registry (decision 2172), as typed errors that say
 * which registry, repository and reference, and what to do. The exit code a script branches on is
 * the code's (exit-codes.ts): credentials 5, nothing there 3, unreachable 4, a bad reference 2, too
 * large 7, anything else — a tampered or foreign artifact, a registry answering off-protocol — 1.
 */
import { CaxtonError, type ErrorKind } from '@caxton/core';
import { EXIT, type ExitCode } from '../exit-codes.js';

export type OciErrorCode =
  | 'oci.invalid-reference'
  | 'oci.unauthorized'
  | 'oci.unreachable'
  | 'oci.not-found'
  | 'oci.digest-mismatch'
  | 'oci.not-a-component'
  | 'oci.too-large'
  | 'oci.protocol'
  | 'oci.credentials';

/** Each code's exit code and error kind: one table. */
const OF: Record<OciErrorCode, [ExitCode, ErrorKind]> = {
  'oci.invalid-reference': [EXIT.USAGE, 'invalid-argument'],
  'oci.unauthorized': [EXIT.AUTH, 'unauthenticated'],
  'oci.credentials': [EXIT.AUTH, 'unauthenticated'],
  'oci.unreachable': [EXIT.UNAVAILABLE, 'unavailable'],
  'oci.not-found': [EXIT.NOT_FOUND, 'not-found'],
  'oci.too-large': [EXIT.EXHAUSTED, 'resource-exhausted'],
  'oci.digest-mismatch': [EXIT.FAILURE, 'data-loss'],
  'oci.not-a-component': [EXIT.FAILURE, 'failed-precondition'],
  'oci.protocol': [EXIT.FAILURE, 'internal'],
};

export class OciError extends CaxtonError {
  override readonly code: OciErrorCode;
  constructor(code: OciErrorCode, message: string, opts: { context?: Record<string, unknown>; hint: string; cause?: unknown }) {
    super(code, message, {
      kind: OF[code][1],
      hint: opts.hint,
      ...(opts.context !== undefined ? { context: opts.context } : {}),
      ...(opts.cause !== undefined ? { cause: opts.cause } : {}),
    });
    this.code = code;
  }
}

/** The exit code of an OCI error (undefined: not one). */
export function ociExitCode(code: string): ExitCode | undefined {
  return Object.hasOwn(OF, code) ? OF[code as OciErrorCode][0] : undefined;
}
