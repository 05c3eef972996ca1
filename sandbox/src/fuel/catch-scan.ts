/**
 * Whether a module can catch an exception that unwound one of its functions. Debt mode keeps a
 * function's loop charges in a local until the function exits normally; an exception that leaves
 * the function skips that settlement, and a handler further up could then repeat the round for
 * free (up to DEBT_FLUSH of unpaid work each time). Only a module with a handler can do that
 * (legacy `try`; `try_table` is refused by the pass), so only there do functions that may unwind
 * charge their loops to the counter directly (function-pass.ts, instrumentLoops).
 */
import binaryen from 'binaryen';
import type { Ref } from './binaryen-api.js';
import { c, getId } from './binaryen-api.js';
import type { Kind } from './expression-kinds.js';

function children(e: Ref, id: number, kinds: Map<number, Kind>, out: Ref[]): void {
  if (id === binaryen.BlockId) {
    const n = c('BlockGetNumChildren')(e);
    for (let i = 0; i < n; i++) out.push(c('BlockGetChildAt')(e, i));
  } else if (id === binaryen.IfId) {
    out.push(c('IfGetCondition')(e), c('IfGetIfTrue')(e));
    const f = c('IfGetIfFalse')(e);
    if (f) out.push(f);
  } else if (id === binaryen.LoopId) {
    out.push(c('LoopGetBody')(e));
  } else {
    kinds.get(id)?.children(e, out);
  }
}

/** True when any defined function contains a `try` (walked iteratively: bodies can nest deeply). */
export function moduleCatches(m: binaryen.Module, kinds: Map<number, Kind>): boolean {
  const n = m.getNumFunctions();
  for (let i = 0; i < n; i++) {
    const fn = m.getFunctionByIndex(i) as unknown as number;
    const body = c('FunctionGetBody')(fn);
    if (!body) continue;
    const stack: Ref[] = [body];
    while (stack.length > 0) {
      const e = stack.pop()!;
      const id = getId(e);
      if (id === binaryen.TryId) return true;
      children(e, id, kinds, stack);
    }
  }
  return false;
}
