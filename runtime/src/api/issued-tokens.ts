/**
 * Tokens an admin issues (`caxton token issue`, decision 1760): each one carries a role, optionally
 * agent-name patterns it is confined to, an expiry and a label, and can be revoked. The token itself
 * is opaque (`cxt_…`, 256 random bits, like the node's own tokens) and shown once; the node keeps
 * only its sha256. Its id is its fingerprint — the same 16 hex digits the audit trail records for
 * every call made with it — so `caxton token list` and `caxton audit` name a token the same way.
 *
 * This is the in-memory list; issued-token-file.ts persists it. Pure apart from hashing and minting:
 * the clock is passed in.
 */
import { createHash } from 'node:crypto';
import {
  InvalidArgumentError,
  isRoleName,
  NotFoundError,
  parseAgentPatterns,
  AGENT_PATTERN_HINT,
  ROLE_NAMES,
  type Principal,
  type RoleName,
} from '@caxton/core';
import { mintToken } from './mint-token.js';

/** What the node keeps of an issued token (never the token). */
export interface IssuedTokenRecord {
  /** The token's fingerprint: the first 16 hex digits of its sha256. */
  id: string;
  label: string;
  role: RoleName;
  /** Agent-name patterns the token is confined to; absent: every agent. */
  agents?: string;
  /** sha256 of the token, hex. */
  sha256: string;
  createdAt: number;
  expiresAt: number;
  revokedAt?: number;
}

export interface IssueRequest {
  role: string;
  agents?: string;
  ttlMs: number;
  label?: string;
  /**
   * The secret to issue, minted beforehand with `mintIssuedToken` so that its id can be written
   * ahead to the audit trail before the token exists; minted here when absent. Never from the wire.
   */
  minted?: MintedToken;
}

/** A new token's secret and the id it will be known by (the first 16 hex digits of its sha256). */
export interface MintedToken {
  token: string;
  id: string;
}

export function mintIssuedToken(): MintedToken {
  const token = mintToken();
  return { token, id: sha256Hex(token).slice(0, 16) };
}

/** The longest a token may live: an issued credential must end by itself, at most after a year. */
export const MAX_ISSUED_TTL_MS = 366 * 24 * 3_600_000;
/** Issued tokens kept (live, expired and revoked): a bound on the file and on memory. */
export const MAX_ISSUED_TOKENS = 1000;
/** Expired or revoked tokens are forgotten this long after they ended (list shows them meanwhile). */
export const FORGET_ENDED_AFTER_MS = 30 * 24 * 3_600_000;

const LABEL = /^[\x20-\x7e]{0,64}$/;

export type TokenLookup =
  | { status: 'valid'; principal: Principal; record: IssuedTokenRecord }
  | { status: 'expired' | 'revoked'; record: IssuedTokenRecord };

export function sha256Hex(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Checks an issue request's fields; throws INVALID_ARGUMENT naming the bad one. */
export function checkIssueRequest(req: IssueRequest): { role: RoleName; agents: string | undefined; ttlMs: number; label: string } {
  if (!isRoleName(req.role))
    throw new InvalidArgumentError('role', `${JSON.stringify(req.role.slice(0, 40))} is not a role`, `one of ${ROLE_NAMES.join(', ')}`);
  const agents = req.agents === undefined || req.agents === '' ? undefined : req.agents;
  if (agents !== undefined && parseAgentPatterns(agents) === undefined)
    throw new InvalidArgumentError('agents', `${JSON.stringify(agents.slice(0, 80))} is not an agent-name pattern`, AGENT_PATTERN_HINT);
  if (!Number.isSafeInteger(req.ttlMs) || req.ttlMs < 1000 || req.ttlMs > MAX_ISSUED_TTL_MS) {
    throw new InvalidArgumentError('ttl_seconds', 'must be 1 second to 366 days', 'e.g. --ttl 24h, 30d');
  }
  const label = req.label ?? '';
  if (!LABEL.test(label)) throw new InvalidArgumentError('label', 'must be at most 64 printable ASCII characters', 'e.g. --name ci-team-a');
  return { role: req.role, agents, ttlMs: req.ttlMs, label };
}

export class IssuedTokens {
  private readonly byHash = new Map<string, IssuedTokenRecord>();

  constructor(records: readonly IssuedTokenRecord[] = []) {
    for (const r of records) this.byHash.set(r.sha256, r);
  }

  /** Who `token` is, or why it no longer works; undefined when it was never issued here. */
  lookup(token: string, now: number): TokenLookup | undefined {
    // A Map lookup by the token's sha256: the digest of a 256-bit random secret, so how long the
    // lookup takes says nothing an attacker can use to guess a token.
    const record = this.byHash.get(sha256Hex(token));
    if (!record) return undefined;
    if (record.revokedAt !== undefined) return { status: 'revoked', record };
    if (now >= record.expiresAt) return { status: 'expired', record };
    return {
      status: 'valid',
      record,
      principal: { role: record.role, tokenId: record.id, ...(record.agents !== undefined ? { agents: record.agents } : {}) },
    };
  }

  /** The records, newest first, without the hashes. */
  list(): Omit<IssuedTokenRecord, 'sha256'>[] {
    return [...this.byHash.values()].sort((a, b) => b.createdAt - a.createdAt).map(({ sha256: _hash, ...shown }) => shown);
  }

  records(): IssuedTokenRecord[] {
    return [...this.byHash.values()];
  }

  /** A new token and its record; the record is kept, the token is for the caller only. */
  issue(req: IssueRequest, now: number): { token: string; record: IssuedTokenRecord } {
    const checked = checkIssueRequest(req);
    this.forgetEnded(now);
    if (this.byHash.size >= MAX_ISSUED_TOKENS) {
      throw new InvalidArgumentError(
        'role',
        `this node already keeps ${MAX_ISSUED_TOKENS} issued tokens`,
        'revoke tokens no longer used (`caxton token list`, `caxton token revoke <id>`); ended ones are forgotten 30 days after they end',
      );
    }
    const token = req.minted?.token ?? mintToken();
    const sha256 = sha256Hex(token);
    const record: IssuedTokenRecord = {
      id: sha256.slice(0, 16),
      label: checked.label,
      role: checked.role,
      ...(checked.agents !== undefined ? { agents: checked.agents } : {}),
      sha256,
      createdAt: now,
      expiresAt: now + checked.ttlMs,
    };
    this.byHash.set(sha256, record);
    return { token, record };
  }

  /** Marks the token `id` revoked (again: no change). NOT_FOUND when no token has that id. */
  revoke(id: string, now: number): IssuedTokenRecord {
    const record = [...this.byHash.values()].find((r) => r.id === id);
    if (!record) throw new NotFoundError('token', id.slice(0, 64), 'list issued tokens and their ids with `caxton token list`');
    record.revokedAt ??= now;
    return record;
  }

  /** Undo an issue whose record could not be persisted: the token must not work. */
  forget(sha256: string): void {
    this.byHash.delete(sha256);
  }

  private forgetEnded(now: number): void {
    for (const [hash, r] of this.byHash) {
      const ended = Math.min(r.expiresAt, r.revokedAt ?? Infinity);
      if (now - ended > FORGET_ENDED_AFTER_MS) this.byHash.delete(hash);
    }
  }
}
