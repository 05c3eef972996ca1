/**
 * The fuel cost model: what an instruction costs, where charges are placed and which charges also
 * check the budget. Pure and deterministic; the binaryen pass (fuel-pass.ts) applies it and the
 * host side (meter.ts) uses the host-call prices. Change anything here ⇒ bump FUEL_MODEL_VERSION
 * (it is part of the artifact cache key, so stale instrumented modules are never reused).
 *
 * Placement (per function):
 * - a charge + budget check at function entry and at every loop header (any unbounded execution
 *   passes through one of them infinitely often), except that leaf functions without loops only
 *   charge: they run a bounded number of instructions and their caller's next check catches the
 *   deficit; loop headers usually charge a register-held debt that is settled every DEBT_FLUSH
 *   fuel and at function exits (fuel-pass.ts, instrumentLoops);
 * - a charge (no check) at the start of each `if` arm, and after each named block (a branch target:
 *   code there may be reached by a jump that skipped the code before it), so a big `br_table`
 *   dispatch (an interpreter loop) pays for the case it runs, not for every case;
 * - small branch-free `if` arms are coalesced into the enclosing charge, which then pays the
 *   costlier arm: fewer charges, still deterministic, at most COALESCE_ARM_LIMIT overcharge;
 * - in functions that call, every charge checks (code a callee returns into is checked before it
 *   charges more); in debt-mode functions every charge after the entry takes from the room, which
 *   is settled before every call (the callee checks) and with the check at every exit
 *   (decision 1941);
 * - caller-paid entries (decision 1941): a function entered only by direct calls (caller-paid.ts;
 *   exports get a wrapper) has its entry segment paid by the segment of each caller that calls
 *   it, and an arm that makes such a call is never coalesced; its entry checks (a load and a
 *   test, no store) only if some direct call to it sits in a segment paid without a check (in
 *   debt mode): a caller's checked segment charged its entry and checked just before the call
 *   (decision 2137); the base case of a recursion writes nothing.
 * Each charge pays for the straight-line code up to the next charge point in advance, so a branch
 * that leaves early overcharges slightly; the same input always pays the same.
 * 14: the checks' refill-or-trap moved out of line into one function (decision 2116); the same
 * charges, a different instrumented output.
 * 15: caller-paid entries check only where a caller may not have checked (decision 2137); the
 * same charges, fewer checks.
 */
export const FUEL_MODEL_VERSION = 15;

export type CostClass =
  /** block, loop, nop, pop: no work of their own. */
  | 'structural'
  /** local.get, const, drop: operand plumbing a compiler folds away. */
  | 'operand'
  /** arithmetic, loads, stores, local.set, global access, select, … */
  | 'op'
  /** if, br, br_if, br_table, return, unreachable, throw. */
  | 'branch'
  | 'call'
  | 'call-indirect'
  /** memory.copy / memory.fill / memory.init: plus a per-byte charge at run time. */
  | 'bulk-memory'
  /** memory.grow: plus a per-page charge at run time. */
  | 'memory-grow';

export const CLASS_COST: Readonly<Record<CostClass, number>> = {
  structural: 0,
  operand: 0,
  op: 1,
  branch: 1,
  call: 2,
  'call-indirect': 3,
  'bulk-memory': 1,
  'memory-grow': 1,
};

/** Bulk memory operations pay 1 fuel per 2^BULK_BYTES_SHIFT bytes (16), charged before they run. */
export const BULK_BYTES_SHIFT = 4;
/** memory.grow pays this much per requested 64 KiB page. */
export const GROW_PAGE_COST = 64;
/**
 * Loops in functions whose exits can all be instrumented charge their headers to a local debt that
 * moves to the fuel counter (with the budget check) when it reaches this much, and at every exit
 * of the function. Out-of-fuel is detected at most this late; see fuel-pass.ts.
 */
export const DEBT_FLUSH = 1024;
/**
 * Debt mode keeps the debt as a countdown, `room = DEBT_FLUSH - debt` (an i64 local set to
 * DEBT_FLUSH at function entry), so a loop header is one subtraction and a sign test
 * (`room -= charge; if (room <= 0) settle`) instead of an addition and a compare with a constant.
 * These three functions are the whole accounting; function-pass.ts emits them as wasm and
 * cost-model.test.ts replays them.
 */
