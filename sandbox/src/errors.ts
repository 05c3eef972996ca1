/**
 * Typed sandbox errors. Everything the sandbox throws to its callers is a SandboxError (a
 * CaxtonError) with a stable code, the context an operator needs (agent, messageId, kind, fuelUsed,
 * digest…) and a hint. Crashes of a guest are not thrown: they come back as `crashed` results
 * (results.ts), whose `error` field is one of these.
 */
import type { CrashKind, ErrorContext, ErrorKind } from '@caxton/core';
import { CaxtonError } from '@caxton/core';

/** The last part of `sandbox.artifact.<code>`: why an artifact cannot be deployed. */
export type ArtifactErrorCode =
  | 'not-wasm'
  | 'core-module'
  | 'wrong-world'
  | 'unsupported'
  | 'invalid'
  | 'over-limit'
  | 'too-large'
  | 'too-complex'
  | 'prepare-timeout'
  | 'not-cached'
  | 'cache-key-mismatch'
  | 'compile-failed'
  | 'glue-invalid'
  | 'cache-unsafe'
  | 'cache-entry-refused'
  | 'cache-write-failed';

/** Every code the sandbox raises. Crashes are `sandbox.<crash kind>` (see traps.ts). */
export type SandboxErrorCode =
  | `sandbox.artifact.${ArtifactErrorCode}`
  | `sandbox.${CrashKind}`
  | 'sandbox.guest-exit'
  | 'sandbox.agent.exists'
  | 'sandbox.agent.init-failed'
  | 'sandbox.agent.init-timeout'
  | 'sandbox.limits.memory-below-initial'
  | 'sandbox.host.lift-limit'
  | 'sandbox.host.argument-refused'
  | 'sandbox.quota-exceeded'
  | 'sandbox.pool.closed'
  | 'sandbox.shard.closed'
  | 'sandbox.shard.reset'
  | 'sandbox.shard.internal'
  | 'sandbox.shard.hand-off';

/**
 * What sort of failure each sandbox code is. What the sandbox says about an artifact or its init is
 * the deployer's to fix (invalid-argument), a component too costly to prepare exhausted what the
 * node gives one preparation, a closed pool is a node going down (unavailable); an agent's crash is
 * internal to the caller. One exhaustive table so a new code cannot be added without a kind.
 */
export const SANDBOX_ERROR_KINDS: Readonly<Record<SandboxErrorCode, ErrorKind>> = Object.freeze({
  'sandbox.artifact.not-wasm': 'invalid-argument',
  'sandbox.artifact.core-module': 'invalid-argument',
  'sandbox.artifact.wrong-world': 'invalid-argument',
  'sandbox.artifact.unsupported': 'invalid-argument',
  'sandbox.artifact.invalid': 'invalid-argument',
  'sandbox.artifact.over-limit': 'resource-exhausted',
  'sandbox.artifact.too-large': 'resource-exhausted',
  'sandbox.artifact.too-complex': 'resource-exhausted',
  'sandbox.artifact.prepare-timeout': 'resource-exhausted',
  'sandbox.artifact.not-cached': 'internal',
  'sandbox.artifact.cache-key-mismatch': 'internal',
  'sandbox.artifact.compile-failed': 'internal',
  'sandbox.artifact.glue-invalid': 'internal',
  // The node's prepare cache directory is not its own alone (decision 2135): the operator's to fix.
  'sandbox.artifact.cache-unsafe': 'failed-precondition',
  // A cached entry failed its check and was discarded; what a caller sees is a fresh preparation.
  'sandbox.artifact.cache-entry-refused': 'internal',
  // A prepared entry did not reach the disk; the deploy used it from memory (reported, not raised).
  'sandbox.artifact.cache-write-failed': 'internal',
  'sandbox.out-of-fuel': 'internal',
  'sandbox.out-of-memory': 'internal',
  'sandbox.trap': 'internal',
  'sandbox.stack-overflow': 'internal',
  'sandbox.malformed-result': 'internal',
  'sandbox.timeout': 'deadline-exceeded',
  'sandbox.unavailable': 'unavailable',
  'sandbox.guest-exit': 'internal',
  'sandbox.agent.exists': 'already-exists',
  'sandbox.agent.init-failed': 'invalid-argument',
  'sandbox.agent.init-timeout': 'internal',
  'sandbox.limits.memory-below-initial': 'invalid-argument',
  'sandbox.host.lift-limit': 'resource-exhausted',
  'sandbox.host.argument-refused': 'internal',
  'sandbox.quota-exceeded': 'internal',
  'sandbox.pool.closed': 'unavailable',
  'sandbox.shard.closed': 'unavailable',
  'sandbox.shard.reset': 'internal',
  'sandbox.shard.internal': 'internal',
  // The bus and a shard disagreed about kept wide messages (decision 2003): a fault of ours.
  'sandbox.shard.hand-off': 'internal',
});

/** The kind of a code that crossed a worker boundary as a string; unknown codes are internal. */
export function sandboxErrorKind(code: string): ErrorKind {
  return (SANDBOX_ERROR_KINDS as Readonly<Record<string, ErrorKind>>)[code] ?? 'internal';
}

export class SandboxError extends CaxtonError {
  /** `code` is a SandboxErrorCode; a plain string only when rebuilding an error a worker sent. */
  constructor(code: SandboxErrorCode, message: string, opts: { context?: ErrorContext; hint?: string; cause?: unknown } = {}) {
    super(code, message, { ...opts, kind: sandboxErrorKind(code) });
  }
}

/** The artifact cannot be deployed: what is wrong and what to do about it. */
export class ArtifactError extends SandboxError {}

export const CONTRACT_HINT =
  'Build the agent as a WebAssembly component of the `agent` world in wit/agent.wit (caxton:agent@0.1.0), ' +
  'e.g. `jco embed --wit wit/agent.wit --world agent` then `jco new` (AssemblyScript: add `--string-encoding utf16`), ' +
  'or use the Caxton SDKs.';

export function artifactError(
  code: ArtifactErrorCode,
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
      hint: "Raise the agent's fuel limit if the work is legitimate, otherwise fix the agent (an infinite loop?).",
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
