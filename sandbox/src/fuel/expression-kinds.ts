/**
 * Every binaryen expression kind the fuel pass understands: its cost class and how to reach its
 * children in evaluation order. A kind missing here is refused by the pass (never walked past,
 * which could hide a loop from metering).
 */
import binaryen from 'binaryen';
import type { CostClass } from './cost-model.js';
import type { Ref } from './binaryen-api.js';
import { c } from './binaryen-api.js';

/** How to find the children of one expression kind, in evaluation order. */
export type ChildGetter = (e: Ref, out: Ref[]) => void;

function fields(...names: string[]): ChildGetter {
  const getters = names.map(c);
  return (e, out) => {
    for (const g of getters) {
      const child = g(e);
      if (child) out.push(child);
    }
  };
}

function list(count: string, at: string, ...after: string[]): ChildGetter {
  const n = c(count);
  const get = c(at);
  const tail = fields(...after);
  return (e, out) => {
    const k = n(e);
    for (let i = 0; i < k; i++) out.push(get(e, i));
    tail(e, out);
  };
}

const none: ChildGetter = () => {};

export interface Kind {
  cls: CostClass;
  children: ChildGetter;
}

function buildKinds(): Map<number, Kind> {
  const b = binaryen as unknown as Record<string, number>;
  const k = new Map<number, Kind>();
  const add = (id: string, cls: CostClass, children: ChildGetter) => {
    const n = b[`${id}Id`] ?? rawId(id);
    if (typeof n !== 'number') throw new Error(`binaryen.js lacks ${id}Id`);
    k.set(n, { cls, children });
  };
  add('Nop', 'structural', none);
  // elem.drop has no operands and does O(1) work (binaryen.js names it only through the raw API).
  add('ElemDrop', 'op', none);
  add('Pop', 'structural', none);
  add('Const', 'operand', none);
  add('LocalGet', 'operand', none);
  add('Drop', 'operand', fields('DropGetValue'));
  add('Unreachable', 'branch', none);
  add('Break', 'branch', fields('BreakGetValue', 'BreakGetCondition'));
  add('Switch', 'branch', fields('SwitchGetValue', 'SwitchGetCondition'));
  add('Return', 'branch', fields('ReturnGetValue'));
  add('Throw', 'branch', list('ThrowGetNumOperands', 'ThrowGetOperandAt'));
  add('Rethrow', 'branch', none);
  add('BrOn', 'branch', fields('BrOnGetRef'));
  add('Call', 'call', list('CallGetNumOperands', 'CallGetOperandAt'));
  add('CallIndirect', 'call-indirect', list('CallIndirectGetNumOperands', 'CallIndirectGetOperandAt', 'CallIndirectGetTarget'));
  add('CallRef', 'call-indirect', list('CallRefGetNumOperands', 'CallRefGetOperandAt', 'CallRefGetTarget'));
  add('LocalSet', 'op', fields('LocalSetGetValue'));
  add('GlobalGet', 'op', none);
  add('GlobalSet', 'op', fields('GlobalSetGetValue'));
  add('Load', 'op', fields('LoadGetPtr'));
  add('Store', 'op', fields('StoreGetPtr', 'StoreGetValue'));
  add('Unary', 'op', fields('UnaryGetValue'));
  add('Binary', 'op', fields('BinaryGetLeft', 'BinaryGetRight'));
  add('Select', 'op', fields('SelectGetIfTrue', 'SelectGetIfFalse', 'SelectGetCondition'));
  add('MemorySize', 'op', none);
  add('DataDrop', 'op', none);
  add('AtomicRMW', 'op', fields('AtomicRMWGetPtr', 'AtomicRMWGetValue'));
  add('AtomicCmpxchg', 'op', fields('AtomicCmpxchgGetPtr', 'AtomicCmpxchgGetExpected', 'AtomicCmpxchgGetReplacement'));
  add('AtomicWait', 'op', fields('AtomicWaitGetPtr', 'AtomicWaitGetExpected', 'AtomicWaitGetTimeout'));
  add('AtomicNotify', 'op', fields('AtomicNotifyGetPtr', 'AtomicNotifyGetNotifyCount'));
  add('AtomicFence', 'op', none);
  add('SIMDExtract', 'op', fields('SIMDExtractGetVec'));
  add('SIMDReplace', 'op', fields('SIMDReplaceGetVec', 'SIMDReplaceGetValue'));
  add('SIMDShuffle', 'op', fields('SIMDShuffleGetLeft', 'SIMDShuffleGetRight'));
  add('SIMDTernary', 'op', fields('SIMDTernaryGetA', 'SIMDTernaryGetB', 'SIMDTernaryGetC'));
  add('SIMDShift', 'op', fields('SIMDShiftGetVec', 'SIMDShiftGetShift'));
  add('SIMDLoad', 'op', fields('SIMDLoadGetPtr'));
  add('SIMDLoadStoreLane', 'op', fields('SIMDLoadStoreLaneGetPtr', 'SIMDLoadStoreLaneGetVec'));
  add('MemoryInit', 'bulk-memory', fields('MemoryInitGetDest', 'MemoryInitGetOffset', 'MemoryInitGetSize'));
  add('MemoryCopy', 'bulk-memory', fields('MemoryCopyGetDest', 'MemoryCopyGetSource', 'MemoryCopyGetSize'));
  add('MemoryFill', 'bulk-memory', fields('MemoryFillGetDest', 'MemoryFillGetValue', 'MemoryFillGetSize'));
  add('MemoryGrow', 'memory-grow', fields('MemoryGrowGetDelta'));
  add('RefNull', 'operand', none);
  add('RefFunc', 'operand', none);
  add('RefIsNull', 'op', fields('RefIsNullGetValue'));
  add('RefAs', 'op', fields('RefAsGetValue'));
  add('RefEq', 'op', fields('RefEqGetLeft', 'RefEqGetRight'));
  add('RefTest', 'op', fields('RefTestGetRef'));
  add('RefCast', 'op', fields('RefCastGetRef'));
  add('RefI31', 'op', fields('RefI31GetValue'));
  add('I31Get', 'op', fields('I31GetGetI31'));
  add('TableGet', 'op', fields('TableGetGetIndex'));
  add('TableSet', 'op', fields('TableSetGetIndex', 'TableSetGetValue'));
  add('TableSize', 'op', none);
  add('TableGrow', 'op', fields('TableGrowGetValue', 'TableGrowGetDelta'));
  add('TupleMake', 'operand', list('TupleMakeGetNumOperands', 'TupleMakeGetOperandAt'));
  add('TupleExtract', 'operand', fields('TupleExtractGetTuple'));
  add('StructNew', 'op', list('StructNewGetNumOperands', 'StructNewGetOperandAt'));
  add('StructGet', 'op', fields('StructGetGetRef'));
  add('StructSet', 'op', fields('StructSetGetRef', 'StructSetGetValue'));
  add('ArrayNew', 'op', fields('ArrayNewGetInit', 'ArrayNewGetSize'));
  add('ArrayNewFixed', 'op', list('ArrayNewFixedGetNumValues', 'ArrayNewFixedGetValueAt'));
  add('ArrayNewData', 'op', fields('ArrayNewDataGetOffset', 'ArrayNewDataGetSize'));
  add('ArrayNewElem', 'op', fields('ArrayNewElemGetOffset', 'ArrayNewElemGetSize'));
  add('ArrayGet', 'op', fields('ArrayGetGetRef', 'ArrayGetGetIndex'));
  add('ArraySet', 'op', fields('ArraySetGetRef', 'ArraySetGetIndex', 'ArraySetGetValue'));
  add('ArrayLen', 'op', fields('ArrayLenGetRef'));
  add('ArrayFill', 'op', fields('ArrayFillGetRef', 'ArrayFillGetIndex', 'ArrayFillGetValue', 'ArrayFillGetSize'));
  add(
    'ArrayCopy',
    'op',
    fields('ArrayCopyGetDestRef', 'ArrayCopyGetDestIndex', 'ArrayCopyGetSrcRef', 'ArrayCopyGetSrcIndex', 'ArrayCopyGetLength'),
  );
  add('ArrayInitData', 'op', fields('ArrayInitDataGetRef', 'ArrayInitDataGetIndex', 'ArrayInitDataGetOffset', 'ArrayInitDataGetSize'));
  add('ArrayInitElem', 'op', fields('ArrayInitElemGetRef', 'ArrayInitElemGetIndex', 'ArrayInitElemGetOffset', 'ArrayInitElemGetSize'));
  return k;
}