export const debtRoom = {
  /** The room a function starts with (no debt). */
  initial: DEBT_FLUSH,
  /** Fuel a settlement moves to the counter: the debt accrued since the last one. */
  owed(room: number): number {
    return DEBT_FLUSH - room;
  },
  /**
   * The room after settling at a loop header whose charge was already taken off: the slow path
   * runs outside the loop and re-enters it at the header, which takes `charge` off again, so the
   * settlement leaves `charge` extra to land exactly on an empty debt.
   */
  afterSettle(charge: number): number {
    return DEBT_FLUSH + charge;
  },
};

/** `if` arms costing at most this much (and containing no charge point) are coalesced. */
export const COALESCE_ARM_LIMIT = 16;

/**
 * A call into a host function the price table below does not price by measurement (WASI calls, a
 * stdout write's fixed part, a call refused before it does its work) costs this much, plus the
 * bytes that cross.
 */
export const HOST_CALL_COST = 50;
/** Host calls pay 1 fuel per this many bytes (or UTF-16 code units) of data crossing. */
export const HOST_BYTES_PER_FUEL = 8;

/** Two prices the table below also composes (an HTTP fetch makes an id and writes state). */
const NEW_ID_PRICE = HOST_CALL_COST;
const STATE_SET_PRICE = 450;

/**
 * What one call of each function of the world costs, fixed part (the bytes that cross pay on top),
 * decision 2133. Measured with bench/host-call-cost.ts: the shard thread's CPU time per call (an
 * AssemblyScript agent on the direct path, the call n times in a loop against the same loop
 * without it), converted to fuel at the CPU time per fuel of metered compute in the same run
 * (fib), less the guest's own instructions around the call. "measured N" below is that host part
 * in fuel, from two runs on a shared 2-core machine at load 14–19; each price is set about a fifth
 * under the lower of the two, so an ordinary agent is never charged over what its calls cost. At
 * the old flat 50 these calls held their shard 4–25× longer than the compute their fuel buys.
 * jco's path (QuickJS agents) lifts in JavaScript and costs more per call: these prices are a
 * floor there. A host price, not instrumentation: FUEL_MODEL_VERSION is not bumped for it.
 */
export const HOST_CALL_PRICE = {
  /** measured 313–393 (a clock read; the cost is the crossing into the host and back). */
  now: 250,
  /** measured ≈ 50–90 past the guest's own allocation of the id it receives: the flat price is fair. */
  'new-id': NEW_ID_PRICE,
  /** measured 500–530 (the line is sliced and stamped with the time). */
  log: 400,
  /** measured 330–455. */
  'set-timer': 300,
  /** measured 1,700–1,780 for a 1-receiver message (lifting it, the bus's validation, the rate quota). */
  send: 1_400,
  /** measured 1,480–2,010 (the description's lists copied, the directory quota). */
  'register-service': 1_200,
  /** measured 780–850. */
  'deregister-service': 650,
  /** measured 490–505 with no hits (the hits' text pays per byte on top). */
  'search-services': 400,
  /** measured 245–415 (the value's text pays per byte on top; it was charged a second flat 50 before). */
  'state.get': 200,
  /** measured 563–807. */
  'state.set': STATE_SET_PRICE,
  /** measured 477–498. */
  'state.delete': 400,
  /** measured 705–730 for a page of one key (the keys scanned pay per byte on top; a second flat 50 before). */
  'state.keys': 500,
  /**
   * Not measured (the bench deploys no HTTP allow-list). At least the parts it is made of: the id
   * it makes and the pending-call record it writes to state (the policy check on top is unpriced).
   */
  'http.fetch': NEW_ID_PRICE + STATE_SET_PRICE,
  /** Not measured: a fetch's parts (decision 2193); the JSON-RPC body the host builds pays per byte on top. */
  'a2a.start': NEW_ID_PRICE + STATE_SET_PRICE,
  /** measured 910–1,040 (the name and filter checked). */
  'topics.subscribe': 750,
  /** measured 528–640. */
  'topics.unsubscribe': 450,
  /** measured 210–225: the bare crossing, the cheapest call of the world. */
  'message-info.receiver-count': 180,
  /** Not measured: the flat price (the ids handed over pay per byte). */
  'message-info.receivers': HOST_CALL_COST,
} as const satisfies Record<string, number>;

/** A function of the world, as the price table names it. */
export type HostFunction = keyof typeof HOST_CALL_PRICE;

/** Fuel for the data of a host call, without its fixed part (a lift paid before the call is priced). */
export function hostBytesFuel(bytes: number): number {
  return Math.ceil(Math.max(0, bytes) / HOST_BYTES_PER_FUEL);
}

