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
import type {
  ComponentType, Extern, FuncType, InstanceType, ResourceType, TypeDef, ValType,
} from './component-types.js';
import { isValType } from './component-types.js';

export type StringEncoding = 'utf8' | 'utf16' | 'latin1+utf16';

export interface CanonOptions {
  op: 'lift' | 'lower';
  stringEncoding: StringEncoding;
  memory: boolean;
  realloc: boolean;
  postReturn: boolean;
  async: boolean;
}

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

interface Scope {
  parent: Scope | null;
  types: TypeDef[];
  funcs: FuncType[];
  instances: InstanceType[];
  components: ComponentType[];
  imports: Map<string, Extern>;
  exports: Map<string, Extern>;
}

function newScope(parent: Scope | null): Scope {
  return { parent, types: [], funcs: [], instances: [], components: [], imports: new Map(), exports: new Map() };
}

const PRIMS: Record<number, string> = {
  0x7f: 'bool', 0x7e: 's8', 0x7d: 'u8', 0x7c: 's16', 0x7b: 'u16', 0x7a: 's32', 0x79: 'u32',
  0x78: 's64', 0x77: 'u64', 0x76: 'f32', 0x75: 'f64', 0x74: 'char', 0x73: 'string', 0x64: 'error-context',
};

const SORT_FUNC = 0x01;
const SORT_VALUE = 0x02;
const SORT_TYPE = 0x03;
const SORT_COMPONENT = 0x04;
const SORT_INSTANCE = 0x05;

export class ComponentDecodeError extends BinaryFormatError {}

export function decodeComponent(bytes: Uint8Array): DecodedComponent {
  const stats = { nestedCoreModules: 0, nestedComponents: 0 };
  const canon: CanonOptions[] = [];
  const coreModules: Uint8Array[] = [];
  const root = newScope(null);
  decodeSections(bytes, 0, bytes.length, root, { stats, canon, coreModules, top: true });
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
}

