/**
 * The component model's canonical ABI for 32-bit memories, computed from WIT types: each value's
 * size and alignment in memory, record field offsets, the flat core values a type passes as, and
 * the core signature of a function as a guest imports or exports it (CanonicalABI.md: `elem_size`,
 * `alignment`, `flatten_type`, `flatten_functype` with MAX_FLAT_PARAMS 16 and MAX_FLAT_RESULTS 1).
 * Strings are (ptr, len) whatever their encoding.
 */
import type { WitField, WitFunction, WitPackage, WitType } from './model.js';
import { dealias, resolveNamed } from './reader.js';

export type CoreType = 'i32' | 'i64' | 'f32' | 'f64';

export interface CoreSignature {
  readonly params: readonly CoreType[];
  readonly results: readonly CoreType[];
}

export interface MemoryLayout {
  readonly size: number;
  readonly align: number;
}

const MAX_FLAT_PARAMS = 16;
const MAX_FLAT_RESULTS = 1;

const alignTo = (offset: number, align: number): number => Math.ceil(offset / align) * align;

/** The cases of a type as a variant (option, result, enum and variant are all variants). */
type Cases = readonly (WitType | null)[];

/** How the canonical ABI sees a type: as a scalar, a (ptr, len) slice, a record, or a variant. */
type Shape =
  | { readonly kind: 'scalar'; readonly size: number; readonly flat: CoreType }
  | { readonly kind: 'slice' }
  | { readonly kind: 'record'; readonly fields: readonly WitType[] }
  | { readonly kind: 'variant'; readonly cases: Cases };

const SCALARS: Readonly<Record<string, readonly [number, CoreType]>> = {
  bool: [1, 'i32'],
  u8: [1, 'i32'],
  s8: [1, 'i32'],
  u16: [2, 'i32'],
  s16: [2, 'i32'],
  u32: [4, 'i32'],
  s32: [4, 'i32'],
  char: [4, 'i32'],
  f32: [4, 'f32'],
  u64: [8, 'i64'],
  s64: [8, 'i64'],
  f64: [8, 'f64'],
};

function shape(pkg: WitPackage, t: WitType): Shape {
  switch (t.kind) {
    case 'primitive': {
      if (t.name === 'string') return { kind: 'slice' };
      const [size, flat] = SCALARS[t.name] as readonly [number, CoreType];
      return { kind: 'scalar', size, flat };
    }
    case 'list':
      return { kind: 'slice' };
    case 'tuple':
      return { kind: 'record', fields: t.elements };
    case 'option':
      return { kind: 'variant', cases: [null, t.some] };
    case 'result':
      return { kind: 'variant', cases: [t.ok, t.err] };
    case 'named': {
      const def = resolveNamed(pkg, t);
      if (def === null) return shape(pkg, dealias(pkg, t)); // an alias of an anonymous or primitive type
      if (def.kind === 'record') return { kind: 'record', fields: def.fields.map((f) => f.type) };
      if (def.kind === 'enum') return { kind: 'variant', cases: def.cases.map(() => null) };
      return { kind: 'variant', cases: def.cases.map((c) => c.type) };
    }
  }
}

/** The discriminant's size: the smallest unsigned integer that holds the case count. */
function discriminantSize(cases: number): number {
  return cases <= 0x100 ? 1 : cases <= 0x10000 ? 2 : 4;
}

/** Size and alignment of a value of `t` in memory. */
export function layoutOf(pkg: WitPackage, t: WitType): MemoryLayout {
  const s = shape(pkg, t);
  switch (s.kind) {
    case 'scalar':
      return { size: s.size, align: s.size };
    case 'slice':
      return { size: 8, align: 4 };
    case 'record': {
      const { size, align } = fieldOffsetsOf(pkg, s.fields);
      return { size, align };
    }
    case 'variant': {
      const v = variantLayout(pkg, s.cases);
      return { size: v.size, align: v.align };
    }
  }
}

/**
 * A variant's (an option's, a result's) layout: its payload starts after the discriminant at the
 * cases' widest alignment. Each case's layout is computed once, so nesting costs linear time.
 */
