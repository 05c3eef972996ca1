/**
 * Typed errors for what the host refuses an agent inside a host call. Where the world lets the
 * guest see an error (`send`, `register-service` return `result<_, string>`), the refusal comes
 * back to the guest as that error; elsewhere (`set-timer`, `deregister-service`, `log`,
 * `search-services`) it is thrown and ends the call as a crash (see docs/decisions/0460).
 */
import { SandboxError } from '../errors.js';

/** An argument asked the host to lift more than its cap (checked while lifting, before allocating). */
export class LiftLimitExceeded extends SandboxError {
  // `measure`, not `kind`: CaxtonError.kind is the error's kind (resource-exhausted).
  constructor(
    readonly what: string,
    readonly limit: number,
    readonly measure: 'units' | 'items',
  ) {
    super(
      'sandbox.host.lift-limit',
      `${what}: more than ${limit} ${measure === 'units' ? 'code units of strings' : 'list entries'} to lift (aliased strings count every time they are referenced)`,
      {
        context: { what, limit, kind: measure },
        hint: 'Send less data per host call; every string and list the agent passes is counted each time it is referenced.',
      },
    );
  }
}

/** A per-agent quota refused a host call whose result type cannot carry the refusal. */
export class QuotaExceeded extends SandboxError {
  constructor(
    readonly quota: string,
    message: string,
  ) {
    super('sandbox.quota-exceeded', `quota exceeded: ${message}`, {
      context: { quota },
      hint: `The agent went past its ${quota} limit; make it do less per call (or per second), or raise the limit for its deployment.`,
    });
  }
}

/** A host function received an argument it can never accept (too long, out of range). */
export class HostArgumentRefused extends SandboxError {
  constructor(
    readonly what: string,
    message: string,
  ) {
    super('sandbox.host.argument-refused', `${what}: ${message}`, {
      context: { what },
      hint: 'The agent passed a value the host function does not accept; see the limits in docs/sandbox.md.',
    });
  }
}
