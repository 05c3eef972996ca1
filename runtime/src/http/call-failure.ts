/**
 * Why an outbound call has no response: the `HttpFailureKind` the agent reads in
 * `X-caxton-failure`, with a message for its `failure` content. Thrown inside the gateway's client
 * and turned into the answer at one place (gateway.ts); never reaches an API caller.
 */
import { CaxtonError, type HttpFailureKind } from '@caxton/core';

export class HttpCallFailure extends CaxtonError {
  constructor(
    readonly failure: HttpFailureKind,
    message: string,
    context: Record<string, unknown> = {},
  ) {
    super(`http.${failure}`, message, { kind: 'failed-precondition', context: { failure, ...context }, hint: HINTS[failure] });
  }
}

const HINTS: Record<HttpFailureKind, string> = {
  timeout: 'the service did not answer within the policy timeout; raise --http-timeout or call a faster endpoint',
  'too-large': 'the response exceeded the policy maxResponseBytes; ask for less (paging, ranges) or raise --http-max-response',
  'redirect-denied': 'the service redirected to a target the allow-list does not cover; add it with --allow-http',
  'address-denied': 'the name resolved to an address agents may not reach; use a public name, or --allow-private-http for a host you trust',
  'connect-failed': 'no connection could be made (name unknown, refused, unreachable); check the URL and that the service runs',
  tls: 'the TLS handshake failed (untrusted or mismatched certificate); for a private CA deploy with --http-ca',
  protocol: 'the service sent something that is not valid HTTP/1.1',
  'quota-exceeded': 'the agent has too many calls waiting; wait for answers before starting more',
  interrupted: 'the node stopped while the call was in flight; it was not repeated (the service may have acted on it)',
};

const TLS_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
  'EPROTO',
]);

/** Is this Node/OpenSSL error about the TLS handshake or the peer's certificate? */
export function isTlsError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') return false;
  return TLS_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') || code.startsWith('CERT_');
}

/**
 * A Node error from a request that got no (complete) response, as a failure kind. `responded`:
 * the status line had arrived, so a broken stream is a protocol problem, not a connection one.
 */
export function failureOf(err: unknown, responded: boolean): HttpCallFailure {
  if (err instanceof HttpCallFailure) return err;
  const e = err as Error & { code?: string };
  const code = e.code ?? '';
  if (isTlsError(err)) return new HttpCallFailure('tls', `TLS failed: ${e.message}`, { code });
  if (code.startsWith('HPE_') || responded) return new HttpCallFailure('protocol', `invalid response: ${e.message}`, { code });
  return new HttpCallFailure('connect-failed', `could not connect: ${e.message}`, { code });
}
