/**
 * Encoders of the WebAssembly binary format's integers and names (LEB128, length-prefixed UTF-8).
 * They live in core because two packages that may not see each other write Wasm: the sandbox's
 * module rewriters (limits, fuel) and the toolchain's Go post-link step (toolchain depends on core
 * only, see .dependency-cruiser.cjs). One definition, so an encoding fix reaches both.
 */

/** Unsigned LEB128 of a u32 (sizes, counts, indices). */
export function encodeU32(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/**
 * Signed LEB128 of an s32 (`i32.const` takes its immediate so). The value is taken as an i32
 * (`| 0`), so an address above 2^31 encodes as the negative number the machine sees.
 */
export function encodeS32(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    // Done once the rest is all sign: the byte's bit 6 must agree with it for a decoder to extend it.
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

/** A Wasm name: its UTF-8 byte length (u32) then the bytes. */
export function encodeName(name: string): number[] {
  const bytes = new TextEncoder().encode(name);
  return [...encodeU32(bytes.length), ...bytes];
}
