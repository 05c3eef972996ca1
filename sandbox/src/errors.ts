/**
 * Typed sandbox errors. Everything the sandbox throws to its callers is a SandboxError (a
 * CaxtonError) with a stable code, the context an operator needs (agent, messageId, kind, fuelUsed,
 * digest…) and a hint. Crashes of a guest are not thrown: they come back as `crashed` results
 * (results.ts), whose `error` field is one of these.
 */
import type { ErrorContext } from '@caxton/core';
import { CaxtonError } from '@caxton/core';

export class SandboxError extends CaxtonError {}

/** The artifact cannot be deployed: what is wrong and what to do about it. */
export class ArtifactError extends SandboxError {}

export const CONTRACT_HINT =
  'Build the agent as a WebAssembly component of the `agent` world in wit/agent.wit (caxton:agent@0.1.0), ' +
  'e.g. `jco embed --wit wit/agent.wit --world agent` then `jco new` (AssemblyScript: add `--string-encoding utf16`), ' +
  'or use the Caxton SDKs.';

export function artifactError(
  code: string,
  message: string,
  context: ErrorContext,
  hint: string = CONTRACT_HINT,
  cause?: unknown,
): ArtifactError {
  return new ArtifactError(`sandbox.artifact.${code}`, message, { context, hint, cause });
}

/**
 * Thrown (from the fuel import or a host function) when a call has spent its budget. It unwinds the
 * guest like a trap; the sandbox recognises it by type and reports `crashed: out-of-fuel`.
 */
export class OutOfFuel extends SandboxError {
  constructor(readonly budget: number) {
    super('sandbox.out-of-fuel', `the agent spent its fuel budget of ${budget}`, {
      context: { budget },
      hint: 'Raise the agent\'s fuel limit if the work is legitimate, otherwise fix the agent (an infinite loop?).',
    });
  }
}

/** Thrown by WASI `exit` inside the guest: ends the call like a trap. */
export class GuestExit extends SandboxError {
  constructor(readonly status: number) {
    super('sandbox.guest-exit', `the agent called exit(${status})`, {
      context: { status },
      hint: 'Agents must return from handle(); exiting the process is a crash.',
    });
  }
}

/** A guest broke the canonical ABI (bad pointer, bad discriminant, invalid string). */
export class AbiViolation extends SandboxError {
  constructor(message: string, context: ErrorContext = {}) {
    super('sandbox.malformed-result', message, {
      context,
      hint: 'The agent wrote invalid data across the component boundary; rebuild it with a supported toolchain.',
    });
  }
}
