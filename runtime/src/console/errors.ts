/**
 * The web console's own refusals, and the one table from an error's kind to an HTTP status (the
 * console's counterpart of api/grpc-status.ts). Every refusal leaves as
 * `{ error: { code, message, hint } }` (core's ConsoleErrorBody).
 */
import { CaxtonError, type ConsoleErrorBody, type ErrorContext, type ErrorKind } from '@caxton/core';

export const HTTP_STATUS_BY_KIND: Readonly<Record<ErrorKind, number>> = Object.freeze({
  'invalid-argument': 400,
  'not-found': 404,
  'already-exists': 409,
  'resource-exhausted': 429,
  'failed-precondition': 409,
  unavailable: 503,
  'deadline-exceeded': 504,
  unauthenticated: 401,
  'permission-denied': 403,
  unimplemented: 501,
  cancelled: 499,
  'data-loss': 500,
  internal: 500,
});

export type ConsoleErrorCode =
  | 'console.bad-request'
  | 'console.no-route'
  | 'console.method-not-allowed'
  | 'console.body-too-large'
  | 'console.body-too-slow'
  | 'console.json-too-complex'
  | 'console.too-many-streams'
  | 'console.history-unavailable'
  | 'console.bad-config';

const KIND: Readonly<Record<ConsoleErrorCode, ErrorKind>> = {
  'console.bad-request': 'invalid-argument',
  'console.no-route': 'not-found',
  'console.method-not-allowed': 'invalid-argument',
  'console.body-too-large': 'resource-exhausted',
  'console.body-too-slow': 'deadline-exceeded',
  'console.json-too-complex': 'invalid-argument',
  'console.too-many-streams': 'resource-exhausted',
  'console.history-unavailable': 'unimplemented',
  'console.bad-config': 'invalid-argument',
};

export const CONSOLE_ERROR_KINDS: Readonly<Record<ConsoleErrorCode, ErrorKind>> = Object.freeze(KIND);

/** Where HTTP says more than the kind does (405, 408, 413): the status, else the kind's. */
const STATUS_OVERRIDE: Partial<Record<ConsoleErrorCode, number>> = {
  'console.method-not-allowed': 405,
  'console.body-too-large': 413,
  'console.body-too-slow': 408,
  'console.json-too-complex': 413,
};

export class ConsoleError extends CaxtonError {
  constructor(code: ConsoleErrorCode, message: string, hint: string, context?: ErrorContext) {
    super(code, message, { kind: KIND[code], hint, ...(context ? { context } : {}) });
  }
}

export function httpStatusFor(err: CaxtonError): number {
  return STATUS_OVERRIDE[err.code as ConsoleErrorCode] ?? HTTP_STATUS_BY_KIND[err.kind];
}

export function errorBody(err: CaxtonError): ConsoleErrorBody {
  return { error: { code: err.code, message: err.message, ...(err.hint !== undefined ? { hint: err.hint } : {}) } };
}
