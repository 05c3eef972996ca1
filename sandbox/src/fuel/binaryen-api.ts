/** Thin access to binaryen.js's C API (the `_Binaryen…` functions its typings do not list). */
import binaryen from 'binaryen';

export type Ref = number;

// The binaryen.js C API is exported as `_Binaryen…` functions that the typings do not list.
const api = binaryen as unknown as Record<string, (...args: number[]) => number>;
export function c(name: string): (...args: number[]) => number {
  const f = api[`_Binaryen${name}`];
  if (typeof f !== 'function') throw new Error(`binaryen.js lacks _Binaryen${name}`);
  return f;
}

export const getId = c('ExpressionGetId');
export const getType = c('ExpressionGetType');

/** binaryen ≥ 120 takes one (number | bigint) argument; its typings still show (low, high). */
export function i64c(m: binaryen.Module, value: number): Ref {
  return (m.i64.const as unknown as (v: bigint) => Ref)(BigInt(value));
}

/** binaryen.js's `Loop` helpers (names are JS strings there; the raw C API takes heap pointers). */
const loopApi = (binaryen as unknown as { Loop: { getName(e: Ref): string | null; setName(e: Ref, name: string): void } }).Loop;
export function loopName(e: Ref): string | null {
  return loopApi.getName(e) || null;
}
export function setLoopName(e: Ref, name: string): void {
  loopApi.setName(e, name);
}