function variantLayout(pkg: WitPackage, cases: Cases): MemoryLayout & { payload: number } {
  let caseAlign = 1;
  let caseSize = 0;
  for (const c of cases) {
    if (c === null) continue;
    const l = layoutOf(pkg, c);
    caseAlign = Math.max(caseAlign, l.align);
    caseSize = Math.max(caseSize, l.size);
  }
  const disc = discriminantSize(cases.length);
  const payload = alignTo(disc, caseAlign);
  const align = Math.max(disc, caseAlign);
  return { payload, size: alignTo(payload + caseSize, align), align };
}

/** The payload offset of an option, a result or a variant `t`. */
export function payloadOffsetOf(pkg: WitPackage, t: WitType): number {
  const s = shape(pkg, t);
  if (s.kind !== 'variant') throw new TypeError(`${t.kind} has no payload`);
  return variantLayout(pkg, s.cases).payload;
}

/** Every field's offset in a record (or tuple) of `fields`, with the record's size and alignment. */
export function fieldOffsetsOf(pkg: WitPackage, fields: readonly WitType[]): { offsets: number[]; size: number; align: number } {
  let offset = 0;
  let align = 1;
  const offsets: number[] = [];
  for (const f of fields) {
    const l = layoutOf(pkg, f);
    offset = alignTo(offset, l.align);
    offsets.push(offset);
    offset += l.size;
    align = Math.max(align, l.align);
  }
  return { offsets, size: alignTo(offset, align), align };
}

/** Two flat values joined at one position of a variant's cases. */
function join(a: CoreType, b: CoreType): CoreType {
  if (a === b) return a;
  if ((a === 'i32' && b === 'f32') || (a === 'f32' && b === 'i32')) return 'i32';
  return 'i64';
}

/** The core values `t` passes as when flat. */
export function flatten(pkg: WitPackage, t: WitType): CoreType[] {
  const s = shape(pkg, t);
  switch (s.kind) {
    case 'scalar':
      return [s.flat];
    case 'slice':
      return ['i32', 'i32'];
    case 'record':
      return s.fields.flatMap((f) => flatten(pkg, f));
    case 'variant': {
      const flat: CoreType[] = [];
      for (const c of s.cases) {
        if (c === null) continue;
        flatten(pkg, c).forEach((v, i) => {
          flat[i] = i < flat.length ? join(flat[i] as CoreType, v) : v;
        });
      }
      return ['i32', ...flat];
    }
  }
}

/** The flat values of a function's parameters, one list per parameter (before the 16-value limit). */
export function flatParams(pkg: WitPackage, params: readonly WitField[]): CoreType[][] {
  return params.map((p) => flatten(pkg, p.type));
}

/**
 * The core signature of `fn` as the guest imports it (`lower`: a result of more than one value is
 * written through a pointer appended to the parameters) or exports it (`lift`: the export returns
 * a pointer to it). Parameters of more than 16 values pass as one pointer.
 */
export function coreSignature(pkg: WitPackage, fn: WitFunction, direction: 'import' | 'export'): CoreSignature {
  const flat = flatParams(pkg, fn.params).flat();
  const params: CoreType[] = flat.length > MAX_FLAT_PARAMS ? ['i32'] : flat;
  const results = fn.result === null ? [] : flatten(pkg, fn.result);
  if (results.length <= MAX_FLAT_RESULTS) return { params, results };
  return direction === 'import' ? { params: [...params, 'i32'], results: [] } : { params, results: ['i32'] };
}

/** Parameters of more than 16 flat values pass as one pointer to them in memory. */
export function paramsByPointer(pkg: WitPackage, fn: WitFunction): boolean {
  return flatParams(pkg, fn.params).flat().length > MAX_FLAT_PARAMS;
}

/** A result of more than one flat value comes back through memory. */
export function resultInMemory(pkg: WitPackage, fn: WitFunction): boolean {
  return fn.result !== null && flatten(pkg, fn.result).length > MAX_FLAT_RESULTS;
}
