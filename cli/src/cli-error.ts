/**
 * How the CLI fails: every error becomes one short message on stderr that says what happened and
 * what to do next, and an exit code from exit-codes.ts. Connection and auth failures get advice
 * that names the address and where the token came from, because those are what users get wrong.
 */
import { status } from '@grpc/grpc-js';
import { ApiCallError } from '@caxton/runtime';
import { CaxtonError } from '@caxton/core';
import { EXIT, exitCodeForStatus, type ExitCode } from './exit-codes.js';

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

/** Where the CLI was talking to, for advice. */
export interface ConnectionFacts {
  address: string;
  /** e.g. `--token`, `CAXTON_TOKEN`, `.caxton/auth-token`; undefined when no token was found. */
  tokenSource?: string;
  /** The token file looked for when none was given. */
  tokenFile: string;
  timeoutMs: number;
}

/**
 * Fields → the flags that set them, so server-side validation errors point at flags. Wire fields
 * come from the API's request checks, domain fields (`limits.*`) from the node's own policy checks.
 */
const FIELD_FLAGS: Record<string, string> = {
  'limits.fuelPerMessage': '--fuel',
  'limits.memoryPages': '--memory',
  'header.name': '--name',
  'header.fuel_per_message': '--fuel',
  'header.memory_pages': '--memory',
  'header.config': '--config',
  'header.total_size': 'the artifact',
  'header.sha256': 'the artifact',
  name: '<agent>',
  agent: '<agent>',
  performatives: '--performative',
  conversation_id: '--conversation',
  key: '<key>',
  page_size: '--limit',
  prefix: '--prefix',
  'header.keep_state': '--keep-state',
};

function flagFor(field: string): string | undefined {
  const exact = FIELD_FLAGS[field];
  if (exact) return exact;
  const prefix = Object.keys(FIELD_FLAGS).find((f) => field.startsWith(`${f}.`) || field.startsWith(`${f}[`));
  return prefix ? FIELD_FLAGS[prefix] : undefined;
}

/** grpc-js wraps the socket error in prose; `connect ECONNREFUSED 127.0.0.1:1` is the useful part. */
export function transportReason(message: string): string {
  const m = /(connect E[A-Z]+|getaddrinfo E[A-Z]+ \S+|Name resolution failed for target \S+|\bE[A-Z]{4,}\b|certificate[^.]*|handshake[^.]*)/.exec(message);
  return (m?.[1] ?? message).replace(/[.:\s]+$/, '');
}

function apiAdvice(err: ApiCallError, facts: ConnectionFacts | undefined): { message: string; hint?: string } {
  // Errors from Caxton carry a code and hint; bare gRPC ones (grpc.*) come from the transport.
  const fromTransport = err.code.startsWith('grpc.');
  if (facts && fromTransport && err.grpcCode === status.UNAVAILABLE) {
    return {
      message: `no runtime at ${facts.address} (${transportReason(err.message)})`,
      hint: 'start one with `caxton serve`, or point --addr / CAXTON_ADDR at a running node (add --tls-ca if it uses TLS)',
    };
  }
  if (facts && fromTransport && err.grpcCode === status.DEADLINE_EXCEEDED) {
    return {
      message: `the runtime at ${facts.address} did not answer within ${Math.round(facts.timeoutMs / 1000)} s`,
      hint: 'it may be overloaded or stuck; check `caxton status`, or allow longer with --timeout',
    };
  }
  if (facts && err.grpcCode === status.UNAUTHENTICATED && (err.code === 'api.token-expired' || err.code === 'api.token-revoked')) {
    // An issued token that ended (decision 1760): the node says which and since when.
    return { message: `the runtime at ${facts.address} rejected the token from ${facts.tokenSource ?? 'the command line'}: ${err.message}`, ...(err.hint ? { hint: err.hint } : {}) };
  }
  if (facts && err.grpcCode === status.UNAUTHENTICATED) {
    return facts.tokenSource
      ? {
        message: `the runtime at ${facts.address} rejected the token from ${facts.tokenSource}`,
        hint: "use the token in the node's data directory (auth-token): --data-dir <dir>, --token-file or CAXTON_TOKEN; it changes with `caxton token rotate` or when that file is deleted",
      }
      : {
        message: `the runtime at ${facts.address} requires a token and none was found (looked in ${facts.tokenFile})`,
        hint: "pass --token, set CAXTON_TOKEN, or point --data-dir / CAXTON_DATA_DIR at the node's data directory",
      };
  }
  const violations = err.fieldViolations.map((v) => {
    const flag = flagFor(v.field);
    return flag ? `${v.field} (${flag})` : v.field;
  });
  const message = violations.length > 0 && !err.message.includes(violations[0]!) ? `${err.message} [${violations.join(', ')}]` : err.message;
  return err.hint ? { message, hint: err.hint } : { message };
}

export interface Explained {
  exitCode: ExitCode;
  text: string;
}

/** One error → the text for stderr and the exit code. */
export function explain(err: unknown, facts?: ConnectionFacts): Explained {
  let exitCode: ExitCode = EXIT.FAILURE;
  let message: string;
  let hint: string | undefined;
  if (err instanceof ApiCallError) {
    exitCode = exitCodeForStatus(err.grpcCode);
    ({ message, hint } = apiAdvice(err, facts));
  } else if (err instanceof CliError) {
    exitCode = err.exitCode;
    message = err.message;
    hint = err.hint;
  } else if (err instanceof CaxtonError) {
    // A token file the CLI refuses to use (readable by all, not a token) is a credentials problem.
    if (err.code.startsWith('api.token-file')) exitCode = EXIT.AUTH;
    message = err.message;
    hint = err.hint;
  } else {
    message = err instanceof Error ? err.message : String(err);
  }
  return { exitCode, text: `caxton: ${message}\n${hint ? `  hint: ${hint}\n` : ''}` };
}
