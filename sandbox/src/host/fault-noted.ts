/**
 * A host import wrapped so that what it throws is noted on the instance's bridge before it unwinds
 * the guest (the sandbox then tells a host fault from a guest trap): one wrapper for both engines
 * (direct/direct-instance.ts, jco/lift-guard.ts).
 */

/** Where a throw is noted: the instance's host bridge. */
export interface FaultNotes {
  noteFault(err: unknown): void;
}

type CoreFn = (...args: number[]) => unknown;

/**
 * `f`, noting what it throws. `arity` 1 to 3 (the import's declared parameters, from the ABI: not
 * `f.length`, which a default or rest parameter understates) takes a fixed form, with no rest array
 * on the hot path; any other passes every argument on.
 */
export function faultNoted(f: CoreFn, notes: FaultNotes, arity = -1): CoreFn {
  if (arity > 0 && arity <= 3)
    return (a: number, b: number, c: number) => {
      try {
        return f(a, b, c);
      } catch (err) {
        notes.noteFault(err);
        throw err;
      }
    };
  return (...args: number[]) => {
    try {
      return f(...args);
    } catch (err) {
      notes.noteFault(err);
      throw err;
    }
  };
}
