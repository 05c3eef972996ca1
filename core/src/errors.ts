/**
 * Typed errors. Every error Caxton raises says what happened, carries the context an operator needs
 * to find it (agent, message id, conversation) and a hint saying what to do next.
 *
 * Every error also carries its `kind`: what sort of failure it is for a caller (bad input, missing
 * thing, try later…). The kind is declared where the error is raised (by its class, or by the family
 * table of a class whose codes vary), never guessed from the code's spelling; the API maps kinds to
 * wire statuses with one table (runtime/src/api/grpc-status.ts). See docs/decisions/1105-error-kinds.md.
 */

/**
 * What sort of failure an error is, from the caller's side. The names follow the gRPC canonical
 * codes because those are a well-understood vocabulary, but nothing here depends on gRPC.
 */
export type ErrorKind =
  /** The caller sent something wrong; retrying the same request fails the same way. */
  | 'invalid-argument'
  | 'not-found'
  | 'already-exists'
  /** A size, count or rate limit was hit; the caller may retry later or send less. */
  | 'resource-exhausted'
  /** The request is valid but the system is not in a state to accept it (conflict, busy). */
  | 'failed-precondition'
  /** Transient: the service cannot serve right now; retrying may succeed. */
  | 'unavailable'
  | 'deadline-exceeded'
  | 'unauthenticated'
  | 'permission-denied'
  | 'unimplemented'
  | 'cancelled'
  /** Stored data is damaged. */
  | 'data-loss'
  /** A failure of Caxton (or of an agent) that the caller cannot fix by changing the request. */
  | 'internal';

export const ERROR_KINDS: readonly ErrorKind[] = Object.freeze([
  'invalid-argument',
  'not-found',
  'already-exists',
  'resource-exhausted',
  'failed-precondition',
  'unavailable',
  'deadline-exceeded',
  'unauthenticated',
  'permission-denied',
  'unimplemented',
  'cancelled',
  'data-loss',
  'internal',
]);

export function isErrorKind(value: unknown): value is ErrorKind {
  return typeof value === 'string' && (ERROR_KINDS as readonly string[]).includes(value);
}

export interface CaxtonErrorOptions {
  /** Required so that every place that raises an error decides what sort of failure it is. */
  kind: ErrorKind;
  context?: ErrorContext;
  hint?: string;
  cause?: unknown;
}
export interface ErrorContext {
  agent?: string;
  messageId?: string;
  conversationId?: string;
  [key: string]: unknown;
}

/**
 * Marks every CaxtonError, whichever copy of this module made it. `instanceof` holds only within one
 * copy, and a process can hold two: the bundled CLI beside a compiled module it imports by file URL,
 * a worker's error re-thrown in the main thread. The symbol is global (Symbol.for), so
 * isCaxtonError() recognises an error from any copy (decision 2051).
 */
export const CAXTON_ERROR_BRAND: unique symbol = Symbol.for('caxton.error') as never;

/** Is `err` a CaxtonError from this or any other copy of @caxton/core? */
export function isCaxtonError(err: unknown): err is CaxtonError {
  return (
    err instanceof CaxtonError ||
    (err instanceof Error &&
      (err as unknown as Record<symbol, unknown>)[CAXTON_ERROR_BRAND] === true &&
      typeof (err as { code?: unknown }).code === 'string')
  );
}

export class CaxtonError extends Error {
  /** Stable machine-readable code, e.g. `acl.invalid`, `sandbox.out-of-fuel`. */
  readonly code: string;
  /** What sort of failure this is for the caller; the API derives the wire status from it. */
  readonly kind: ErrorKind;
  readonly context: ErrorContext;
  readonly hint: string | undefined;

  /** The brand isCaxtonError() looks for: on the prototype, so it costs no field and never reaches JSON. */
  get [CAXTON_ERROR_BRAND](): true {
    return true;
  }

  constructor(code: string, message: string, opts: CaxtonErrorOptions) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.kind = opts.kind;
    this.context = opts.context ?? {};
    this.hint = opts.hint;
  }

  /** One line for logs and CLIs: message, context and hint. */
  describe(): string {
    const ctx = Object.entries(this.context)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    return `${this.message}${ctx ? ` [${ctx}]` : ''}${this.hint ? ` — ${this.hint}` : ''}`;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, context: this.context, hint: this.hint };
  }
}
