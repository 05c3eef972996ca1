/**
 * Character-level rules shared by validation and the codecs. Kept in one place so the validator
 * and the string codec can never disagree about what a Word or a user-parameter key is.
 * All regular expressions are compiled once, at module load.
 */
import { Buffer } from 'node:buffer';

/** UTF-8 length of a string (native, no copy). */
export function utf8ByteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/**
 * False for strings holding lone UTF-16 surrogates. Such strings cannot be written as UTF-8 or
 * passed to a WebAssembly component (the canonical ABI requires Unicode scalar values), so they
 * are rejected at the boundary instead of being silently replaced by U+FFFD somewhere later.
 */
export function isWellFormedUnicode(s: string): boolean {
  return (s as unknown as WellFormedQueryable).isWellFormed();
}

/** `s` with every lone surrogate replaced by U+FFFD (text read from a peer, made safe to pass on). */
export function toWellFormedUnicode(s: string): string {
  return (s as unknown as WellFormedQueryable).toWellFormed();
}

// String.prototype.isWellFormed and toWellFormed exist in Node 20 (V8 11.3) but are typed only in
// lib es2024, newer than the project's `lib`. Narrow local typing rather than changing the shared tsconfig.
interface WellFormedQueryable {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

// Whitespace (ASCII and Unicode), C0 and C1 control characters, DEL.
const SPACE_OR_CONTROL = /[\s\u0000-\u001f\u007f-\u009f]/;

export function hasSpaceOrControl(s: string): boolean {
  return SPACE_OR_CONTROL.test(s);
}

const CH_HASH = 0x23;
const CH_MINUS = 0x2d;
const CH_AT = 0x40;
const CH_LPAREN = 0x28;
const CH_RPAREN = 0x29;
const CH_0 = 0x30;
const CH_9 = 0x39;

/**
 * SC00070 `Word`: first character not in [0x00–0x20 ( ) # 0–9 - @], the rest not in
 * [0x00–0x20 ( )]. We also exclude `"` as first character: every lexer (JADE's and ours) reads a
 * leading quote as the start of a string, so such a word could never be read back.
 * `allowAtStart` relaxes the `@` rule the way JADE's lexer does (lenient mode).
 */
export function isFipaWord(s: string, allowAtStart = false): boolean {
  const n = s.length;
  if (n === 0) return false;
  const first = s.charCodeAt(0);
  if (first <= 0x20 || first === CH_LPAREN || first === CH_RPAREN || first === CH_HASH || first === CH_MINUS || first === 0x22)
    return false;
  if (first >= CH_0 && first <= CH_9) return false;
  if (first === CH_AT && !allowAtStart) return false;
  for (let i = 1; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c === CH_LPAREN || c === CH_RPAREN) return false;
  }
  return true;
}

/**
 * What `protocol` may hold: a Word (SC00070 reads `:protocol Word`, so it can never be quoted) made
 * of printable ASCII, because JADE's WORD token is ASCII-only and could not read anything else.
 */
export function isProtocolWord(s: string): boolean {
  // A leading ':' is legal in a Word but reads like a parameter keyword: not worth the confusion.
  if (!isFipaWord(s) || s.charCodeAt(0) === 0x3a) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

/**
 * Whether the string encoder may write a value as a bare word rather than a quoted string. Stricter
 * than `isFipaWord` so that JADE reads it back unchanged: JADE's WORD token is printable ASCII only,
 * and a bare value starting with `:` would read like a parameter keyword to a human.
 */
export function isBareWordSafe(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  const first = s.charCodeAt(0);
  if (first === CH_HASH || first === CH_MINUS || first === CH_AT || first === 0x3a /* : */) return false;
  if (first >= CH_0 && first <= CH_9) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === CH_LPAREN || c === CH_RPAREN || c === 0x22 /* " */) return false;
  }
  return true;
}

/**
 * A user-defined parameter key: `X-` (either case, as keywords are case-insensitive in SC00070)
 * followed by at least one character that is not whitespace, a control character or a
 * parenthesis (JADE's USERDEFINEDPARAM token).
 */
const USER_PARAM_KEY = /^[Xx]-[^\s\u0000-\u001f\u007f-\u009f()]+$/;

export function isUserParamKey(key: string): boolean {
  return USER_PARAM_KEY.test(key);
}

/** Cheap prefix test used to route `X-…` keys before the full rule is applied. */
export function hasUserParamPrefix(key: string): boolean {
  return key.length >= 2 && (key.charCodeAt(0) | 0x20) === 0x78 /* x */ && key.charCodeAt(1) === CH_MINUS;
}
