/**
 * Canonical JSON (decision 1402): object keys sorted by code unit, no whitespace, strings escaped as
 * JSON.stringify does, integers only. Equal values give equal bytes.
 *
 * Written as UTF-8 straight into one reused buffer (decision 2198): every outside request seals two
 * audit records, and building them as strings — a `"key":value` string per member, sorted, joined,
 * then encoded to UTF-8 once to hash and once to store — was ~45 % of what the bus thread allocated
 * at half load, the scavenges behind the request tail (issue 60). Encoding is synchronous, so one
 * buffer per thread serves every call; it grows to the largest value encoded and is given back past
 * {@link KEPT_BYTES}.
 */
import { Buffer } from 'node:buffer';

/** The buffer kept between calls; a larger one (a big message digested once) is dropped after its call. */
const KEPT_BYTES = 64 * 1024;

let scratch = Buffer.allocUnsafeSlow(4096);
let at = 0;

/** Printable ASCII without `"` or `\`: written as is, quoted. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

function room(bytes: number): void {
  if (at + bytes <= scratch.length) return;
  const grown = Buffer.allocUnsafeSlow(Math.max(scratch.length * 2, at + bytes));
  scratch.copy(grown, 0, 0, at);
  scratch = grown;
}

function byte(b: number): void {
  room(1);
  scratch[at++] = b;
}

function ascii(text: string): void {
  room(text.length);
  at += scratch.write(text, at, 'latin1');
}

function writeString(text: string): void {
  if (PLAIN.test(text)) {
    room(text.length + 2);
    scratch[at++] = 0x22;
    at += scratch.write(text, at, 'latin1');
    scratch[at++] = 0x22;
    return;
  }
  const quoted = JSON.stringify(text);
  room(quoted.length * 3);
  at += scratch.write(quoted, at, 'utf8');
}

/** The object's own keys in code-unit order (the default sort's), members whose value is undefined left out. */
export function sortedKeys(value: object, skip?: string): string[] {
  const keys = Object.keys(value); // a fresh array, compacted in place
  let kept = 0;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (key !== skip && (value as Record<string, unknown>)[key] !== undefined) keys[kept++] = key;
  }
  keys.length = kept;
  return keys.length > SMALL ? keys.sort() : insertionSorted(keys);
}

/** Up to this many keys are sorted in place by insertion: the built-in sort allocated ~1 KB a call, a third of a record's encoding. */
const SMALL = 32;

function insertionSorted(keys: string[]): string[] {
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    for (; j >= 0 && keys[j]! > key; j--) keys[j + 1] = keys[j]!;
    keys[j + 1] = key;
  }
  return keys;
}

function writeValue(value: unknown): void {
  if (value === null) return ascii('null');
  switch (typeof value) {
    case 'string':
      return writeString(value);
    case 'boolean':
      return ascii(value ? 'true' : 'false');
    case 'number':
      if (!Number.isSafeInteger(value)) throw new TypeError(`canonical JSON takes safe integers only, got ${value}`);
      return ascii(String(value));
    case 'object':
      if (Array.isArray(value)) return writeArray(value);
      return void writeMembers(value as Record<string, unknown>, sortedKeys(value));
    default:
      throw new TypeError(`canonical JSON cannot encode ${typeof value}`);
  }
}

function writeArray(items: readonly unknown[]): void {
  byte(0x5b);
  for (let i = 0; i < items.length; i++) {
    if (i > 0) byte(0x2c);
    writeValue(items[i]);
  }
  byte(0x5d);
}

/**
 * `{"k":v,…}` over `keys` (in order). Returns where the first member whose key sorts after `cutAfter`
 * begins (-1: none), for a member to be put in its place later.
 */
function writeMembers(value: Record<string, unknown>, keys: readonly string[], cutAfter?: string): number {
  let cut = -1;
  byte(0x7b);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (i > 0) byte(0x2c);
    if (cut < 0 && cutAfter !== undefined && key > cutAfter) cut = at;
    writeString(key);
    byte(0x3a);
    writeValue(value[key]);
  }
  byte(0x7d);
  return cut;
}

/** Starts a top-level encoding. */
function begin(): void {
  at = 0;
}

/** Ends a top-level encoding: a buffer grown past what is kept goes. */
function end(): void {
  if (scratch.length > KEPT_BYTES) scratch = Buffer.allocUnsafeSlow(4096);
  at = 0;
}

/** `value` as canonical JSON text. */
export function canonicalJson(value: unknown): string {
  begin();
  try {
    writeValue(value);
    return scratch.toString('utf8', 0, at);
  } finally {
    end();
  }
}

/** `value` as canonical JSON, UTF-8. */
export function canonicalBytes(value: unknown): Uint8Array {
  begin();
  try {
    writeValue(value);
    return Buffer.from(scratch.subarray(0, at));
  } finally {
    end();
  }
}

/**
 * Canonical JSON of `value` without its member `omit`, passed to `use` while it is in the buffer
 * (valid only during the call), with where `omit`'s member would go: the offset of the member that
 * sorts after it (-1: none does).
 */
export function withCanonicalOmitting<T>(value: object, omit: string, use: (bytes: Uint8Array, cut: number) => T): T {
  begin();
  try {
    const cut = writeMembers(value as Record<string, unknown>, sortedKeys(value, omit), omit);
    return use(scratch.subarray(0, at), cut);
  } finally {
    end();
  }
}
