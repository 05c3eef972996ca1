/**
 * A small cursor over WebAssembly binaries (core modules and components): LEB128 integers, names,
 * vectors and length-prefixed sections. Every read is bounds-checked and throws `BinaryFormatError`
 * with the offset, so a truncated or hostile artifact fails with a precise message, never with a
 * silent misread.
 */
export class BinaryFormatError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} (at byte ${offset})`);
    this.name = 'BinaryFormatError';
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class ByteReader {
  pos: number;

  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    readonly end = bytes.length,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  fail(message: string): never {
    throw new BinaryFormatError(message, this.pos);
  }

  u8(): number {
    if (this.pos >= this.end) this.fail('unexpected end of data');
    return this.bytes[this.pos++]!;
  }

  /** Unsigned LEB128, at most 32 bits. */
  u32(): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      const byte = this.u8();
      result |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result >>> 0;
      shift += 7;
    }
    return this.fail('u32 LEB128 longer than 5 bytes');
  }

  /** Unsigned LEB128 up to 64 bits, as a bigint (memory64 limits). */
  u64(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      const byte = this.u8();
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
    return this.fail('u64 LEB128 longer than 10 bytes');
  }

  /** Signed LEB128 up to 33 bits (component value types and core block types). */
  s33(): number {
    let result = 0;
    let shift = 0;
    let byte: number;
    let i = 0;
    do {
      if (i++ >= 5) this.fail('s33 LEB128 longer than 5 bytes');
      byte = this.u8();
      result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    if (byte & 0x40) result -= 2 ** shift;
    return result;
  }

  take(length: number): Uint8Array {
    if (length < 0 || this.pos + length > this.end) this.fail(`length ${length} runs past the end`);
    const out = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  name(): string {
    const length = this.u32();
    const at = this.pos;
    try {
      return utf8.decode(this.take(length));
    } catch (err) {
      if (err instanceof BinaryFormatError) throw err;
      throw new BinaryFormatError('name is not valid UTF-8', at);
    }
  }

  vec<T>(item: (r: ByteReader) => T): T[] {
    const count = this.u32();
    if (count > this.end - this.pos) this.fail(`vector of ${count} items cannot fit in the remaining bytes`);
    const out: T[] = [];
    for (let i = 0; i < count; i++) out.push(item(this));
    return out;
  }
}

export interface Section {
  id: number;
  /** Offset of the section id byte. */
  start: number;
  /** Offsets of the section body. */
  bodyStart: number;
  end: number;
}

export const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

/**
 * The sections of a module or component body (after the 8-byte preamble), one at a time. A
 * generator, never an array: a hostile binary of empty sections (32 MiB of zeros is 16 million of
 * them) must not make the host hold one object per section — that took a preparation worker past
 * 1 GiB of heap.
 */
export function* readSections(bytes: Uint8Array): Generator<Section, void, undefined> {
  const r = new ByteReader(bytes, 8);
  while (!r.done) {
    const start = r.pos;
    const id = r.u8();
    const size = r.u32();
    const bodyStart = r.pos;
    if (bodyStart + size > bytes.length) r.fail(`section ${id} of ${size} bytes runs past the end`);
    r.pos = bodyStart + size;
    yield { id, start, bodyStart, end: bodyStart + size };
  }
}

export type BinaryKind = 'core-module' | 'component' | 'not-wasm';

/** Tells a core module from a component by the preamble's version/layer fields. */
export function binaryKind(bytes: Uint8Array): { kind: BinaryKind; version?: number; layer?: number } {
  if (bytes.length < 8 || WASM_MAGIC.some((b, i) => bytes[i] !== b)) return { kind: 'not-wasm' };
  const version = bytes[4]! | (bytes[5]! << 8);
  const layer = bytes[6]! | (bytes[7]! << 8);
  if (layer === 0) return { kind: 'core-module', version, layer };
  if (layer === 1) return { kind: 'component', version, layer };
  return { kind: 'not-wasm', version, layer };
}

export function concatBytes(parts: ArrayLike<number>[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
