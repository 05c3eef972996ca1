/**
 * Who made a call, for the audit trail (decision 1402): the role the bearer token matched and a
 * short fingerprint of the token. The fingerprint tells records apart by token (which of two
 * rotated tokens, the same wrong token tried again and again) without putting the token anywhere:
 * 16 hex digits of its sha256, which cannot be turned back into a 256-bit random token.
 */
import { createHash } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';
import { CHANGE_SET_ID, type AuditRole } from '@caxton/core';
import type { IssuedTokens } from './issued-tokens.js';
import type { TokenSet } from './token-set.js';

export interface Caller {
  role: AuditRole;
  /** '' when no bearer token was sent. */
  token: string;
  /** The change set the client said the call belongs to (metadata `caxton-change-set`), when well-formed. */
  changeSet?: string;
}

/** The metadata entry a client names a change set in (`caxton apply`), and its one reader. */
export const CHANGE_SET_METADATA = 'caxton-change-set';

/** The change set named in `metadata`; undefined when none, or when it is not a plain short id (it is then not recorded). */
export function changeSetOf(metadata: Metadata): string | undefined {
  const values = metadata.get(CHANGE_SET_METADATA);
  if (values.length !== 1) return undefined;
  const text = typeof values[0] === 'string' ? values[0] : values[0]!.toString('utf8');
  return CHANGE_SET_ID.test(text) ? text : undefined;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

export function tokenFingerprint(token: string): string {
  return digest(token).toString('hex').slice(0, 16);
}

/**
 * The token in `authorization` values as a caller presented them (gRPC metadata, an HTTP header),
 * and whether it is a well-formed single bearer token. A malformed or repeated entry is returned
 * whole, so its fingerprint still tells attempts apart.
 */
export function presentedToken(values: readonly (string | Buffer)[]): { token: string; bearer: boolean } | undefined {
  if (values.length === 0) return undefined;
  const header = typeof values[0] === 'string' ? values[0] : values[0]!.toString('utf8');
  const bearer = values.length === 1 && BEARER.test(header);
  return { token: (bearer ? BEARER.exec(header)?.[1] : undefined) ?? header, bearer };
}

/**
 * Identifies callers by the node's tokens — the same TokenSet the API checks, so a token still in
 * its rotation overlap is recognised too, and the issued tokens (an expired or revoked one is
 * `none`: it no longer has a role; its fingerprint, which is its id, still says which it was);
 * without tokens (auth off) every caller is `none`. A malformed or repeated authorization entry is
 * fingerprinted as sent, so the record still tells attempts apart.
 */
export function callerIdentifier(
  tokens: TokenSet | undefined,
  issued?: IssuedTokens,
  now: () => number = Date.now,
): (metadata: Metadata) => Caller {
  return (metadata) => {
    const changeSet = changeSetOf(metadata);
    const set = changeSet === undefined ? {} : { changeSet };
    const presented = presentedToken(metadata.get('authorization'));
    if (!presented) return { role: 'none', token: '', ...set };
    let role: AuditRole | undefined;
    if (presented.bearer && tokens !== undefined) {
      const at = now();
      role = tokens.roleOf(presented.token, at);
      if (role === undefined) {
        const found = issued?.lookup(presented.token, at);
        if (found?.status === 'valid') role = found.principal.role;
      }
    }
    return { role: role ?? 'none', token: tokenFingerprint(presented.token), ...set };
  };
}

/**
 * Who made an HTTP call to one of the node's gateways (console, A2A, MCP), for the audit trail: the
 * role resolved for it, the fingerprint of the token it presented (the same the API records for the
 * same token), and `<gateway> <address>:<port>` as its peer.
 */
export function httpCaller(
  gateway: string,
  req: { headers: { authorization?: string | undefined }; socket: { remoteAddress?: string | undefined; remotePort?: number | undefined } },
  role: AuditRole,
): { role: AuditRole; token: string; peer: string } {
  const header = req.headers.authorization;
  const presented = presentedToken(header === undefined ? [] : [header]);
  return {
    role,
    token: presented ? tokenFingerprint(presented.token) : '',
    peer: `${gateway} ${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? 0}`,
  };
}
