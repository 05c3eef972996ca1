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
 * quote, or any character inside the literal that is not the second half of an escape). Jumps from
 * quote to quote with the native `indexOf` (a long escaped content value is on the message hot path):
 * a quote is the closing one when an even number of backslashes precedes it.
 */
export function stringEnd(text: string, i: number): number {
  let q = text.indexOf('"', text.charCodeAt(i) === 0x22 ? i + 1 : i);
  for (;;) {
    let backslashes = 0;
    while (text.charCodeAt(q - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return q;
    q = text.indexOf('"', q + 1);
  }
}

const SIMPLE_ESCAPES: Record<number, string> = {
  34: '"',
  92: '\\',
  47: '/',
  98: '\b',
  102: '\f',
  110: '\n',
  114: '\r',
  116: '\t',
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
