/**
 * Merges a core module's active data segments that lie close together into one (decision 2113).
 *
 * V8 keeps, per instance, an array of every data segment's start and size (for `memory.init` and
 * `data.drop`) and copies each segment on its own at instantiation: AssemblyScript emits one segment
 * per static string or table — 151 for the echo agent — which cost ~1.8 KiB of heap per instance
 * and ~1.6 µs per instantiation. Merged, the memory starts with exactly the same bytes.
 *
 * Only consecutive active segments of memory 0 with constant `i32.const` offsets are merged, and
 * only when the next one starts at or after the end of the previous one, the gap between them
 * (filled with zeros, which linear memory already holds) is at most MAX_MERGE_GAP bytes, and no
 * earlier segment wrote into that gap. Such a gap
 * is shorter than an OS page, so every page it covers is also covered by one of its two neighbours:
 * merging never makes an instance touch a page it did not touch before. Segments are applied in
 * section order; merging only neighbours in that order, never overlapping ones, keeps the result.
 *
 * The caller must know that no instruction names a data segment by index (`memory.init`,
 * `data.drop`, `array.new_data`, `array.init_data`): merging renumbers them. Pure: bytes in, bytes out.
 */
import { encodeS32, encodeU32 } from '@caxton/core';
import { ByteReader, concatBytes, readSections } from '../binary/reader.js';

/** Largest run of zeros a merge may add between two segments: well under a 4 KiB page. */
export const MAX_MERGE_GAP = 1024;

const DATA_SECTION = 11;
const DATA_COUNT_SECTION = 12;
const I32_CONST = 0x41;
const END = 0x0b;

interface Segment {
  /** The segment's bytes as they are, for one that is not merged. */
  raw: Uint8Array;
  /** Set for an active segment of memory 0 at a constant offset (the only kind merged). */
  offset?: number;
  data: Uint8Array;
}

export interface MergedSegments {
  bytes: Uint8Array;
  /** Data segments before and after. */
  before: number;
  after: number;
}

function readSegment(r: ByteReader): Segment {
  const start = r.pos;
  const flags = r.u32();
  let offset: number | undefined;
  if (flags === 0 || flags === 2) {
    const memory = flags === 2 ? r.u32() : 0;
    // The common form `i32.const N end`; anything else (extended-const, global.get) is kept as is.
    const exprStart = r.pos;
    if (r.u8() === I32_CONST) {
      const value = r.s33();
      if (r.u8() === END && memory === 0 && value >= 0 && value <= 0xffffffff) offset = value;
    }
    if (offset === undefined) {
      r.pos = exprStart;
      skipConstExpr(r);
    }
  } else if (flags !== 1) {
    r.fail(`data segment flags ${flags} are not known`);
  }
  const data = r.take(r.u32());
  return { raw: r.bytes.subarray(start, r.pos), offset, data };
}

/** Skips a constant expression up to its `end` by decoding its instructions (all are short). */
function skipConstExpr(r: ByteReader): void {
  for (;;) {
    const op = r.u8();
    if (op === END) return;
    if (op === 0x41)
      r.s33(); // i32.const (value up to 32 bits)
    else if (op === 0x42)
      skipLeb(r); // i64.const
    else if (op === 0x23)
      r.u32(); // global.get
    else if (op === 0x6a || op === 0x6b || op === 0x6c || op === 0x7c || op === 0x7d || op === 0x7e)
      continue; // extended-const arithmetic
    else r.fail(`opcode 0x${op.toString(16)} in a data segment offset is not known`);
  }
}

function skipLeb(r: ByteReader): void {
  for (let i = 0; i < 10; i++) if ((r.u8() & 0x80) === 0) return;
  r.fail('LEB128 longer than 10 bytes');
}

function encodeActive(offset: number, parts: readonly Segment[]): Uint8Array {
  const first = parts[0]!;
  if (parts.length === 1) return first.raw;
  const last = parts[parts.length - 1]!;
  const data = new Uint8Array(last.offset! + last.data.length - offset);
  for (const p of parts) data.set(p.data, p.offset! - offset);
  return concatBytes([[0x00, I32_CONST, ...encodeS32(offset), END], encodeU32(data.length), data]);
}

function section(id: number, body: Uint8Array): Uint8Array {
  return concatBytes([[id], encodeU32(body.length), body]);
}

/** The module with its close, consecutive active data segments merged (see the file comment). */
export function mergeDataSegments(bytes: Uint8Array): MergedSegments {
  let dataSection: { start: number; end: number; bodyStart: number } | undefined;
  for (const s of readSections(bytes)) if (s.id === DATA_SECTION) dataSection = s;
  if (dataSection === undefined) return { bytes, before: 0, after: 0 };
  const segments = new ByteReader(bytes, dataSection.bodyStart, dataSection.end).vec(readSegment);
  const out: Uint8Array[] = [];
  let run: Segment[] = [];
  let runStart = 0;
  let runEnd = 0;
  // The zeros a merge writes between two segments must not cover bytes an earlier segment wrote:
  // a run may grow only if it starts at or above the end of every active segment before it
  // (`highWater`; unknown, so infinite, after one at a computed offset).
  let highWater = 0;
  let growable = false;
  const flush = () => {
    if (run.length > 0) out.push(encodeActive(runStart, run));
    highWater = Math.max(highWater, runEnd);
    run = [];
  };
  for (const s of segments) {
    if (s.offset === undefined) {
      flush();
      out.push(s.raw);
      if (s.raw[0] !== 1) highWater = Infinity; // active at a computed offset (1 = passive)
      continue;
    }
    if (growable && s.offset >= runEnd && s.offset - runEnd <= MAX_MERGE_GAP) {
      run.push(s);
      runEnd = s.offset + s.data.length;
      continue;
    }
    flush();
    run = [s];
    runStart = s.offset;
    runEnd = s.offset + s.data.length;
    growable = runStart >= highWater;
  }
  flush();
  if (out.length === segments.length) return { bytes, before: segments.length, after: segments.length };
  const parts: Uint8Array[] = [bytes.subarray(0, 8)];
  for (const s of readSections(bytes)) {
    if (s.id === DATA_SECTION) parts.push(section(DATA_SECTION, concatBytes([encodeU32(out.length), ...out])));
    else if (s.id === DATA_COUNT_SECTION) parts.push(section(DATA_COUNT_SECTION, Uint8Array.from(encodeU32(out.length))));
    else parts.push(bytes.subarray(s.start, s.end));
  }
  return { bytes: concatBytes(parts), before: segments.length, after: out.length };
}
