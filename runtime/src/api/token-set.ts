/**
 * The tokens a node accepts right now (decisions 0804, 1401): the current admin and read tokens,
 * and — for a while after `caxton token rotate` — the previous pair, so clients holding the old
 * token keep working until they re-read it. Only sha256 digests are kept; every check compares the
 * given token against every digest in constant time, so neither which token matched nor whether an
 * old one is still in its overlap shows in the timing. Pure apart from hashing: the clock is passed in.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Role } from './access.js';

interface Pair {
  admin: Buffer;
  read: Buffer | undefined;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function pair(tokens: { admin: string; read?: string }): Pair {
  return { admin: digest(tokens.admin), read: tokens.read === undefined ? undefined : digest(tokens.read) };
}

/** Longest overlap a rotation may ask for: old tokens must not live on for days by accident. */
export const MAX_TOKEN_OVERLAP_MS = 24 * 3_600_000;

export class TokenSet {
  private current: Pair;
  private previous: (Pair & { until: number }) | undefined;

  constructor(tokens: { admin: string; read?: string }) {
    this.current = pair(tokens);
  }

  /** The role of `token`, or undefined when it is none of the accepted tokens at `now`. */
  roleOf(token: string, now: number): Role | undefined {
    const given = digest(token);
    const same = (d: Buffer | undefined): boolean => d !== undefined && timingSafeEqual(given, d);
    // All comparisons always run (no short-circuit): the timing says nothing about which matched.
    const admin = [same(this.current.admin), same(this.previous?.admin)];
    const read = [same(this.current.read), same(this.previous?.read)];
    const inOverlap = this.previous !== undefined && now < this.previous.until;
    if (admin[0] || (admin[1] && inOverlap)) return 'admin';
    if (read[0] || (read[1] && inOverlap)) return 'read';
    return undefined;
  }

  /** Replaces the tokens; the ones replaced stay valid until `now + overlapMs` (0: refused at once). */
  rotate(next: { admin: string; read: string }, overlapMs: number, now: number): { previousValidUntil: number } {
    const until = now + overlapMs;
    this.previous = { ...this.current, until };
    this.current = pair(next);
    return { previousValidUntil: until };
  }
}
