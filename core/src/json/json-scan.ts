/** Small scanning steps over JSON text that is already known to be valid (RFC 8259). */

/** The index of the first character at or after `i` that is not JSON whitespace. */
export function skipJsonBlanks(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i++;
  }
}

/**
 * The index of the closing quote of the string literal that contains position `i` (an opening
 * quote, or any character inside the literal that is not the second half of an escape).
 */
export function stringEnd(text: string, i: number): number {
  if (text.charCodeAt(i) === 0x22) i++;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return i;
    // An escape: skip the backslash and the character after it (a \uXXXX's hex digits are never
    // a quote or a backslash, so they are read as ordinary characters).
    i += c === 0x5c ? 2 : 1;
  }
}

const SIMPLE_ESCAPES: Record<number, string> = {
  0x22: '"', 0x5c: '\\', 0x2f: '/', 0x62: '\b', 0x66: '\f', 0x6e: '\n', 0x72: '\r', 0x74: '\t',
};

/** The value of the string literal from the quote at `open` to the quote at `close`. */
export function decodeJsonString(text: string, open: number, close: number): string {
  let out = '';
  let run = open + 1;
  for (let i = run; i < close; i++) {
    if (text.charCodeAt(i) !== 0x5c) continue;
    out += text.slice(run, i);
    const e = text.charCodeAt(i + 1);
    if (e === 0x75 /* u */) {
      // One UTF-16 code unit per \uXXXX: surrogate pairs written as two escapes join by themselves.
      out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
      i += 5;
    } else {
      out += SIMPLE_ESCAPES[e] ?? '';
      i += 1;
    }
    run = i + 1;
  }
  return out + text.slice(run, close);
}
