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
import { childrenOf } from './expression-kinds.js';

/**
 * True when any defined function contains a `try` (walked iteratively: bodies can nest deeply). A
 * kind the walker does not know throws (the pass would refuse the module anyway).
 */
export function moduleCatches(m: binaryen.Module): boolean {
  const n = m.getNumFunctions();
  for (let i = 0; i < n; i++) {
    const fn = m.getFunctionByIndex(i) as unknown as number;
    const body = c('FunctionGetBody')(fn);
    if (!body) continue;
    const stack: Ref[] = [body];
    while (stack.length > 0) {
      const e = stack.pop()!;
      if (getId(e) === binaryen.TryId) return true;
      childrenOf(e, stack);
    }
  }
  return false;
}
