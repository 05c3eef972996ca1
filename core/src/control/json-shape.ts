/**
 * A cheap pre-scan of untrusted JSON text, before `JSON.parse` (decision 1910, "JSON shape before
 * parsing"): the nesting depth and the number of values and keys, bounded by JSON_BODY_LIMITS.
 * One pass over the characters, strings skipped with `indexOf`, nothing allocated; it does not
 * validate (the parser does that after it): text that is not JSON is scanned as far as it goes
 * and left for the parser to refuse.
 */
import { JSON_BODY_LIMITS } from './limits/index.js';

export interface JsonShapeLimits {
  maxDepth: number;
  maxValues: number;
}

/** Why `text` is refused (too deep, too many values), or undefined when its shape is within the limits. */
export function jsonShapeRefusal(text: string, limits: JsonShapeLimits = JSON_BODY_LIMITS): string | undefined {
  let depth = 0;
  let values = 0;
  /** Inside a number or literal (`true`, `-1.5e3`…): its characters count one value. */
  let inScalar = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      inScalar = false;
      values++;
      // The closing quote: the next one not escaped (an odd run of backslashes escapes it).
      let q = text.indexOf('"', i + 1);
      for (;;) {
        if (q === -1) return values > limits.maxValues ? tooMany(limits) : undefined; // unterminated: the parser refuses it
        let backslashes = 0;
        while (text.charCodeAt(q - 1 - backslashes) === 0x5c) backslashes++;
        if (backslashes % 2 === 0) break;
        q = text.indexOf('"', q + 1);
      }
      i = q;
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      inScalar = false;
      values++;
      if (++depth > limits.maxDepth) return `the JSON nests arrays and objects more than ${limits.maxDepth} deep`;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      inScalar = false;
      // A closer with nothing open is not JSON (the parser refuses it); kept at 0 so the depth of
      // what follows is still counted (review of outboxfix4).
      if (depth > 0) depth--;
    } else if (c === 0x2c /* , */ || c === 0x3a /* : */ || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
      inScalar = false;
    } else if (!inScalar) {
      inScalar = true;
      values++;
    }
    if (values > limits.maxValues) return tooMany(limits);
  }
  return undefined;
}

function tooMany(limits: JsonShapeLimits): string {
  return `the JSON holds more than ${limits.maxValues} values and keys`;
}

/** The hint of every ingress's refusal of a body `jsonShapeRefusal` refused. */
export const JSON_SHAPE_HINT = `send flatter JSON with fewer values: at most ${JSON_BODY_LIMITS.maxDepth} levels of arrays and objects and ${JSON_BODY_LIMITS.maxValues} values and keys in one request`;
