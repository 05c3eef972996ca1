/**
 * What the CLI says about a failed API call: the exit code its gRPC status folds into
 * (exit-codes.ts), and advice that names the address and where the token came from. Loaded by
 * cli-error.ts on that error path only, because it needs the gRPC library (decision 1780).
 */
import { status } from '@grpc/grpc-js';
import { ApiCallError } from '@caxton/client';
import type { CaxtonError } from '@caxton/core';
import type { ConnectionFacts } from './connection-facts.js';
import { EXIT, type ExitCode } from './exit-codes.js';

export function exitCodeForStatus(code: status): ExitCode {
  switch (code) {
    case status.OK:
      return EXIT.OK;
    case status.INVALID_ARGUMENT:
    case status.OUT_OF_RANGE:
      return EXIT.USAGE;
    case status.NOT_FOUND:
      return EXIT.NOT_FOUND;
    case status.UNAVAILABLE:
    case status.DEADLINE_EXCEEDED:
      return EXIT.UNAVAILABLE;
    case status.UNAUTHENTICATED:
    case status.PERMISSION_DENIED:
      return EXIT.AUTH;
    case status.ALREADY_EXISTS:
    case status.FAILED_PRECONDITION:
    case status.ABORTED:
      return EXIT.CONFLICT;
    case status.RESOURCE_EXHAUSTED:
      return EXIT.EXHAUSTED;
    case status.CANCELLED:
      return EXIT.INTERRUPTED;
    default:
      return EXIT.FAILURE;
  }
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
  'header.kind.idle_ms': '--idle',
  'header.kind.max_active': '--max-active',
};

function flagFor(field: string): string | undefined {
  const exact = FIELD_FLAGS[field];
  if (exact) return exact;
  const prefix = Object.keys(FIELD_FLAGS).find((f) => field.startsWith(`${f}.`) || field.startsWith(`${f}[`));
  return prefix ? FIELD_FLAGS[prefix] : undefined;
}

/** grpc-js wraps the socket error in prose; `connect ECONNREFUSED 127.0.0.1:1` is the useful part. */
export function transportReason(message: string): string {
  const m =
    /(connect E[A-Z]+|getaddrinfo E[A-Z]+ \S+|Name resolution failed for target \S+|\bE[A-Z]{4,}\b|certificate[^.]*|handshake[^.]*)/.exec(
      message,
    );
  return (m?.[1] ?? message).replace(/[.:\s]+$/, '');
}

/** `host:port`, or `staging (host:port)` when a named context chose it: the name is what the operator typed. */
function target(facts: ConnectionFacts): string {
  return facts.contextName === undefined ? facts.address : `${facts.contextName} (${facts.address})`;
}

function apiAdvice(err: ApiCallError, facts: ConnectionFacts | undefined): { message: string; hint?: string } {
  // Errors from Caxton carry a code and hint; bare gRPC ones (grpc.*) come from the transport.
  const fromTransport = err.code.startsWith('grpc.');
  if (facts && fromTransport && err.grpcCode === status.UNAVAILABLE) {
    const reason = transportReason(err.message);
    return facts.contextName === undefined
      ? {
          message: `no runtime at ${facts.address} (${reason})`,
          hint: 'start one with `caxton serve`, or point --addr / CAXTON_ADDR at a running node (add --tls-ca if it uses TLS)',
        }
      : {
          message: `could not reach ${target(facts)}: ${reason}`,
          hint: `is the node running? \`caxton context show ${facts.contextName}\` shows the saved connection; fix it with \`caxton context add ${facts.contextName} … --force\`, or choose another with --context / \`caxton context use\``,
        };
  }
  if (facts && fromTransport && err.grpcCode === status.DEADLINE_EXCEEDED) {
    return {
      message: `the runtime at ${target(facts)} did not answer within ${Math.round(facts.timeoutMs / 1000)} s`,
      hint: 'it may be overloaded or stuck; check `caxton status`, or allow longer with --timeout',
    };
  }
  if (facts && err.grpcCode === status.UNAUTHENTICATED && (err.code === 'api.token-expired' || err.code === 'api.token-revoked')) {
    // An issued token that ended (decision 1760): the node says which and since when.
    return {
      message: `the runtime at ${target(facts)} rejected the token from ${facts.tokenSource ?? 'the command line'}: ${err.message}`,
      ...(err.hint ? { hint: err.hint } : {}),
    };
  }
  if (facts && err.grpcCode === status.UNAUTHENTICATED) {
    if (facts.tokenSource) {
      return {
        message: `the runtime at ${target(facts)} rejected the token from ${facts.tokenSource}`,
        hint: "use the token in the node's data directory (auth-token): --data-dir <dir>, --token-file or CAXTON_TOKEN; it changes with `caxton token rotate` or when that file is deleted",
      };
    }
    if (facts.tokenFile === undefined) {
      return {
        message: `the runtime at ${target(facts)} requires a token and context ${facts.contextName} names no token file`,
        hint: `save one with \`caxton context add ${facts.contextName} --address ${facts.address} --token-file <file> --force\`, or pass --token-file / CAXTON_TOKEN`,
      };
    }
    return {
      message: `the runtime at ${target(facts)} requires a token and none was found (looked in ${facts.tokenFile})`,
      hint: "pass --token, set CAXTON_TOKEN, or point --data-dir / CAXTON_DATA_DIR at the node's data directory",
    };
  }
  const violations = err.fieldViolations.map((v) => {
    const flag = flagFor(v.field);
    return flag ? `${v.field} (${flag})` : v.field;
  });
  const message =
    violations.length > 0 && !err.message.includes(violations[0]!) ? `${err.message} [${violations.join(', ')}]` : err.message;
  return err.hint ? { message, hint: err.hint } : { message };
}

/** An API error → exit code, message and hint; undefined for any other error. */
export function adviseApiError(
  err: CaxtonError,
  facts: ConnectionFacts | undefined,
): { exitCode: ExitCode; message: string; hint?: string } | undefined {
  if (!(err instanceof ApiCallError)) return undefined;
  return { exitCode: exitCodeForStatus(err.grpcCode), ...apiAdvice(err, facts) };
}
