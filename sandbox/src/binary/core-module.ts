/**
 * Reads the import and export sections of a core module: enough to check a module's interface
 * (the direct path binds a guest module by its canonical-ABI import/export names) and to count its
 * memories before instrumentation.
 */
import { ByteReader, readSections } from './reader.js';

export type ExternKind = 'func' | 'table' | 'memory' | 'global' | 'tag';
const KINDS: ExternKind[] = ['func', 'table', 'memory', 'global', 'tag'];

export interface CoreImport {
  module: string;
  field: string;
  kind: ExternKind;
  /** For functions: the type index. */
  typeIndex?: number;
}

export interface CoreExport {
  name: string;
  kind: ExternKind;
  index: number;
}

export interface CoreFuncType {
  params: string[];
  results: string[];
}

export interface CoreModuleInfo {
  imports: CoreImport[];
  exports: CoreExport[];
  types: (CoreFuncType | null)[];
  /** Type index of every defined function, in order. */
  functionTypes: number[];
  definedMemories: number;
  importedMemories: number;
}

const VALTYPES: Record<number, string> = {
  127: 'i32',
  126: 'i64',
  125: 'f32',
  124: 'f64',
  123: 'v128',
  112: 'funcref',
  111: 'externref',
};

function valType(r: ByteReader): string {
  const b = r.u8();
  if (b === 0x63 || b === 0x64) {
    r.s33();
    return 'ref';
  }
  return VALTYPES[b] ?? `0x${b.toString(16)}`;
}

function skipLimits(r: ByteReader): void {
  const flags = r.u8();
  if (flags & 0x04) {
    r.u64();
    if (flags & 0x01) r.u64();
  } else {
    r.u32();
    if (flags & 0x01) r.u32();
  }
  if (flags & 0x08) r.u32(); // custom page size log2
}

export function inspectCoreModule(bytes: Uint8Array): CoreModuleInfo {
  const info: CoreModuleInfo = { imports: [], exports: [], types: [], functionTypes: [], definedMemories: 0, importedMemories: 0 };
  for (const s of readSections(bytes)) {
    const r: ByteReader = new ByteReader(bytes, s.bodyStart, s.end);
    if (s.id === 1) {
      r.vec(() => {
        const form = r.u8();
        if (form === 0x60) {
          const params = r.vec(valType);
          const results = r.vec(valType);
          info.types.push({ params, results });
        } else {
          // GC rec groups and struct/array types: not function types we need to describe.
          info.types.push(null);
          r.pos = r.end; // the rest of the section is not needed
        }
      });
    } else if (s.id === 2) {
      r.vec(() => {
        const module = r.name();
        const field = r.name();
        const k = r.u8();
        const kind = KINDS[k];
        if (!kind) r.fail(`unknown import kind 0x${k.toString(16)}`);
        const imp: CoreImport = { module, field, kind };
        if (k === 0) imp.typeIndex = r.u32();
        else if (k === 1) {
          valType(r);
          skipLimits(r);
        } else if (k === 2) {
          skipLimits(r);
          info.importedMemories++;
        } else if (k === 3) {
          valType(r);
          r.u8();
        } else {
          r.u8();
          r.u32();
        }
        info.imports.push(imp);
      });
    } else if (s.id === 3) {
      info.functionTypes = r.vec((x) => x.u32());
    } else if (s.id === 5) {
      info.definedMemories = r.u32();
    } else if (s.id === 7) {
      r.vec(() => {
        const name = r.name();
        const k = r.u8();
        const kind = KINDS[k];
        if (!kind) r.fail(`unknown export kind 0x${k.toString(16)}`);
        info.exports.push({ name, kind, index: r.u32() });
      });
    }
  }
  return info;
}

/** The core type of an exported function, if it can be determined. */
export function exportedFuncType(info: CoreModuleInfo, name: string): CoreFuncType | null {
  const e = info.exports.find((x) => x.name === name && x.kind === 'func');
  if (!e) return null;
  const importedFuncs = info.imports.filter((i) => i.kind === 'func');
  const typeIndex = e.index < importedFuncs.length ? importedFuncs[e.index]!.typeIndex : info.functionTypes[e.index - importedFuncs.length];
  return typeIndex === undefined ? null : (info.types[typeIndex] ?? null);
}

export function importedFuncType(info: CoreModuleInfo, module: string, field: string): CoreFuncType | null {
  const i = info.imports.find((x) => x.module === module && x.field === field && x.kind === 'func');
  return i?.typeIndex === undefined ? null : (info.types[i.typeIndex] ?? null);
}