function decodeSections(bytes: Uint8Array, start: number, end: number, scope: Scope, ctx: DecodeCtx): void {
  const view = bytes.subarray(start, end);
  for (const s of readSections(view)) {
    const r = new ByteReader(bytes, start + s.bodyStart, start + s.end);
    switch (s.id) {
      case 0: // custom
      case 2: // core instances
      case 3: // core types
      case 9: // start
      case 12: // values
        break;
      case 1:
        if (ctx.top) ctx.coreModules.push(bytes.subarray(r.pos, r.end));
        else ctx.stats.nestedCoreModules++;
        break;
      case 4: {
        ctx.stats.nestedComponents++;
        const child = newScope(scope);
        decodeSections(bytes, r.pos, r.end, child, { ...ctx, top: false });
        scope.components.push({ k: 'component', imports: child.imports, exports: child.exports });
        break;
      }
      case 5:
        r.vec(() => readInstance(r, scope));
        break;
      case 6:
        r.vec(() => readAlias(r, scope));
        break;
      case 7:
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

function addToIndexSpace(scope: Scope, ext: Extern): void {
  switch (ext.sort) {
    case 'func':
      scope.funcs.push(ext.type);
      break;
    case 'type':
      scope.types.push(ext.type);
      break;
    case 'instance':
      scope.instances.push(ext.type);
      break;
    case 'component':
      scope.components.push(ext.type);
      break;
    default:
      break;
  }
}

/** nameattributes: 0x00/0x01 plain name, 0x02 name plus attributes (ignored). */
function readExternName(r: ByteReader): string {
  const tag = r.u8();
  const name = r.name();
  if (tag === 0x00 || tag === 0x01) return name;
  if (tag === 0x02) {
    r.vec(() => {
      const kind = r.u8();
      if (kind > 0x02) r.fail(`unknown name attribute ${kind}`);
      r.name();
    });
    return name;
  }
  return r.fail(`unknown extern name tag 0x${tag.toString(16)}`);
}

function at<T>(r: ByteReader, list: T[], index: number, what: string): T {
  const v = list[index];
  if (v === undefined) r.fail(`${what} index ${index} out of range`);
  return v;
}

function readSortIdx(r: ByteReader, scope: Scope): Extern {
  const sort = r.u8();
  if (sort === 0x00) {
    const coreSort = r.u8();
    r.u32();
    if (coreSort === 0x11) return { sort: 'module' };
    return r.fail(`core sort 0x${coreSort.toString(16)} cannot be exported from a component`);
  }
  const idx = r.u32();
  switch (sort) {
    case SORT_FUNC:
      return { sort: 'func', type: at(r, scope.funcs, idx, 'func') };
    case SORT_VALUE:
      return { sort: 'value' };
    case SORT_TYPE:
      return { sort: 'type', type: at(r, scope.types, idx, 'type') };
    case SORT_COMPONENT:
      return { sort: 'component', type: at(r, scope.components, idx, 'component') };
    case SORT_INSTANCE:
      return { sort: 'instance', type: at(r, scope.instances, idx, 'instance') };
    default:
      return r.fail(`unknown sort 0x${sort.toString(16)}`);
  }
}

function readInstance(r: ByteReader, scope: Scope): void {
  const tag = r.u8();
  if (tag === 0x00) {
    const c = at(r, scope.components, r.u32(), 'component');
    r.vec(() => {
      r.name();
      readSortIdx(r, scope);
    });
    scope.instances.push({ k: 'instance', exports: c.exports });
  } else if (tag === 0x01) {
    const exports = new Map<string, Extern>();
    r.vec(() => {
      const name = readExternName(r);
      exports.set(name, readSortIdx(r, scope));
    });
    scope.instances.push({ k: 'instance', exports });
  } else {
    r.fail(`unknown instance expression 0x${tag.toString(16)}`);
  }
}

function readAlias(r: ByteReader, scope: Scope): void {
  const sort = r.u8();
  const coreSort = sort === 0x00 ? r.u8() : -1;
  const target = r.u8();
  if (target === 0x00) {
    const inst = at(r, scope.instances, r.u32(), 'instance');
    const name = r.name();
    const ext = inst.exports.get(name);
    if (!ext) r.fail(`alias of missing export "${name}"`);
    addToIndexSpace(scope, ext);
  } else if (target === 0x01) {
    r.u32();
    r.name();
    if (sort !== 0x00) r.fail('core export alias with a component sort');
  } else if (target === 0x02) {
    const ct = r.u32();
    const idx = r.u32();
    let s: Scope | null = scope;
    for (let i = 0; i < ct && s; i++) s = s.parent;
    if (!s) r.fail(`outer alias ${ct} reaches past the outermost scope`);
    if (sort === SORT_TYPE) scope.types.push(at(r, s.types, idx, 'outer type'));
    else if (sort === SORT_COMPONENT) scope.components.push(at(r, s.components, idx, 'outer component'));
    else if (sort !== 0x00) r.fail(`outer alias of sort 0x${sort.toString(16)}`);
  } else {
    r.fail(`unknown alias target 0x${target.toString(16)}`);
  }
  void coreSort;
}

function readValType(r: ByteReader, scope: Scope): ValType {
  const v = r.s33();
  if (v < 0) {
    const code = v & 0x7f;
    const name = PRIMS[code];
    if (!name) r.fail(`unknown primitive value type 0x${code.toString(16)}`);
    return { k: 'prim', name };
  }
  const t = at(r, scope.types, v, 'type');
  if (!isValType(t)) r.fail(`type ${v} is a ${t.k}, not a value type`);
  return t;
}

function readOptional<T>(r: ByteReader, read: () => T): T | null {
  const tag = r.u8();
  if (tag === 0x00) return null;
  if (tag === 0x01) return read();
  return r.fail(`bad optional tag 0x${tag.toString(16)}`);
}

function readResourceRef(r: ByteReader, scope: Scope): ResourceType {
  const t = at(r, scope.types, r.u32(), 'type');
  if (t.k !== 'resource') r.fail('handle type does not refer to a resource');
  return t;
}

function readDefType(r: ByteReader, scope: Scope): TypeDef {
  const b = r.bytes[r.pos];
  if (b === undefined) r.fail('unexpected end of data');
  if (PRIMS[b]) {
    r.pos++;
    return { k: 'prim', name: PRIMS[b]! };
  }
  r.pos++;
  switch (b) {
    case 0x72:
      return { k: 'record', fields: r.vec(() => [r.name(), readValType(r, scope)] as [string, ValType]) };
    case 0x71:
      return {
        k: 'variant',
        cases: r.vec(() => {
          const name = r.name();
          const t = readOptional(r, () => readValType(r, scope));
          const refines = r.u8();
          if (refines === 0x01) r.u32();
          else if (refines !== 0x00) r.fail('bad variant case terminator');
          return [name, t] as [string, ValType | null];
        }),
      };
    case 0x70:
      return { k: 'list', t: readValType(r, scope) };
    case 0x67: {
      const t = readValType(r, scope);
      return { k: 'list', t, len: r.u32() };
    }
    case 0x6f:
      return { k: 'tuple', ts: r.vec(() => readValType(r, scope)) };
    case 0x6e:
      return { k: 'flags', names: r.vec(() => r.name()) };
    case 0x6d:
      return { k: 'enum', names: r.vec(() => r.name()) };
    case 0x6b:
      return { k: 'option', t: readValType(r, scope) };
    case 0x6a: {
      const ok = readOptional(r, () => readValType(r, scope));
      const err = readOptional(r, () => readValType(r, scope));
      return { k: 'result', ok, err };
    }
    case 0x69:
      return { k: 'own', r: readResourceRef(r, scope) };
    case 0x68:
      return { k: 'borrow', r: readResourceRef(r, scope) };
    case 0x66:
      return { k: 'stream', t: readOptional(r, () => readValType(r, scope)) };
    case 0x65:
      return { k: 'future', t: readOptional(r, () => readValType(r, scope)) };
    case 0x63: {
      const key = readValType(r, scope);
      return { k: 'map', key, value: readValType(r, scope) };
    }
    case 0x40:
    case 0x43: {
      const params = r.vec(() => [r.name(), readValType(r, scope)] as [string, ValType]);
      const tag = r.u8();
      let result: ValType | null = null;
      if (tag === 0x00) result = readValType(r, scope);
      else if (tag === 0x01) {
        if (r.u8() !== 0x00) r.fail('named results are not supported');
      } else r.fail('bad result list');
      return { k: 'func', async: b === 0x43, params, result };
    }
    case 0x41:
      return readDeclarators(r, scope, true);
    case 0x42:
      return readDeclarators(r, scope, false);
    case 0x3f: {
      r.u8(); // representation (i32)
      readOptional(r, () => r.u32()); // destructor
      return { k: 'resource', name: `resource#${r.pos}` };
    }
    default:
      return r.fail(`unsupported type constructor 0x${b.toString(16)}`);
  }
}

function readDeclarators(r: ByteReader, parent: Scope, isComponent: boolean): ComponentType | InstanceType {
  const local = newScope(parent);
  r.vec(() => {
    const tag = r.u8();
    switch (tag) {
      case 0x00:
        skipCoreType(r);
        break;
      case 0x01:
        local.types.push(readDefType(r, local));
        break;
      case 0x02:
        readAlias(r, local);
        break;
      case 0x03:
      case 0x04: {
        if (tag === 0x03 && !isComponent) r.fail('import declarator inside an instance type');
        const name = readExternName(r);
        const ext = readExternType(r, local, name);
        (tag === 0x03 ? local.imports : local.exports).set(name, ext);
        addToIndexSpace(local, ext);
        break;
      }
      default:
        r.fail(`unknown declarator 0x${tag.toString(16)}`);
    }
  });
  return isComponent
    ? { k: 'component', imports: local.imports, exports: local.exports }
    : { k: 'instance', exports: local.exports };
}

function readExternType(r: ByteReader, scope: Scope, name: string): Extern {
  const tag = r.u8();
  switch (tag) {
    case 0x00:
      if (r.u8() !== 0x11) r.fail('bad core module extern type');
      r.u32();
      return { sort: 'module' };
    case 0x01: {
      const t = at(r, scope.types, r.u32(), 'type');
      if (t.k !== 'func') r.fail(`"${name}" is declared as a func with a non-function type`);
      return { sort: 'func', type: t };
    }
    case 0x02: {
      const b = r.u8();
      if (b === 0x00) r.u32();
      else readValType(r, scope);
      return { sort: 'value' };
    }
    case 0x03: {
      const b = r.u8();
      if (b === 0x00) return { sort: 'type', type: at(r, scope.types, r.u32(), 'type') };
      if (b === 0x01) return { sort: 'type', type: { k: 'resource', name } };
      return r.fail('bad type bound');
    }
    case 0x04: {
      const t = at(r, scope.types, r.u32(), 'type');
      if (t.k !== 'component') r.fail(`"${name}" is declared as a component with a non-component type`);
      return { sort: 'component', type: t };
    }
    case 0x05: {
      const t = at(r, scope.types, r.u32(), 'type');
      if (t.k !== 'instance') r.fail(`"${name}" is declared as an instance with a non-instance type`);
      return { sort: 'instance', type: t };
    }
    default:
      return r.fail(`unknown extern type 0x${tag.toString(16)}`);
  }
}

/** Core types inside component/instance types: function types and module types. */
function skipCoreType(r: ByteReader): void {
  const b = r.u8();
  if (b === 0x60) {
    r.vec(() => skipCoreValType(r));
    r.vec(() => skipCoreValType(r));
  } else if (b === 0x50) {
    r.vec(() => {
      const d = r.u8();
      if (d === 0x00) {
        r.name();
        r.name();
        skipCoreImportDesc(r);
      } else if (d === 0x01) skipCoreType(r);
      else if (d === 0x02) {
        r.u8();
        if (r.u8() !== 0x01) r.fail('bad core alias in module type');
        r.u32();
        r.u32();
      } else if (d === 0x03) {
        r.name();
        skipCoreImportDesc(r);
      } else r.fail(`unknown module type declarator 0x${d.toString(16)}`);
    });
  } else {
    r.fail(`unsupported core type 0x${b.toString(16)} in a component type`);
  }
}

function skipCoreValType(r: ByteReader): void {
  const b = r.u8();
  if (b === 0x63 || b === 0x64) r.s33(); // (ref null? ht)
}

function skipLimits(r: ByteReader): void {
  const flags = r.u8();
  const is64 = (flags & 0x04) !== 0;
  if (is64) r.u64();
  else r.u32();
  if (flags & 0x01) {
    if (is64) r.u64();
    else r.u32();
  }
}

function skipCoreImportDesc(r: ByteReader): void {
  const kind = r.u8();
  switch (kind) {
    case 0x00:
      r.u32();
      break;
    case 0x01:
      skipCoreValType(r);
      skipLimits(r);
      break;
    case 0x02:
      skipLimits(r);
      break;
    case 0x03:
      skipCoreValType(r);
      r.u8();
      break;
    case 0x04:
      r.u8();
      r.u32();
      break;
    default:
      r.fail(`unknown core import kind 0x${kind.toString(16)}`);
  }
}

function readCanonOpts(r: ByteReader, op: 'lift' | 'lower'): CanonOptions {
  const o: CanonOptions = { op, stringEncoding: 'utf8', memory: false, realloc: false, postReturn: false, async: false };
  r.vec(() => {
    const tag = r.u8();
    switch (tag) {
      case 0x00:
        o.stringEncoding = 'utf8';
        break;
      case 0x01:
        o.stringEncoding = 'utf16';
        break;
      case 0x02:
        o.stringEncoding = 'latin1+utf16';
        break;
      case 0x03:
        r.u32();
        o.memory = true;
        break;
      case 0x04:
        r.u32();
        o.realloc = true;
        break;
      case 0x05:
        r.u32();
        o.postReturn = true;
        break;
      case 0x06:
        o.async = true;
        break;
      case 0x07:
        r.u32();
        break;
      default:
        r.fail(`unknown canonical option 0x${tag.toString(16)}`);
    }
  });
  return o;
}

function readCanon(r: ByteReader, scope: Scope, out: CanonOptions[]): void {
  const op = r.u8();
  switch (op) {
    case 0x00: {
      if (r.u8() !== 0x00) r.fail('canon lift of a non-function');
      r.u32();
      const opts = readCanonOpts(r, 'lift');
      const t = at(r, scope.types, r.u32(), 'type');
      if (t.k !== 'func') r.fail('canon lift with a non-function type');
      scope.funcs.push(t);
      out.push(opts);
      return;
    }
    case 0x01:
      if (r.u8() !== 0x00) r.fail('canon lower of a non-function');
      r.u32();
      out.push(readCanonOpts(r, 'lower'));
      return;
    // Built-ins that only define core functions; their immediates are skipped.
    case 0x02: case 0x03: case 0x04: case 0x0e: case 0x13: case 0x14: case 0x15: case 0x1a: case 0x1b:
      r.u32();
      return;
    case 0x05: case 0x0d: case 0x1e: case 0x1f: case 0x22: case 0x23: case 0x24: case 0x25: case 0x26: case 0x28:
      return;
    case 0x06: case 0x0c: case 0x29: case 0x2a: case 0x2b: case 0x2c: case 0x2d:
      r.u8();
      return;
    case 0x09: {
      const tag = r.u8();
      if (tag === 0x00) readValType(r, scope);
      else if (r.u8() !== 0x00) r.fail('bad task.return result list');
      readCanonOpts(r, 'lower');
      return;
    }
    case 0x0a: case 0x0b:
      r.u8();
      r.u32();
      return;
    case 0x0f: case 0x10: case 0x16: case 0x17:
      r.u32();
      readCanonOpts(r, 'lower');
      return;
    case 0x11: case 0x12: case 0x18: case 0x19:
      r.u32();
      r.u8();
      return;
    case 0x1c: case 0x1d:
      readCanonOpts(r, 'lower');
      return;
    case 0x20: case 0x21:
      r.u8();
      r.u32();
      return;
    case 0x27:
      r.u32();
      r.u32();
      return;
    default:
      r.fail(`unsupported canonical built-in 0x${op.toString(16)}`);
  }
}
