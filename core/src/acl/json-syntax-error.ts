/**
 * Finds where a JSON text stops being valid JSON (RFC 8259). Only used after `JSON.parse` has
 * already failed: V8's messages do not always carry a position (`Unexpected token 'a', "abc" is not
 * valid JSON`), and operators need one to find the bad byte in a log segment.
 * Iterative with an explicit stack, so arbitrarily deep nesting cannot overflow the call stack.
 */

export interface JsonSyntaxProblem {
  position: number;
  problem: string;
}

// What the scanner expects next.
const Expect = { Value: 0, Key: 1, AfterValue: 2 } as const;
type Expect = (typeof Expect)[keyof typeof Expect];

const OBJECT = 0;
const ARRAY = 1;

export function locateJsonSyntaxError(text: string): JsonSyntaxProblem | undefined {
  const n = text.length;
  const stack: number[] = [];
  let i = skipWs(text, 0);
  let state: Expect = Expect.Value;
  for (;;) {
    if (state === Expect.AfterValue) {
      i = skipWs(text, i);
      const top = stack.length === 0 ? -1 : stack[stack.length - 1];
      if (top === -1) return i < n ? { position: i, problem: 'unexpected data after the JSON value' } : undefined;
      const c = text.charCodeAt(i);
      if (c === 0x2c /* , */) {
        i = skipWs(text, i + 1);
        state = top === OBJECT ? Expect.Key : Expect.Value;
      } else if ((top === OBJECT && c === 0x7d) || (top === ARRAY && c === 0x5d)) {
        stack.pop();
        i++;
      } else {
        return {
          position: i,
          problem: i >= n ? 'unexpected end of input' : top === OBJECT ? "expected ',' or '}'" : "expected ',' or ']'",
        };
      }
      continue;
    }
    if (i >= n) return { position: i, problem: 'unexpected end of input' };
    if (state === Expect.Key) {
      if (text.charCodeAt(i) !== 0x22) return { position: i, problem: 'expected a property name in double quotes' };
      const end = scanString(text, i);
      if (typeof end !== 'number') return end;
      i = skipWs(text, end);
      if (text.charCodeAt(i) !== 0x3a /* : */) return { position: i, problem: "expected ':' after the property name" };
      i = skipWs(text, i + 1);
      state = Expect.Value;
      continue;
    }
    // Expect.Value
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      const close = c === 0x7b ? 0x7d : 0x5d;
      i = skipWs(text, i + 1);
      if (text.charCodeAt(i) === close) {
        i++;
        state = Expect.AfterValue;
      } else {
        stack.push(c === 0x7b ? OBJECT : ARRAY);
        state = c === 0x7b ? Expect.Key : Expect.Value;
      }
      continue;
    }
    let end: number | JsonSyntaxProblem;
    if (c === 0x22) end = scanString(text, i);
    else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) end = scanNumber(text, i);
    else if (c === 0x74) end = scanLiteral(text, i, 'true');
    else if (c === 0x66) end = scanLiteral(text, i, 'false');
    else if (c === 0x6e) end = scanLiteral(text, i, 'null');
    else end = { position: i, problem: `unexpected character ${JSON.stringify(text[i])}` };
    if (typeof end !== 'number') return end;
    i = end;
    state = Expect.AfterValue;
  }
}

function skipWs(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return i;
    i++;
  }
}

function scanString(text: string, start: number): number | JsonSyntaxProblem {
  const n = text.length;
  let i = start + 1;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c < 0x20) return { position: i, problem: 'control character inside a string (escape it)' };
    if (c === 0x5c) {
      const e = text.charCodeAt(i + 1);
      if (e === 0x75 /* u */) {
        for (let k = 2; k < 6; k++) {
          if (!isHex(text.charCodeAt(i + k))) return { position: i, problem: 'bad \\u escape (needs 4 hex digits)' };
        }
        i += 6;
        continue;
      }
      if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
        i += 2;
        continue;
      }
      return { position: i, problem: 'bad escape sequence in a string' };
    }
    i++;
  }
  return { position: start, problem: 'unterminated string' };
}

function scanNumber(text: string, start: number): number | JsonSyntaxProblem {
  let i = start;
  if (text.charCodeAt(i) === 0x2d) i++;
  if (text.charCodeAt(i) === 0x30) i++;
  else if (isDigit(text.charCodeAt(i))) while (isDigit(text.charCodeAt(i))) i++;
  else return { position: i, problem: 'bad number' };
  if (text.charCodeAt(i) === 0x2e) {
    i++;
    if (!isDigit(text.charCodeAt(i))) return { position: i, problem: 'bad number: digits expected after the decimal point' };
    while (isDigit(text.charCodeAt(i))) i++;
  }
  if ((text.charCodeAt(i) | 0x20) === 0x65) {
    i++;
    if (text.charCodeAt(i) === 0x2b || text.charCodeAt(i) === 0x2d) i++;
    if (!isDigit(text.charCodeAt(i))) return { position: i, problem: 'bad number: digits expected in the exponent' };
    while (isDigit(text.charCodeAt(i))) i++;
  }
  return i;
}

function scanLiteral(text: string, start: number, word: string): number | JsonSyntaxProblem {
  return text.startsWith(word, start) ? start + word.length : { position: start, problem: `unexpected token (did you mean ${word}?)` };
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);
}
