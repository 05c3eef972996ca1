/**
 * How the CLI fails: every error becomes one short message on stderr that says what happened and
 * what to do next, and an exit code from exit-codes.ts. Connection and auth failures get advice
 * that names the address and where the token came from, because those are what users get wrong.
 * That advice (api-error-advice.ts) needs gRPC's status codes: it is loaded on that error path only,
 * so a usage error or `--help` never loads the gRPC library (decision 1780).
 */
import { CaxtonError, isCaxtonError } from '@caxton/core';
import type { ConnectionFacts } from './connection-facts.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { ociExitCode } from './oci/errors.js';

/** A failure the CLI detects itself, with its exit code. */
export class CliError extends CaxtonError {
  readonly exitCode: ExitCode;

  constructor(exitCode: ExitCode, message: string, hint?: string) {
    // Never crosses the API: the exit code is what tells the shell what went wrong.
    super('cli.error', message, hint === undefined ? { kind: 'internal' } : { kind: 'internal', hint });
    this.exitCode = exitCode;
  }
}

/** The command line is wrong (exit 2). */
export class UsageError extends CliError {
  constructor(message: string, hint?: string) {
    super(EXIT.USAGE, message, hint);
  }
}

export type { ConnectionFacts } from './connection-facts.js';

export interface Explained {
  exitCode: ExitCode;
  text: string;
}

/**
 * A CliError from this or another copy of the CLI's modules: recognised by the Caxton brand, its
 * code and its exit code, since `instanceof` holds only within one copy (see isCaxtonError).
 */
export function isCliError(err: unknown): err is CliError {
  return (
    err instanceof CliError ||
    (isCaxtonError(err) && err.code === 'cli.error' && typeof (err as { exitCode?: unknown }).exitCode === 'number')
  );
}

/** One error → the text for stderr and the exit code. */
export async function explain(err: unknown, facts?: ConnectionFacts): Promise<Explained> {
  let exitCode: ExitCode = EXIT.FAILURE;
  let message: string;
  let hint: string | undefined;
  if (isCliError(err)) {
    exitCode = err.exitCode;
    message = err.message;
    hint = err.hint;
  } else if (isCaxtonError(err)) {
    // An API error was made by @caxton/client, so the import below costs nothing then; for other
    // Caxton errors it loads the client once, on the way out.
    const { adviseApiError } = await import('./api-error-advice.js');
    const advised = adviseApiError(err, facts);
    if (advised) {
      ({ exitCode, message, hint } = advised);
    } else {
      // A token file the CLI refuses to use (readable by all, not a token) is a credentials problem.
      if (err.code.startsWith('api.token-file')) exitCode = EXIT.AUTH;
      exitCode = ociExitCode(err.code) ?? exitCode; // an OCI registry's refusal (decision 2172)
      message = err.message;
      hint = err.hint;
    }
  } else {
    message = err instanceof Error ? err.message : String(err);
  }
  return { exitCode, text: `caxton: ${message}\n${hint ? `  hint: ${hint}\n` : ''}` };
}