/**
 * Some ids binaryen.js exposes only as raw C API functions (`_BinaryenTableFillId()`…): read them
 * there, so they have a name in refusals (table.fill/copy/init have no operand getters in
 * binaryen.js, so their size cannot be charged and the pass refuses them; try_table by design).
 */
function rawId(id: string): number | undefined {
  const fn = (binaryen as unknown as Record<string, unknown>)[`_Binaryen${id}Id`];
  return typeof fn === 'function' ? (fn as () => number)() : undefined;
}

/**
 * Kinds that name a data segment by index: a module with any of them keeps its data segments as
 * they are (merging renumbers them; data-segments.ts).
 */
export const DATA_REF_IDS: ReadonlySet<number> = new Set(
  ['MemoryInit', 'DataDrop', 'ArrayNewData', 'ArrayInitData']
    .map((id) => (binaryen as unknown as Record<string, number | undefined>)[`${id}Id`] ?? rawId(id))
    .filter((n): n is number => typeof n === 'number'),
);

const RAW_NAMED = ['TableFill', 'TableCopy', 'TableInit', 'ElemDrop', 'TryTable', 'ThrowRef'];

let kindsCache: Map<number, Kind> | null = null;
export const idNames = new Map<number, string>();
export function kinds(): Map<number, Kind> {
  if (!kindsCache) {
    kindsCache = buildKinds();
    for (const [key, value] of Object.entries(binaryen)) {
      if (key.endsWith('Id') && typeof value === 'number') idNames.set(value, key.slice(0, -2));
    }
    for (const name of RAW_NAMED) {
      const id = rawId(name);
      if (id !== undefined && !idNames.has(id)) idNames.set(id, name);
    }
  }
  return kindsCache;
}

