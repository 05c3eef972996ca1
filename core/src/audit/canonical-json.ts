/**
 * Canonical JSON (decision 1402): object keys sorted by code unit, no whitespace, strings escaped as
 * JSON.stringify does, integers only. Equal values give equal bytes.
 *
 * Written as UTF-8 straight into one reused buffer (decision 2198): every outside request seals two
 * audit records, and building them as strings — a `"key":value` string per member, sorted, joined,
 * then encoded to UTF-8 once to hash and once to store — was ~45 % of what the bus thread allocated
 * at half load (issue 60). Encoding is synchronous, so one writer per thread serves every call; a
 * call made while it is in use (a getter, a hash function that encodes) gets a writer of its own.
 */
import { Buffer } from 'node:buffer';

/** The shared writer's buffer is kept up to this size; a larger one (a big message digested once) is dropped after its call. */
const KEPT_BYTES = 64 * 1024;

/** Up to this many keys are sorted in place by insertion: the built-in sort allocated ~1 KB a call, a third of a record's encoding. */
const SMALL = 32;

/** Printable ASCII without `"` or `\`: written as is, quoted. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** The object's own keys in code-unit order (the default sort's), `skip` and members whose value is undefined left out. */
function sortedKeys(value: object, skip?: string): string[] {
  const keys = Object.keys(value); // a fresh array, compacted in place
  let kept = 0;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (key !== skip && (value as Record<string, unknown>)[key] !== undefined) keys[kept++] = key;
  }
  keys.length = kept;
  return keys.length > SMALL ? keys.sort() : insertionSorted(keys);
}

function insertionSorted(keys: string[]): string[] {
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    for (; j >= 0 && keys[j]! > key; j--) keys[j + 1] = keys[j]!;
    keys[j + 1] = key;
  }
  return keys;
}

class CanonicalWriter {
  private buffer = Buffer.allocUnsafeSlow(4096);
  at = 0;
  busy = false;

  /** The bytes written so far (valid until the next write). */
  get bytes(): Buffer {
    return this.buffer.subarray(0, this.at);
  }

  /** Ends a top-level encoding: a buffer grown past what is kept goes. */
  reset(): void {
    if (this.buffer.length > KEPT_BYTES) this.buffer = Buffer.allocUnsafeSlow(4096);
    this.at = 0;
    this.busy = false;
  }

  private room(bytes: number): void {
    if (this.at + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(this.buffer.length * 2, this.at + bytes));
    this.buffer.copy(grown, 0, 0, this.at);
    this.buffer = grown;
  }

  private byte(b: number): void {
    this.room(1);
    this.buffer[this.at++] = b;
  }

  private ascii(text: string): void {
    this.room(text.length);
    this.at += this.buffer.write(text, this.at, 'latin1');
  }

  private string(text: string): void {
    if (PLAIN.test(text)) {
      this.room(text.length + 2);
      this.buffer[this.at++] = 0x22;
      this.at += this.buffer.write(text, this.at, 'latin1');
      this.buffer[this.at++] = 0x22;
      return;
    }
    const quoted = JSON.stringify(text);
    this.room(Buffer.byteLength(quoted, 'utf8'));
    this.at += this.buffer.write(quoted, this.at, 'utf8');
  }

  value(value: unknown): void {
    if (value === null) return this.ascii('null');
    switch (typeof value) {
      case 'string':
        return this.string(value);
      case 'boolean':
        return this.ascii(value ? 'true' : 'false');
      case 'number':
        if (!Number.isSafeInteger(value)) throw new TypeError(`canonical JSON takes safe integers only, got ${value}`);
        return this.ascii(String(value));
      case 'object':
        if (Array.isArray(value)) return this.array(value);
        this.members(value as Record<string, unknown>);
        return;
      default:
        throw new TypeError(`canonical JSON cannot encode ${typeof value}`);
    }
  }

  private array(items: readonly unknown[]): void {
    this.byte(0x5b);
    for (let i = 0; i < items.length; i++) {
      if (i > 0) this.byte(0x2c);
      this.value(items[i]);
    }
    this.byte(0x5d);
  }

  /**
   * `{"k":v,…}` without the member `omit`. Returns where the first member whose key sorts after
   * `omit` begins (-1: none), for that member to be put in its place later.
   */
  members(value: Record<string, unknown>, omit?: string): number {
    const keys = sortedKeys(value, omit);
    let cut = -1;
    this.byte(0x7b);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      if (i > 0) this.byte(0x2c);
      if (cut < 0 && omit !== undefined && key > omit) cut = this.at;
      this.string(key);
      this.byte(0x3a);
      this.value(value[key]);
    }
    this.byte(0x7d);
    return cut;
  }
}

const shared = new CanonicalWriter();

/** Runs `body` on the shared writer, or on a writer of its own when the shared one is in use. */
function withWriter<T>(body: (w: CanonicalWriter) => T): T {
  const w = shared.busy ? new CanonicalWriter() : shared;
  w.busy = true;
  try {
    return body(w);
  } finally {
    w.reset();
  }
}

/** The canonical JSON of `value`, in a writer (valid only during the call). */
function encoded(w: CanonicalWriter, value: unknown): Buffer {
  w.value(value);
  return w.bytes;
}

/** `value` as canonical JSON text. */
export function canonicalJson(value: unknown): string {
  return withWriter((w) => encoded(w, value).toString('utf8'));
}

/** `value` as canonical JSON, UTF-8. */
export function canonicalBytes(value: unknown): Uint8Array {
  return withWriter((w) => Buffer.from(encoded(w, value)));
}

/**
 * Canonical JSON of `value` without its member `omit`, passed to `use` while it is in the buffer
 * (valid only during the call), with where `omit`'s member would go: the offset of the member that
 * sorts after it (-1: none does).
 */
export function withCanonicalOmitting<T>(value: object, omit: string, use: (bytes: Uint8Array, cut: number) => T): T {
  return withWriter((w) => {
    const cut = w.members(value as Record<string, unknown>, omit);
    return use(w.bytes, cut);
  });
}

/** Whether `bytes` are exactly the canonical JSON of `value` (compared as bytes, never decoded). */
export function isCanonicalJsonOf(bytes: Uint8Array, value: unknown): boolean {
  return withWriter((w) => encoded(w, value).equals(bytes));
}
