/**
 * Whether a JSON text (already known to be valid) writes any object key with an escape sequence.
 * In valid JSON a backslash occurs only inside a string literal, so the first backslash after the
 * end of a string starts an escape in the next string containing one; a string literal is a key
 * exactly when the next non-blank character after it is a colon. Cost: nothing for texts without a
 * backslash, one pass over the strings that have one.
 */
import { skipJsonBlanks, stringEnd } from './json-scan.js';

export function hasEscapedKey(text: string): boolean {
  let i = text.indexOf('\\');
  while (i !== -1) {
    const close = stringEnd(text, i);
    if (text.charCodeAt(skipJsonBlanks(text, close + 1)) === 0x3a /* : */) return true;
    i = text.indexOf('\\', close + 1);
  }
  return false;
}
