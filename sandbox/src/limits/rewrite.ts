/**
 * Byte-level rewrites of a core module that put its memories and tables under host control.
 * Pure functions over bytes (no binaryen, no I/O), applied once per artifact after the fuel pass:
 *
 * - Every memory the module defines becomes an import from `caxton:memory` (`memory0`, `memory1`,
 *   …) declaring the module's own limits. The sandbox creates each instance's memory itself with
 *   `maximum` = the agent's cap, so one compiled module serves agents with different caps, growth
 *   beyond the cap fails inside the guest (`memory.grow` returns -1), and the host can read every
 *   instance's size. Memory indices are unchanged: defined memories follow imported ones in the
 *   index space and the new imports are appended after all existing imports.
 * - Every table the module defines gets a declared maximum of at most `tableCap` elements, so
 *   `table.grow` fails past it.
 *
 * Shared memories, memory64 and custom page sizes are refused (the sandbox does not support them).
 */
import { encodeName, encodeU32 } from '@caxton/core';
import { ByteReader, concatBytes, readSections } from '../binary/reader.js';

export const MEMORY_IMPORT_MODULE = 'caxton:memory';
/** Page size and the 4 GiB memory32 ceiling: defined once, with the limits table (@caxton/core). */
export { WASM_PAGE_BYTES, MAX_MEMORY32_PAGES } from '@caxton/core';

export class LimitRewriteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LimitRewriteError';
  }
}

export interface MemoryPlan {
  /** Field name under `caxton:memory`. */
  field: string;
  initialPages: number;
  /** The module's own declared maximum, if any. */
  declaredMaxPages: number | null;
}

export interface TablePlan {
  initial: number;
  declaredMax: number | null;
  cappedMax: number;
}

export interface RewriteResult {
  bytes: Uint8Array;
  memories: MemoryPlan[];
  tables: TablePlan[];
}

interface Limits {
  flags: number;
  min: number;
  max: number | null;
}

function readLimits(r: ByteReader, what: string): Limits {
  const flags = r.u8();
  if (flags & 0x02) throw new LimitRewriteError(`${what} is shared (threads are not supported in the sandbox)`);
  if (flags & 0x04) throw new LimitRewriteError(`${what} is 64-bit (memory64 is not supported in the sandbox)`);
  if (flags & ~0x07) throw new LimitRewriteError(`${what} uses unsupported limit flags 0x${flags.toString(16)} (custom page sizes?)`);
  const min = r.u32();
  const max = flags & 0x01 ? r.u32() : null;
  return { flags, min, max };
}

function encodeLimits(min: number, max: number | null): number[] {
  return max === null ? [0x00, ...encodeU32(min)] : [0x01, ...encodeU32(min), ...encodeU32(max)];
}

function section(id: number, body: ArrayLike<number>): Uint8Array {
  return concatBytes([[id], encodeU32(body.length), body]);
}

/** Section order of the core binary format (custom sections may appear anywhere). */
const ORDER: Record<number, number> = { 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13 };

