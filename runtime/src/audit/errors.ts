/**
 * Errors of the audit trail (decision 1402). The codes are stable; each says what sort of failure
 * it is for a caller (decision 1105).
 */
import { CaxtonError, type ErrorContext, type ErrorKind } from '@caxton/core';

export type AuditErrorCode =
  /** The trail cannot take records now (a failed write, etcd unreachable): retry once it is back. */
  | 'audit.unavailable'
  /** The stored trail is damaged other than in a torn tail, so it cannot be continued. */
  | 'audit.corrupt'
  /** A request the trail cannot answer (a range that is not whole numbers…). */
  | 'audit.invalid'
  /** The trail ends before its signed anchor: records were cut off its end (decision 1750). */
  | 'audit.truncated'
  /** The trail holds another hash at the anchored index: it was rewritten (decision 1750). */
  | 'audit.anchor-mismatch'
  /** The node's audit key file is readable by others. */
  | 'audit.key-exposed'
  /** The node's audit key file is not an Ed25519 private key. */
  | 'audit.key-invalid';

export const AUDIT_ERROR_KINDS: Readonly<Record<AuditErrorCode, ErrorKind>> = Object.freeze({
  'audit.unavailable': 'unavailable',
  'audit.corrupt': 'data-loss',
  'audit.invalid': 'invalid-argument',
  'audit.truncated': 'data-loss',
  'audit.anchor-mismatch': 'data-loss',
  'audit.key-exposed': 'internal',
  'audit.key-invalid': 'internal',
});

export class AuditError extends CaxtonError {
  constructor(code: AuditErrorCode, message: string, opts: { context?: ErrorContext; hint?: string; cause?: unknown } = {}) {
    super(code, message, { kind: AUDIT_ERROR_KINDS[code], ...opts });
  }
}
