/**
 * Errors raised by the infra scripts. These scripts run without a TypeScript build, so they cannot
 * import `CaxtonError` from runtime/dist; this class keeps the same shape (code, context, hint) so
 * callers and logs treat both alike.
 */
export class InfraError extends Error {
  /**
   * @param {string} code stable machine-readable code, e.g. `infra.kafka.start-timeout`
   * @param {string} message what happened
   * @param {{ context?: Record<string, unknown>, hint?: string, cause?: unknown }} [opts]
   */
  constructor(code, message, opts = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'InfraError';
    this.code = code;
    this.context = opts.context ?? {};
    this.hint = opts.hint;
  }

  describe() {
    const ctx = Object.entries(this.context)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    return `${this.message}${ctx ? ` [${ctx}]` : ''}${this.hint ? ` — ${this.hint}` : ''}`;
  }
}
