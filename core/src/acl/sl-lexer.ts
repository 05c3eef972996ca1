/**
 * Tokenizer for the FIPA ACL string representation (SC00070).
 *
 * Tokens: `(`, `)`, strings, and atoms. An atom is a maximal run of characters other than
 * whitespace and parentheses (SC00070 Words may contain `"` and `:`); whether an atom is a Word,
 * a Number or a DateTime matters only where the grammar restricts a value, so the parser classifies
 * atoms with the helpers below instead of the lexer guessing.
 *
 * String escaping, the one rule that breaks naive parsers: inside `"…"` the only escape is `\"`
 * (a quote). Every other backslash is literal. This is SC00070's StringLiteral and exactly what
 * JADE writes (it escapes quotes and never doubles backslashes), so JADE's `\"\\"x\\"\"` reads as
 * `"\"x\""`. A C-style unescaper would turn `\\` into `\` and corrupt real traffic.
 * Byte-length strings `#N"…` carry N UTF-8 bytes verbatim (the spec's BYTES; JADE counts chars,
 * which only differs for non-ASCII text).
 */
import { AclParseError } from './errors.js';

export const Tok = { LParen: 0, RParen: 1, Atom: 2, Str: 3, End: 4 } as const;
export type Tok = (typeof Tok)[keyof typeof Tok];

/** Longest decimal length prefix accepted in `#N"`: 999,999,999 bytes is far above any limit. */
const MAX_LENGTH_DIGITS = 9;

export class SlLexer {
  kind: Tok = Tok.End;
  /** Offsets of the current token in `text` (UTF-16 units), `end` exclusive. */
  start = 0;
  end = 0;
  /** Atom: its text. Str: the decoded string. Otherwise empty. */
  value = '';
  private pos = 0;

  constructor(readonly text: string) {}

  /**
   * The current token kind. The parser reads it through a call because `next()` mutates `kind`,
   * and TypeScript would otherwise keep a comparison's narrowing across the `next()` call.
   */
  tok(): Tok {
    return this.kind;
  }

  next(): void {
    const text = this.text;
    const n = text.length;
    let i = this.pos;
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || (c >= 0x09 && c <= 0x0d))
        i++; // space, \t \n \v \f \r
      else break;
    }
    this.start = i;
    this.value = '';
    if (i >= n) {
      this.kind = Tok.End;
      this.end = this.pos = i;
      return;
    }
    const c = text.charCodeAt(i);
    if (c === 0x28 || c === 0x29) {
      this.kind = c === 0x28 ? Tok.LParen : Tok.RParen;
      this.end = this.pos = i + 1;
      return;
    }
    if (c < 0x20 || c === 0x7f) {
      throw this.error(
        'lex.control-character',
        `control character U+${c.toString(16).padStart(4, '0')} outside a string`,
        i,
        'control characters may only appear inside quoted strings',
      );
    }
    if (c === 0x22) return this.quotedString(i);
    if (c === 0x23 /* # */ && this.byteLengthString(i)) return;
    let j = i + 1;
    for (;;) {
      const d = text.charCodeAt(j); // NaN at the end: fails every test below
      if (j >= n || d <= 0x20 || d === 0x28 || d === 0x29 || d === 0x7f) break;
      j++;
    }
    this.kind = Tok.Atom;
    this.value = text.slice(i, j);
    this.end = this.pos = j;
  }

  error(rule: string, message: string, position = this.start, hint?: string): AclParseError {
    return new AclParseError(
      hint === undefined
        ? { format: 'string', rule, message, position, input: this.text }
        : { format: 'string', rule, message, position, input: this.text, hint },
    );
  }

  private quotedString(open: number): void {
    const text = this.text;
    let out = '';
    let chunk = open + 1;
    let from = chunk;
    for (;;) {
      const q = text.indexOf('"', from);
      if (q < 0) {
        throw this.error(
          'string.unterminated',
          'string is never closed',
          open,
          'close it with a double quote; a quote inside a string is written \\"',
        );
      }
      // A quote right after a backslash is an escaped quote; the backslash is dropped, nothing else.
      if (text.charCodeAt(q - 1) === 0x5c && q - 1 >= chunk) {
        out += `${text.slice(chunk, q - 1)}"`;
        chunk = from = q + 1;
        continue;
      }
      this.kind = Tok.Str;
      this.value = chunk === open + 1 ? text.slice(chunk, q) : out + text.slice(chunk, q);
      this.end = this.pos = q + 1;
      return;
    }
  }

  /** Reads `#N"` + N bytes; returns false when the `#` does not start one (then it is an atom). */
  private byteLengthString(hash: number): boolean {
    const text = this.text;
    let i = hash + 1;
    while (i < text.length && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) i++;
    const digits = i - hash - 1;
    if (digits === 0 || text.charCodeAt(i) !== 0x22) return false;
    if (digits > MAX_LENGTH_DIGITS) throw this.error('string.bad-length', 'byte-length prefix is too large', hash);
    let remaining = Number(text.slice(hash + 1, i));
    const start = i + 1;
    let j = start;
    while (remaining > 0) {
      if (j >= text.length) {
        throw this.error('string.unterminated', `byte-length string ends ${remaining} byte(s) early`, hash, 'N in #N"… counts UTF-8 bytes');
      }
      const c = text.charCodeAt(j);
      let bytes: number;
      let units = 1;
      if (c < 0x80) bytes = 1;
      else if (c < 0x800) bytes = 2;
      else if (c >= 0xd800 && c <= 0xdbff && (text.charCodeAt(j + 1) & 0xfc00) === 0xdc00) {
        bytes = 4;
        units = 2;
      } else if (c >= 0xd800 && c <= 0xdfff) {
        throw this.error('string.ill-formed', 'lone UTF-16 surrogate inside a byte-length string', j);
      } else bytes = 3;
      if (bytes > remaining) {
        throw this.error(
          'string.bad-length',
          'byte-length string ends in the middle of a character',
          hash,
          'N in #N"… counts UTF-8 bytes, not characters',
        );
      }
      remaining -= bytes;
      j += units;
    }
    this.kind = Tok.Str;
    this.value = text.slice(start, j);
    this.end = this.pos = j;
    return true;
  }
}

/** SC00070 Number: Integer (decimal or 0x hex) or Float, with an optional sign. Linear scan. */
export function isFipaNumber(s: string): boolean {
  const n = s.length;
  let i = 0;
  if (s.charCodeAt(0) === 0x2b || s.charCodeAt(0) === 0x2d) i++;
  if (s.charCodeAt(i) === 0x30 && (s.charCodeAt(i + 1) | 0x20) === 0x78 /* x */) {
    i += 2;
    const first = i;
    while (i < n && isHexDigit(s.charCodeAt(i))) i++;
    return i > first && i === n;
  }
  const intStart = i;
  while (isDigit(s.charCodeAt(i))) i++;
  let mantissaDigits = i - intStart;
  if (s.charCodeAt(i) === 0x2e /* . */) {
    i++;
    const fracStart = i;
    while (isDigit(s.charCodeAt(i))) i++;
    mantissaDigits += i - fracStart;
  }
  if (mantissaDigits === 0) return false;
  if ((s.charCodeAt(i) | 0x20) === 0x65 /* e */) {
    i++;
    if (s.charCodeAt(i) === 0x2b || s.charCodeAt(i) === 0x2d) i++;
    const expStart = i;
    while (isDigit(s.charCodeAt(i))) i++;
    if (i === expStart) return false;
  }
  return i === n;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHexDigit(c: number): boolean {
  return isDigit(c) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);
}
