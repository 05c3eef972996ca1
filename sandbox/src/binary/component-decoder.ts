/**
 * Decodes the parts of a component binary the sandbox needs: its imports and exports with fully
 * resolved types (for the world check), its top-level core modules (for the direct path and the
 * instrumentation inventory) and the canonical options of every lift and lower (string encoding).
 *
 * It follows the index spaces of the component-model binary format (design/mvp/Binary.md) for the
 * component sorts (types, funcs, instances, components); core index spaces are not needed and core
 * sections are skipped by length. Anything it does not understand is reported as unsupported with
 * its offset rather than guessed at.
 */
import { ByteReader, BinaryFormatError, readSections } from './reader.js';
import type { Scope } from './component-scope.js';
import { addToIndexSpace, newScope, readAlias, readExternName, readInstance, readSortIdx } from './component-scope.js';
import { readDefType, readExternType } from './component-type-reader.js';
import { readCanon, type CanonOptions } from './canon-reader.js';
import type { Extern } from './component-types.js';
import { ComponentCounts, type ComponentLimits } from './component-limits.js';

export interface DecodedComponent {
  imports: Map<string, Extern>;
  exports: Map<string, Extern>;
  /** Top-level core modules, in definition order (views into the artifact bytes). */
  coreModules: Uint8Array[];
  /** Core modules defined inside nested components (they are instantiated too). */
  nestedCoreModules: number;
  nestedComponents: number;
  canon: CanonOptions[];
}

export class ComponentDecodeError extends BinaryFormatError {}

/** Throws ComponentLimitExceeded as soon as a count passes `limits` (component-limits.ts). */
export function decodeComponent(bytes: Uint8Array, limits?: Readonly<ComponentLimits>): DecodedComponent {
  const stats = { nestedCoreModules: 0, nestedComponents: 0 };
  const canon: CanonOptions[] = [];
  const coreModules: Uint8Array[] = [];
  const root = newScope(null);
  decodeSections(bytes, 0, bytes.length, root, { stats, canon, coreModules, top: true, counts: new ComponentCounts(limits) });
  return {
    imports: root.imports,
    exports: root.exports,
    coreModules,
    nestedCoreModules: stats.nestedCoreModules,
    nestedComponents: stats.nestedComponents,
    canon,
  };
}

interface DecodeCtx {
  stats: { nestedCoreModules: number; nestedComponents: number };
  canon: CanonOptions[];
  coreModules: Uint8Array[];
  top: boolean;
  counts: ComponentCounts;
}

/** The item count at the head of a section's vector, read without reading the items. */
function vectorCount(bytes: Uint8Array, from: number, to: number): number {
  return from < to ? new ByteReader(bytes, from, to).u32() : 0;
}

/** Functions a core module defines: its function section's count (headers only). */
function coreFunctionCount(module: Uint8Array): number {
  for (const s of readSections(module)) if (s.id === 3) return vectorCount(module, s.bodyStart, s.end);
  return 0;
}

function decodeSections(bytes: Uint8Array, start: number, end: number, scope: Scope, ctx: DecodeCtx): void {
  const view = bytes.subarray(start, end);
  for (const s of readSections(view)) {
    const r = new ByteReader(bytes, start + s.bodyStart, start + s.end);
    const at = start + s.start;
    switch (s.id) {
      case 2: // core instances
        ctx.counts.add('coreInstances', vectorCount(bytes, r.pos, r.end), at);
        break;
      case 3: // core types
        ctx.counts.add('types', vectorCount(bytes, r.pos, r.end), at);
        break;
      case 0: // custom
      case 9: // start
      case 12: // values
        break;
      case 1:
        ctx.counts.add('coreModules', 1, at);
        ctx.counts.add('functions', coreFunctionCount(bytes.subarray(r.pos, r.end)), at);
        if (ctx.top) ctx.coreModules.push(bytes.subarray(r.pos, r.end));
        else ctx.stats.nestedCoreModules++;
        break;
      case 4: {
        ctx.counts.add('components', 1, at);
        ctx.stats.nestedComponents++;
        const child = newScope(scope);
        decodeSections(bytes, r.pos, r.end, child, { ...ctx, top: false });
        scope.components.push({ k: 'component', imports: child.imports, exports: child.exports });
        break;
      }
      case 5:
        ctx.counts.add('instances', vectorCount(bytes, r.pos, r.end), at);
        r.vec(() => readInstance(r, scope));
        break;
      case 6:
        r.vec(() => readAlias(r, scope));
        break;
      case 7:
        ctx.counts.add('types', vectorCount(bytes, r.pos, r.end), at);
        r.vec(() => scope.types.push(readDefType(r, scope)));
        break;
      case 8:
        r.vec(() => readCanon(r, scope, ctx.canon));
        break;
      case 10:
        r.vec(() => {
          const name = readExternName(r);
          const ext = readExternType(r, scope, name);
          scope.imports.set(name, ext);
          addToIndexSpace(scope, ext);
        });
        break;
      case 11:
        r.vec(() => {
          const name = readExternName(r);
          const item = readSortIdx(r, scope);
          const ascribed = r.u8() === 0x01 ? readExternType(r, scope, name) : null;
          const ext = ascribed ?? item;
          scope.exports.set(name, ext);
          addToIndexSpace(scope, ext);
        });
        break;
      default:
        throw new ComponentDecodeError(`unknown component section id ${s.id}`, start + s.start);
    }
  }
}
