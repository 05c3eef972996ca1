/**
 * Which functions can have their entry charge paid by their callers (decision 1941).
 *
 * A call's callee is known statically only for a direct `call`. A function that is only ever
 * entered that way — not through a table (element segments), a `ref.func`, the start function, or
 * from the host (exports get a small charging wrapper instead, see fuel-pass.ts) — can leave the
 * charge for its entry segment to the segment of the caller that contains the call: one
 * read-modify-write of the fuel counter pays for the caller's code and its callees' entries. On
 * call-heavy code that store, a dependency through memory from one call to the next, was the whole
 * cost of the pass (fib(30): 1.74× with it, 1.08× with only the load and the test).
 */
import binaryen from 'binaryen';
import type { Ref } from './binaryen-api.js';
import { getId } from './binaryen-api.js';
import { childrenOf } from './expression-kinds.js';

/**
 * Only functions whose entry segment costs at most this much are caller-paid (fuel-pass.ts,
 * callerPaidSet): the most a skipped call is overcharged, like a coalesced `if` arm.
 */
export const CALLER_PAID_ENTRY_LIMIT = 16;

/**
 * Names of the defined functions that are called directly and entered no other way than by
 * direct calls (and by the export wrappers).
 */
export function callerPaidFunctions(m: binaryen.Module): Set<string> {
  const open = new Set<string>();
  const called = new Set<string>();
  const scan = (root: Ref): void => {
    const stack: Ref[] = [root];
    while (stack.length > 0) {
      const e = stack.pop()!;
      const id = getId(e);
      if (id === binaryen.RefFuncId)
        open.add((binaryen.getExpressionInfo(e as binaryen.ExpressionRef) as unknown as { func: string }).func);
      else if (id === binaryen.CallId) called.add((binaryen.getExpressionInfo(e as binaryen.ExpressionRef) as binaryen.CallInfo).target);
      // Every child, `try` and catch bodies included (a `ref.func` inside one was once missed, and a
      // function entered by return_call_indirect then ran on zero fuel); unknown kinds throw.
      childrenOf(e, stack);
    }
  };
  const start = m.getStart();
  if (start) open.add(binaryen.getFunctionInfo(start).name);
  for (let i = 0; i < m.getNumElementSegments(); i++) {
    const info = binaryen.getElementSegmentInfo(m.getElementSegmentByIndex(i));
    for (const name of info.data) open.add(name);
  }
  for (let i = 0; i < m.getNumGlobals(); i++) {
    const init = binaryen.getGlobalInfo(m.getGlobalByIndex(i)).init;
    if (init) scan(init as unknown as Ref);
  }
  const defined: string[] = [];
  for (let i = 0; i < m.getNumFunctions(); i++) {
    const info = binaryen.getFunctionInfo(m.getFunctionByIndex(i));
    if (info.module) continue; // an import: the host's, never charged by the pass
    defined.push(info.name);
    if (info.body) scan(info.body as unknown as Ref);
  }
  // Only functions something calls directly: one only the host calls (an export) would gain nothing
  // but a wrapper's extra call, and one nothing enters is dead code that keeps its own charge.
  return new Set(defined.filter((name) => called.has(name) && !open.has(name)));
}