export function rewriteLimits(module: Uint8Array, tableCap: number): RewriteResult {
  const memories: MemoryPlan[] = [];
  const tables: TablePlan[] = [];
  let newTableSection: Uint8Array | null = null;
  let importEntries: Uint8Array | null = null;
  let importCount = 0;

  for (const s of readSections(module)) {
    if (s.id === 2) {
      const r = new ByteReader(module, s.bodyStart, s.end);
      importCount = r.u32();
      // Imported memories come from another module of the same component (rewritten too); this
      // pass only validates their limits.
      for (let i = 0; i < importCount; i++) {
        const mod = r.name();
        const field = r.name();
        skipImportDesc(r, `imported ${mod}#${field}`);
      }
      importEntries = module.subarray(s.bodyStart + lebLength(module, s.bodyStart), s.end);
    } else if (s.id === 5) {
      const r = new ByteReader(module, s.bodyStart, s.end);
      const count = r.u32();
      for (let i = 0; i < count; i++) {
        const l = readLimits(r, `memory ${i}`);
        memories.push({ field: `memory${i}`, initialPages: l.min, declaredMaxPages: l.max });
      }
    } else if (s.id === 4) {
      const r = new ByteReader(module, s.bodyStart, s.end);
      const count = r.u32();
      const parts: ArrayLike<number>[] = [encodeU32(count)];
      for (let i = 0; i < count; i++) {
        const start = r.pos;
        let prefix: Uint8Array;
        let initExpr: Uint8Array | null = null;
        if (module[r.pos] === 0x40) {
          r.u8();
          if (r.u8() !== 0x00) throw new LimitRewriteError(`table ${i} has an unknown encoding`);
          skipRefType(r);
          prefix = module.subarray(start, r.pos);
        } else {
          skipRefType(r);
          prefix = module.subarray(start, r.pos);
        }
        const l = readLimits(r, `table ${i}`);
        if (prefix[0] === 0x40) {
          const exprStart = r.pos;
          skipConstExpr(r);
          initExpr = module.subarray(exprStart, r.pos);
        }
        if (l.min > tableCap) {
          throw new LimitRewriteError(`table ${i} starts with ${l.min} elements, more than the sandbox's table cap of ${tableCap}`);
        }
        const cappedMax = Math.min(l.max ?? tableCap, tableCap);
        tables.push({ initial: l.min, declaredMax: l.max, cappedMax });
        parts.push(prefix, encodeLimits(l.min, cappedMax));
        if (initExpr) parts.push(initExpr);
      }
      newTableSection = section(4, concatBytes(parts));
    }
  }

  const newImports: ArrayLike<number>[] = [];
  for (const m of memories) {
    newImports.push(encodeName(MEMORY_IMPORT_MODULE), encodeName(m.field), [0x02], encodeLimits(m.initialPages, m.declaredMaxPages));
  }
  const importSection =
    memories.length === 0
      ? null
      : section(2, concatBytes([encodeU32(importCount + memories.length), importEntries ?? new Uint8Array(), ...newImports]));

  // Reassemble: drop the memory section, replace import and table sections, keep the rest verbatim.
  const out: ArrayLike<number>[] = [module.subarray(0, 8)];
  let importWritten = importSection === null;
  for (const s of readSections(module)) {
    if (!importWritten && s.id !== 0 && (ORDER[s.id] ?? 99) > ORDER[2]!) {
      out.push(importSection!);
      importWritten = true;
    }
    if (s.id === 5 && memories.length > 0) continue;
    if (s.id === 2 && importSection) {
      if (!importWritten) {
        out.push(importSection);
        importWritten = true;
      }
      continue;
    }
    if (s.id === 4 && newTableSection) {
      out.push(newTableSection);
      continue;
    }
    out.push(module.subarray(s.start, s.end));
  }
  if (!importWritten) out.push(importSection!);
  return { bytes: concatBytes(out), memories, tables };
}

function lebLength(bytes: Uint8Array, at: number): number {
  let n = 0;
  while (bytes[at + n]! & 0x80) n++;
  return n + 1;
}

function skipRefType(r: ByteReader): void {
  const b = r.u8();
  if (b === 0x63 || b === 0x64) r.s33();
}

function skipValType(r: ByteReader): void {
  skipRefType(r);
}

function skipImportDesc(r: ByteReader, what: string): void {
  const kind = r.u8();
  switch (kind) {
    case 0x00:
      r.u32();
      return;
    case 0x01:
      skipRefType(r);
      readLimits(r, what);
      return;
    case 0x02:
      readLimits(r, what);
      return;
    case 0x03:
      skipValType(r);
      r.u8();
      return;
    case 0x04:
      r.u8();
      r.u32();
      return;
    default:
      throw new LimitRewriteError(`${what} has unknown import kind 0x${kind.toString(16)}`);
  }
}

/** Skips a constant expression up to and including its `end` (0x0b). */
function skipConstExpr(r: ByteReader): void {
  for (;;) {
    const op = r.u8();
    switch (op) {
      case 0x0b:
        return;
      case 0x41:
      case 0x42:
        skipLeb(r);
        break;
      case 0x43:
        r.take(4);
        break;
      case 0x44:
        r.take(8);
        break;
      case 0x23:
      case 0xd2:
        r.u32();
        break;
      case 0xd0:
        r.s33();
        break;
      case 0x6a:
      case 0x6b:
      case 0x6c:
      case 0x7c:
      case 0x7d:
      case 0x7e:
        break;
      case 0xfb:
        r.u32();
        r.u32();
        break;
      default:
        throw new LimitRewriteError(`unsupported opcode 0x${op.toString(16)} in a table initializer`);
    }
  }
}

function skipLeb(r: ByteReader): void {
  for (let i = 0; i < 10; i++) if ((r.u8() & 0x80) === 0) return;
  throw new LimitRewriteError('LEB128 constant longer than 10 bytes');
}
