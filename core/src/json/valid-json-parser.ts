/**
 * A JSON parser for text that `JSON.parse` has already accepted, used only when a key is written
 * with an escape (see parse-json.ts for why). It builds the same value `JSON.parse` would: own,
 * enumerable data properties (a `__proto__` key included, never a prototype change), the last of
 * duplicated keys winning at the first one's position, numbers read as `Number` reads them.
 * Iterative with an explicit stack, so nesting depth cannot overflow the call stack.
 */
import { decodeJsonString, skipJsonBlanks, stringEnd } from './json-scan.js';

type Container = Record<string, unknown> | unknown[];

export function parseValidJson(text: string): unknown {
  const stack: Container[] = [];
  const keys: string[] = []; // the key being filled in each open container ('' for arrays)
  let i = 0;
  for (;;) {
    // A value starts at i (after blanks).
    i = skipJsonBlanks(text, i);
    let value: unknown;
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      const close = c === 0x7b ? 0x7d : 0x5d;
      i = skipJsonBlanks(text, i + 1);
      if (text.charCodeAt(i) === close) {
        value = c === 0x7b ? {} : [];
        i++;
      } else {
        stack.push(c === 0x7b ? {} : []);
        if (c === 0x7b) {
          const [key, next] = readKey(text, i);
          keys.push(key);
          i = next;
        } else {
          keys.push('');
        }
        continue;
      }
    } else if (c === 0x22 /* " */) {
      const end = stringEnd(text, i);
      value = decodeJsonString(text, i, end);
      i = end + 1;
    } else if (c === 0x74 /* t */) {
      value = true;
      i += 4;
    } else if (c === 0x66 /* f */) {
      value = false;
      i += 5;
    } else if (c === 0x6e /* n */) {
      value = null;
      i += 4;
    } else {
      const start = i;
      while (i < text.length && isNumberChar(text.charCodeAt(i))) i++;
      value = Number(text.slice(start, i));
    }
    // Put the value in its container; close every container that ends here.
    for (;;) {
      const top = stack[stack.length - 1];
      if (top === undefined) return value;
      if (Array.isArray(top)) top.push(value);
      else setOwn(top, keys[keys.length - 1] as string, value);
      i = skipJsonBlanks(text, i);
      const d = text.charCodeAt(i);
      i++;
      if (d === 0x2c /* , */) {
        if (!Array.isArray(top)) {
          const [key, next] = readKey(text, skipJsonBlanks(text, i));
          keys[keys.length - 1] = key;
          i = next;
        }
        break;
      }
      value = stack.pop();
      keys.pop();
    }
  }
}

/** A key at `i` (its opening quote): its value, and the index just after its colon. */
function readKey(text: string, i: number): [string, number] {
  const end = stringEnd(text, i);
  return [decodeJsonString(text, i, end), skipJsonBlanks(text, end + 1) + 1];
}

function isNumberChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45;
}

function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}
