/**
 * Turning whatever a guest call threw into a crash kind, a message and a typed error. Pure apart
 * from reading the meter's record of the last memory.grow.
 */
import type { CrashKind, ErrorContext } from '@caxton/core';
import { AbiViolation, GuestExit, OutOfFuel, SandboxError } from './errors.js';
import type { FuelMeter } from './fuel/meter.js';
import type { ErrorInfo } from './results.js';

export interface Crash {
  kind: CrashKind;
  message: string;
  error: SandboxError;
}

const HINTS: Record<CrashKind, string> = {
  'out-of-fuel': "The call ran past its fuel budget: fix the loop or raise the agent's fuelPerMessage limit.",
  'out-of-memory': "The agent's memory hit its cap: free memory, or raise the agent's memoryPages limit.",
  trap: 'The agent trapped (unreachable, abort, out-of-bounds access, exit…): its instance was replaced; fix the agent.',
  'stack-overflow': 'The agent recursed too deeply: make the recursion bounded or iterative.',
  'malformed-result': 'The agent broke the canonical ABI (bad pointer, discriminant or string): rebuild it with a supported toolchain.',
  timeout: "The agent's shard was stuck past the wall-clock limit and was restarted: the agent blocked outside metered code.",
  unavailable: 'The shard was restarted because of another agent; the work was not run and can be retried.',
};

export function crashError(kind: CrashKind, message: string, context: ErrorContext, cause?: unknown): SandboxError {
  return new SandboxError(`sandbox.${kind}`, message, { context: { ...context, kind }, hint: HINTS[kind], cause });
}

export function errorInfo(e: SandboxError): ErrorInfo {
  const info: ErrorInfo = { code: e.code, message: e.message, context: { ...e.context } };
  if (e.hint !== undefined) info.hint = e.hint;
  return info;
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

export function classifyCrash(err: unknown, meter: FuelMeter | null, memoryCapPages: number, context: ErrorContext): Crash {
  const make = (kind: CrashKind, message: string): Crash => ({ kind, message, error: crashError(kind, message, context, err) });
  if (err instanceof OutOfFuel || meter?.exhausted) {
    return make('out-of-fuel', `the agent spent its fuel budget of ${meter?.budgetValue ?? (err as OutOfFuel).budget}`);
  }
  if (err instanceof AbiViolation) return make('malformed-result', err.message);
  if (err instanceof GuestExit) return make('trap', err.message);
  const text = describe(err);
  if (err instanceof RangeError && /call stack/i.test(text)) return make('stack-overflow', `stack overflow: ${text}`);
  if (err instanceof RangeError && /(allocate|out of memory)/i.test(text))
    return make('out-of-memory', `the host could not allocate the agent's memory: ${text}`);
  const refused = meter?.growRefused();
  if (refused) {
    return make(
      'out-of-memory',
      `memory.grow(${refused.requestedPages}) at ${refused.pagesBefore} pages was refused by the cap of ${memoryCapPages} pages, then the agent trapped: ${text}`,
    );
  }
  if (err instanceof WebAssembly.RuntimeError) return make('trap', text);
  if (err instanceof TypeError || err instanceof RangeError)
    return make('malformed-result', `the agent's values could not be lifted: ${text}`);
  if (err instanceof SandboxError) return make('trap', text);
  return make('trap', text);
}