/**
 * Pushes the children of `e` onto `out`, structured instructions included (block, if, loop, legacy
 * try with its catch bodies), for every scan over a function body. A kind the pass does not know
 * throws: a scan that stepped over it could miss a loop, a call, a `ref.func` or a handler inside
 * (a first scan for caller-paid entries skipped `try` bodies and missed a `ref.func` there).
 */
export function childrenOf(e: Ref, out: Ref[]): void {
  const id = c('ExpressionGetId')(e);
  if (id === binaryen.BlockId) {
    const n = c('BlockGetNumChildren')(e);
    for (let i = 0; i < n; i++) out.push(c('BlockGetChildAt')(e, i));
  } else if (id === binaryen.IfId) {
    out.push(c('IfGetCondition')(e), c('IfGetIfTrue')(e));
    const f = c('IfGetIfFalse')(e);
    if (f) out.push(f);
  } else if (id === binaryen.LoopId) {
    out.push(c('LoopGetBody')(e));
  } else if (id === binaryen.TryId) {
    out.push(c('TryGetBody')(e));
    const n = c('TryGetNumCatchBodies')(e);
    for (let i = 0; i < n; i++) out.push(c('TryGetCatchBodyAt')(e, i));
  } else {
    const kind = kinds().get(id);
    if (!kind) throw new UnsupportedInstruction(`instruction ${idNames.get(id) ?? id} is not supported by the fuel pass`);
    kind.children(e, out);
  }
}

/** Something in a module the fuel pass cannot meter (refused, never stepped over). */
export class UnsupportedInstruction extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FuelPassError';
  }
}
