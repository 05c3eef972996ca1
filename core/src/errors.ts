/**
 * Typed errors. Every error Caxton raises says what happened, carries the context an operator needs
 * to find it (agent, message id, conversation) and a hint saying what to do next.
 */
export interface ErrorContext {
  agent?: string;
  messageId?: string;
  conversationId?: string;
  [key: string]: unknown;
}

export class CaxtonError extends Error {
  /** Stable machine-readable code, e.g. `acl.invalid`, `sandbox.out-of-fuel`. */
  readonly code: string;
  readonly context: ErrorContext;
  readonly hint: string | undefined;

  constructor(code: string, message: string, opts: { context?: ErrorContext; hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
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
