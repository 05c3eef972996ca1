/**
 * Index spaces of a component (or component/instance type) while it is being decoded, and the
 * readers for the items that add to them: sort indices, instances, aliases, extern names.
 */
import type { ByteReader } from './reader.js';
import type { ComponentType, Extern, FuncType, InstanceType, TypeDef } from './component-types.js';

export interface Scope {
  parent: Scope | null;
  types: TypeDef[];
  funcs: FuncType[];
  instances: InstanceType[];
  components: ComponentType[];
  imports: Map<string, Extern>;
  exports: Map<string, Extern>;
}

export function newScope(parent: Scope | null): Scope {
  return { parent, types: [], funcs: [], instances: [], components: [], imports: new Map(), exports: new Map() };
}

export const PRIMS: Record<number, string> = {
  127: 'bool',
  126: 's8',
  125: 'u8',
  124: 's16',
  123: 'u16',
  122: 's32',
  121: 'u32',
  120: 's64',
  119: 'u64',
  118: 'f32',
  117: 'f64',
  116: 'char',
  115: 'string',
  100: 'error-context',
};

export const SORT_FUNC = 0x01;
export const SORT_VALUE = 0x02;
export const SORT_TYPE = 0x03;
export const SORT_COMPONENT = 0x04;
export const SORT_INSTANCE = 0x05;

export function addToIndexSpace(scope: Scope, ext: Extern): void {
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
export function readExternName(r: ByteReader): string {
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

export function at<T>(r: ByteReader, list: T[], index: number, what: string): T {
  const v = list[index];
  if (v === undefined) r.fail(`${what} index ${index} out of range`);
  return v;
}

export function readSortIdx(r: ByteReader, scope: Scope): Extern {
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

export function readInstance(r: ByteReader, scope: Scope): void {
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

export function readAlias(r: ByteReader, scope: Scope): void {
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