/** A call of `fn` moving `bytes` (HOST_CALL_COST for a call the table does not price). */
export function hostCallFuel(bytes: number, fn?: HostFunction): number {
  return (fn === undefined ? HOST_CALL_COST : HOST_CALL_PRICE[fn]) + hostBytesFuel(bytes);
}

/**
 * Bytes a guest writes to stdout/stderr pay this much each (and HOST_CALL_COST per write), not the
 * generic 1/8. Measured end to end (bench/stdout-cost.ts, decision 1720): a byte written costs the
 * shard 4–15 fuel's worth of guest compute time (jco lowering the list, the copy out of guest
 * memory, the newline scan, the garbage; median of 7 estimates on a shared machine: 8), of which
 * the guest's own part is ≈ 0.25 fuel. At 1/8 a flood was charged ~30× under its cost (hostile
 * bench: stdout_flood left its neighbours 0.58). A host price, not instrumentation: changing it
 * leaves prepared artifacts valid, so FUEL_MODEL_VERSION (their cache key) is not bumped for it.
 */
export const OUTPUT_FUEL_PER_BYTE = 8;

/**
 * Bytes a guest offers stdout/stderr past its call's output budget (`maxOutputBytes`: dropped
 * unread, decision 2114) pay this much each. Dropping them is cheap for the host, but producing
 * them is not for the guest's shard: measured (decision 2129) a QuickJS flood of 496 dropped 64 KiB
 * writes took as long as 103–135 M fuel of compute while it was charged 10.4 M — its engine's copy
 * of each chunk into the write's argument and its call path run at ≈ 10× the time per fuel of plain
 * code. 3 a byte offered (the low end of that measure) brings the flood's charge to its time. A host
 * price, not instrumentation: FUEL_MODEL_VERSION is not bumped for it.
 */
export const DROPPED_OUTPUT_FUEL_PER_BYTE = 3;

export function droppedOutputFuel(bytes: number): number {
  return Math.max(0, bytes) * DROPPED_OUTPUT_FUEL_PER_BYTE;
}

/** A write to stdout/stderr: `bytes` read, `dropped` offered past the call's output budget. */
export function outputFuel(bytes: number, dropped = 0): number {
  return HOST_CALL_COST + Math.max(0, bytes) * OUTPUT_FUEL_PER_BYTE + droppedOutputFuel(dropped);
}

export function bulkMemoryFuel(bytes: number): number {
  return Math.floor(bytes / 2 ** BULK_BYTES_SHIFT);
}

export function growFuel(pages: number): number {
  return pages * GROW_PAGE_COST;
}

/** What the pass knows about an `if` arm after visiting it. */
export interface ArmSummary {
  /** Cost of the arm's code that is not already covered by a charge inside it. */
  cost: number;
  /** Whether visiting the arm placed any charge inside it (loops, nested arms, branch targets). */
  hasChargePoints: boolean;
}

export interface IfPlan {
  coalesce: boolean;
  /** Cost added to the enclosing segment (condition excluded). */
  parentCost: number;
}

/** Decide whether an `if`'s arms are charged in place or folded into the enclosing charge. */
export function planIf(thenArm: ArmSummary, elseArm: ArmSummary | null): IfPlan {
  const arms = elseArm ? [thenArm, elseArm] : [thenArm];
  const simple = arms.every((a) => !a.hasChargePoints && a.cost <= COALESCE_ARM_LIMIT);
  if (simple) return { coalesce: true, parentCost: CLASS_COST.branch + Math.max(...arms.map((a) => a.cost)) };
  return { coalesce: false, parentCost: CLASS_COST.branch };
}

export type ChargeSite = 'function-entry' | 'loop-header' | 'if-arm' | 'branch-target';

export interface FunctionFacts {
  /** Contains no call of any kind. */
  leaf: boolean;
  hasLoop: boolean;
}

/** Whether a charge at this site also compares the budget (and traps when it is spent). */
export function siteChecks(site: ChargeSite, fn: FunctionFacts): boolean {
  if (site === 'loop-header') return true;
  if (site === 'function-entry') return !(fn.leaf && !fn.hasLoop);
  return false;
}

/** Amount charged at a site: loop headers and function entries always cost at least 1. */
export function siteCharge(site: ChargeSite, cost: number): number {
  if (site === 'loop-header' || site === 'function-entry') return Math.max(1, cost);
  return cost;
}
