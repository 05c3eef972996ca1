/** Issued tokens (decision 1760) between the node's records and the wire, both ways; never a token value. */
import type * as W from './wire.js';

/** An issued token as clients see it (`caxton token list --json`). */
export interface IssuedTokenView {
  id: string;
  label: string;
  role: string;
  /** Agent-name patterns it is confined to; absent: every agent. */
  agents?: string;
  createdAt: number;
  expiresAt: number;
  /** When it was revoked; absent: it was not. */
  revokedAt?: number;
}

/** The node passes its own records (issued-tokens.ts); they carry everything a view does. */
export function issuedToWire(r: IssuedTokenView): W.WireIssuedToken {
  return {
    id: r.id,
    label: r.label,
    role: r.role,
    agents: r.agents ?? '',
    createdUnixMs: r.createdAt,
    expiresUnixMs: r.expiresAt,
    revokedUnixMs: r.revokedAt ?? 0,
  };
}

export function issuedFromWire(w: W.WireIssuedToken | undefined): IssuedTokenView {
  const t = w ?? { id: '', label: '', role: '', agents: '', createdUnixMs: 0, expiresUnixMs: 0, revokedUnixMs: 0 };
  return {
    id: t.id,
    label: t.label,
    role: t.role,
    ...(t.agents !== '' ? { agents: t.agents } : {}),
    createdAt: t.createdUnixMs,
    expiresAt: t.expiresUnixMs,
    ...(t.revokedUnixMs > 0 ? { revokedAt: t.revokedUnixMs } : {}),
  };
}
