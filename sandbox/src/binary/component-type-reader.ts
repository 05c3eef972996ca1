/**
 * Reading component-model types (value types, function types, component and instance types,
 * resources, extern types) into the resolved form of component-types.ts.
 */
import type { ByteReader } from './reader.js';
import type { ComponentType, Extern, InstanceType, ResourceType, TypeDef, ValType } from './component-types.js';
import { isValType } from './component-types.js';
import type { Scope } from './component-scope.js';
import { PRIMS, addToIndexSpace, at, newScope, readAlias, readExternName } from './component-scope.js';

export function readValType(r: ByteReader, scope: Scope): ValType {
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

export function readOptional<T>(r: ByteReader, read: () => T): T | null {
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

export function readDefType(r: ByteReader, scope: Scope): TypeDef {
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
  return isComponent ? { k: 'component', imports: local.imports, exports: local.exports } : { k: 'instance', exports: local.exports };
}

export function readExternType(r: ByteReader, scope: Scope, name: string): Extern {
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
export function skipCoreType(r: ByteReader): void {
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
