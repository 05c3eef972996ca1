/**
 * The fuel pass for one function: walks its body once, placing charges per the cost model
 * (cost-model.ts); then, knowing the whole function, decides how each charge is paid (to the
 * counter, with or without a check, or to the debt local), places the loop headers (debt or
 * direct), the debt settlements (before calls and at exits) and the entry charge.
 */
import binaryen from 'binaryen';
import type { FunctionFacts } from './cost-model.js';
import { BULK_BYTES_SHIFT, CLASS_COST, GROW_PAGE_COST, debtRoom, planIf, siteCharge, siteChecks } from './cost-model.js';
import type { Ref } from './binaryen-api.js';
import { c, getId, getType, i64c, loopName, setLoopName } from './binaryen-api.js';
import type { Kind } from './expression-kinds.js';
import { DATA_REF_IDS, UnsupportedInstruction, idNames } from './expression-kinds.js';

export { UnsupportedInstruction };

export const FUEL_GLOBAL = 'caxton$fuel';
export const REFILL_FN = 'caxton$fuel_refill';
export const GROW_FN = 'caxton$fuel_grow';
/** The module's one out-of-line slow path of every check (decision 2116): refill or trap. */
export const OUT_OF_FUEL_FN = 'caxton$fuel_out';

/**
 * The body of OUT_OF_FUEL_FN `(param $current i64) (result i64)`, called when a check found the
 * counter negative, as `fuel = OUT_OF_FUEL_FN(fuel)`: `$current = refill($current); if ($current
 * < 0) { fuel = $current; unreachable }; return $current`. The host never throws into the guest (a JS exception is
 * catchable by wasm `catch_all`/`try_table`); it answers with the deficit and the guest's own code
 * traps, and a trap is not catchable by wasm handlers. It is a function of its own, not inlined
 * into every check (decision 2116): a check is then a test and a call that never runs while fuel
 * lasts, so small guest functions stay within V8's wasm inlining budget (on Node 24 the refill
 * sequence in every check kept a recursive fib from being inlined as deeply as its unmetered
 * twin: 1.97x against 1.13x on Node 20). While fuel lasts the counter is stored by the caller, not
 * by this function (measured on Node 20, the variant that stored it here cost fib ~3 % more); on
 * the trap path this function stores it, since the caller's store never runs.
 * Added after the pass has instrumented the guest's functions, so it is not metered itself, and
 * nothing but the checks can name it (the guest's code was written before it existed; it is
 * neither exported nor in a table).
 */
export function refillOrTrapBody(m: binaryen.Module): Ref {
  const current = (): Ref => m.local.get(0, binaryen.i64);
  return m.block(
    null,
    [
      m.local.set(0, m.call(REFILL_FN, [current()], binaryen.i64)),
      // Out of fuel: the counter takes refill's answer before the trap, as an inline check left it —
      // the meter reads the deficit from it (meter.ts: `used()` shows the whole of it even when refill
      // emptied the pool and the other modules' counters). Only this cold path stores it.
      m.if(m.i64.lt_s(current(), i64c(m, 0)), m.block(null, [m.global.set(FUEL_GLOBAL, current()), m.unreachable()])),
      current(),
    ],
    binaryen.i64,
  );
}

function isReturnCall(id: number, e: Ref): boolean {
  if (id === binaryen.CallId) return c('CallIsReturn')(e) !== 0;
  if (id === binaryen.CallIndirectId) return c('CallIndirectIsReturn')(e) !== 0;
  return c('CallRefIsReturn')(e) !== 0;
}

/**
 * Caller-paid entries (caller-paid.ts, decision 1941): the functions whose entry segment their
 * direct callers pay for, and each one's own entry-segment cost. `entryCost` is null in the
 * measuring run that computes those costs (no amounts are folded then; every decision is the same).
 */
export interface CallerPaid {
  functions: ReadonlySet<string>;
  entryCost: ReadonlyMap<string, number> | null;
  /**
   * The caller-paid functions that keep their entry check (decision 2137): those some direct call
   * reaches from a segment paid without a check (FunctionPass.uncheckedCallees, from the measuring
   * run). Null in the measuring run: every entry checks, as before.
   */
  entryChecks: ReadonlySet<string> | null;
}

/** What a caller pays at a direct call for the callee's entry segment (entries cost at least 1). */
export function callerPays(entryCost: ReadonlyMap<string, number>, callee: string): number {
  return siteCharge('function-entry', entryCost.get(callee) ?? 0);
}

interface LoopSite {
  loop: Ref;
  body: Ref;
  cost: number;
  /** Caller-paid functions called directly in the loop body's own segment (paid by its header). */
  callees: string[];
}

/** An expression whose parent can take a replacement (so a settlement can be put in front of it). */
interface Slot {
  at: Ref;
  replace(next: Ref): void;
}

/**
 * A constant charge placed while walking (`ref`, a child of block `parent`), in its provisional
 * form `fuel -= amount`; rewritten once the function is known (FunctionPass.payCharges).
 */
interface PlacedCharge {
  parent: Ref;
  ref: Ref;
  amount: number;
  /** Caller-paid functions called directly in the segment this charge pays for. */
  callees: string[];
}

/** Where in a function a settlement or check may have to go. */
interface Slots {
  returns: Slot[];
  /** Direct calls without operands (a settlement cannot go inside them), by expression. */
  bareCalls: Map<Ref, Slot>;
}

export class FunctionPass {
  leaf = true;
  hasLoop = false;
  charges = 0;
  checks = 0;
  expressions = 0;
  bulk = 0;
  grows = 0;
  /** Instructions that name a data segment by index (memory.init, data.drop, array.*_data). */
  dataRefs = 0;
  /** Whether this function's loops were metered through the debt local (see instrumentLoops). */
  debtMode = false;
  private temp = -1;
  private temp64 = -1;
  private room = -1;
  /**
   * The room at the last settlement before a call (DEBT_FLUSH after a checked one): the debt is
   * `base - room`. Settling before a call moves the debt without resetting the room, so the room
   * still runs out — and the header checks — after one room of the function's own charges,
   * however many calls it settled before (decision 1941).
   */
  private base = -1;
  private readonly loops: LoopSite[] = [];
  private readonly placed: PlacedCharge[] = [];
  /** Every call the walk met (not the pass's own calls to its imports). */
  private readonly calls: Ref[] = [];
  /** Scratch locals by value type, for values held across a settlement. */
  private readonly holds = new Map<number, number>();
  private tailCalls = 0;
  private throws = 0;
  /** Direct calls to caller-paid functions seen so far (an arm that makes one is not coalesced). */
  private paidCalls = 0;
  /** The cost of the entry segment (set by run): a caller-paid function's callers pay it. */
  entryCost = 0;
  /**
   * Caller-paid functions called directly here, in the order met, not yet given to the segment
   * (charge point) that pays for them: a segment takes the ones met since it began.
   */
  private readonly unclaimed: string[] = [];
  /**
   * Caller-paid functions this function calls directly from a segment paid without a check (set by
   * run): those keep their entry check. A call from a checked segment needs none (decision 2137):
   * the segment's check ran in the caller's frame after charging at least the callee's entry, so
   * a cycle of such calls passes a charging check per frame.
   */
  readonly uncheckedCallees = new Set<string>();
  /** Callees of a segment that placed no charge (none can: a call costs at least 2), as unchecked. */
  private readonly unpaid: string[] = [];

  constructor(
    private readonly m: binaryen.Module,
    private readonly fn: number,
    private readonly kinds: Map<number, Kind>,
    /**
     * Some core module of the artifact has an exception handler (catch-scan.ts): a function may be
     * unwound and its round repeated. Artifact-wide, not per module: the handler can sit in another
     * module of the same component. Defaults to the safe answer.
     */
    private readonly catches = true,
    private readonly paid: CallerPaid | null = null,
  ) {}

  private fuel(): Ref {
    return this.m.global.get(FUEL_GLOBAL, binaryen.i64);
  }

  /**
   * A charge point of a constant amount, placed as child of `parent` by the caller: provisionally
   * `fuel -= amount`, rewritten by payCharges once the function is known.
   */
  private charge(amount: number, callees: string[], place: (ref: Ref) => Ref): void {
    this.charges++;
    const ref = this.chargeBy(i64c(this.m, amount));
    this.placed.push({ parent: place(ref), ref, amount, callees });
  }

  /** The caller-paid callees met since `mark` (a segment's start), taken out of `unclaimed`. */
  private claim(mark: number): string[] {
    return this.unclaimed.splice(mark);
  }

  /** `fuel -= <i64 expression>` (run-time charges of bulk memory and memory.grow). */
  chargeBy(amount: Ref): Ref {
    return this.m.global.set(FUEL_GLOBAL, this.m.i64.sub(this.fuel(), amount));
  }

  /**
   * `fuel -= amount; if (fuel < 0) refill-or-trap`, the new balance kept in a local for the test so
   * the check does not read the global back.
   */
  chargeAndCheck(amount: Ref): Ref[] {
    this.checks++;
    const t = this.scratch64();
    return [
      this.m.global.set(FUEL_GLOBAL, this.m.local.tee(t, this.m.i64.sub(this.fuel(), amount), binaryen.i64)),
      this.m.if(this.m.i64.lt_s(this.m.local.get(t, binaryen.i64), i64c(this.m, 0)), this.refillOrTrap()),
    ];
  }

  /**
   * `if (fuel < 0) refill-or-trap`: the entry check of a function whose callers paid its entry —
   * a load and a test, no store (the store is what costs on call-heavy code, decision 1941).
   */
  private checkOnly(): Ref {
    this.checks++;
    return this.m.if(this.m.i64.lt_s(this.fuel(), i64c(this.m, 0)), this.refillOrTrap());
  }

  /**
   * The body of the export wrapper of caller-paid `target` (fuel-pass.ts): pays the target's entry
   * segment as a caller would, with the check, then calls it with the wrapper's parameters.
   */
  exportWrapperBody(target: string, params: number, results: number, amount: number): Ref {
    const types = binaryen.expandType(params);
    const args = types.map((t, i) => this.m.local.get(i, t));
    this.temp64 = types.length; // the wrapper's one declared local
    return this.m.block(null, [...this.chargeAndCheck(i64c(this.m, amount)), this.m.call(target, args, results)], results);
  }

  /** The counter went negative: the call to the out-of-line refill-or-trap (refillOrTrapBody). */
  private refillOrTrap(): Ref {
    return this.m.global.set(FUEL_GLOBAL, this.m.call(OUT_OF_FUEL_FN, [this.fuel()], binaryen.i64));
  }

  /** Sets a child of `e` through setter `setter` (with an index for list children); returns the child. */
  private set(e: Ref, setter: string, child: Ref, index?: number): Ref {
    if (index === undefined) c(setter)(e, child);
    else c(setter)(e, index, child);
    return child;
  }

  private wrap(prefix: Ref[], body: Ref): Ref {
    return this.m.block(null, [...prefix, body], binaryen.auto);
  }

  private tempLocal(): number {
    if (this.temp < 0) this.temp = c('FunctionAddVar')(this.fn, binaryen.i32);
    return this.temp;
  }

  private scratch64(): number {
    if (this.temp64 < 0) this.temp64 = c('FunctionAddVar')(this.fn, binaryen.i64);
    return this.temp64;
  }

  run(): void {
    let body = c('FunctionGetBody')(this.fn);
    if (!body) return;
    const cost = this.visit(body);
    this.entryCost = cost;
    const entryCallees = this.claim(0);
    body = this.instrumentLoops(body);
    const facts: FunctionFacts = { leaf: this.leaf, hasLoop: this.hasLoop };
    const name = binaryen.getFunctionInfo(this.fn as unknown as binaryen.FunctionRef).name;
    let prefix: Ref[];
    if (this.paid?.functions.has(name)) {
      // The callers paid for this entry segment as measured; what is left is what the segment owes
      // for its own calls' callees (their entry segments), plus any arm that coalesces in this run
      // only (the measured cost is never above this run's own part: fuel-pass.ts, callerPaidSet).
      const owed = this.paid.entryCost ? cost - (this.paid.entryCost.get(name) ?? 0) : 0;
      if (owed < 0)
        throw new UnsupportedInstruction(`caller-paid entry of ${name}: measured ${this.paid.entryCost?.get(name)}, found ${cost}`);
      // The entry still checks where any entry would (functions that can run unboundedly: every
      // call cycle passes a check); with nothing owed, the check reads the counter, no store.
      const checks = siteChecks('function-entry', facts);
      // A direct call in the entry segment makes it owe that callee's entry: charged with the check
      // below, which the call then counts on (entryChecked).
      if (this.paid.entryCost && entryCallees.length > 0 && !(checks && owed > 0)) {
        throw new UnsupportedInstruction(`caller-paid entry of ${name}: its calls' entries owe ${owed}`);
      }
      if (owed > 0) {
        prefix = checks ? this.chargeAndCheck(i64c(this.m, owed)) : [this.chargeBy(i64c(this.m, owed))];
        this.charges++;
      } else prefix = checks && (this.paid.entryChecks?.has(name) ?? true) ? [this.checkOnly()] : [];
    } else {
      const entry = siteCharge('function-entry', cost);
      prefix = siteChecks('function-entry', facts) ? this.chargeAndCheck(i64c(this.m, entry)) : [this.chargeBy(i64c(this.m, entry))];
      this.charges++;
    }
    this.noteUncheckedCallees(name, entryCallees, this.paid?.functions.has(name) !== true || entryCallees.length > 0);
    if (this.debtMode) {
      prefix.push(this.m.local.set(this.roomLocal(), i64c(this.m, debtRoom.initial)));
      prefix.push(this.m.local.set(this.baseLocal(), i64c(this.m, debtRoom.initial)));
    }
    c('FunctionSetBody')(this.fn, this.wrap(prefix, body));
  }

  /**
   * Sets uncheckedCallees once the function is known: callees of the segments paid without a
   * check. Only a function that calls and keeps no debt checks its charges (payCharges) and
   * headers; in debt mode every call counts as unchecked (its settlement before calls does not
   * check). `entryChecked`: the entry segment's charge checks (an entry of a function that calls,
   * or a caller-paid one's charge for its calls' entries). In the real run every such callee must
   * be one the measuring run found (its entry check was kept by that): otherwise the two runs
   * disagree, and the module is refused rather than metered unsoundly.
   */
  private noteUncheckedCallees(name: string, entryCallees: string[], entryChecked: boolean): void {
    const checked = !this.debtMode;
    const unchecked = [...this.unpaid, ...(checked && entryChecked ? [] : entryCallees)];
    if (!checked) for (const site of [...this.placed, ...this.loops]) unchecked.push(...site.callees);
    for (const callee of unchecked) {
      if (this.paid?.entryChecks && !this.paid.entryChecks.has(callee)) {
        throw new UnsupportedInstruction(`${name} calls ${callee} from a segment without a check, which the measuring run did not see`);
      }
      this.uncheckedCallees.add(callee);
    }
  }

  /**
   * Loop headers charge every iteration. A read-modify-write of the fuel global per iteration is a
   * loop-carried dependency through memory that doubles the time of tight loops, so where it is
   * safe the function keeps its charges in a local instead (a register): the debt, kept as a
   * countdown `room` (cost-model.ts, debtRoom). Headers, `if` arms and branch targets then take
   * from the room; the debt is settled to the global *with the budget check* when the room runs
   * out at a header (every DEBT_FLUSH fuel) and at every exit (falling off the end, every
   * `return`), and without a check, and without refilling the room, right before every call.
   * Settling before calls is what bounds a recursion: no frame below the running one holds a
   * debt, so at most one frame's room of work (decision 1941) is ever unpaid, however deep the
   * stack; the callee checks at entry if it calls or loops, and the room still runs out after one
   * room of this function's own charges. Checking at exits bounds what an unwinding stack can do
   * between checks.
   * Safe = every `return` and every operand-less call can be given a settlement in front of it,
   * no tail calls, a body of zero or one value, and no exception can leave the function to be
   * caught (no handler in the artifact, or the function neither throws nor calls). Otherwise the
   * headers charge and check the global directly.
   * Debt mode delays out-of-fuel by at most one room and loses at most that much of a call that
   * traps; the same input is still always charged the same.
   */
  private instrumentLoops(body: Ref): Ref {
    // In a block every expression that may need a settlement in front of it has a parent.
    if (this.loops.length > 0 && getId(body) !== binaryen.BlockId) body = this.m.block(null, [body], getType(body));
    const slots = this.loops.length > 0 ? this.debtSlots(body) : null;
    this.debtMode = slots !== null;
    this.payCharges();
    if (!slots) {
      for (const site of this.loops) {
        this.charges++;
        const header = this.chargeAndCheck(i64c(this.m, siteCharge('loop-header', site.cost)));
        c('LoopSetBody')(site.loop, this.wrap(header, site.body));
      }
      return body;
    }
    // Settlements in front of calls and returns first: a loop whose body is a `return` or a call
    // then gets its header around the settled expression (debtHeader reads loop bodies again).
    for (const call of this.calls) this.settleBeforeCall(call, slots.bareCalls);
    for (const r of slots.returns) this.settleBeforeReturn(r);
    this.loops.forEach((site, i) => this.debtHeader(site, i));
    const bodyType = getType(body);
    if (bodyType === binaryen.none || bodyType === binaryen.unreachable) {
      return this.m.block(null, [body, ...this.settleAndCheck()], binaryen.none);
    }
    const t = this.hold(bodyType);
    return this.m.block(null, [this.m.local.set(t, body), ...this.settleAndCheck(), this.m.local.get(t, bodyType)], bodyType);
  }

  /** Where debt mode would put its settlements, or null when the function cannot keep a debt. */
  private debtSlots(body: Ref): Slots | null {
    const bodyType = getType(body);
    // An exception leaving the function would skip its settlement, and a handler further up could
    // repeat the round for free. Where any module of the artifact can catch (the handler may sit in
    // another core module of the component), a function that can be unwound (it throws or calls)
    // pays at its headers.
    const mayUnwind = this.catches && (!this.leaf || this.throws > 0);
    if (mayUnwind || this.tailCalls > 0) return null;
    if (!(bodyType === binaryen.none || bodyType === binaryen.unreachable || binaryen.expandType(bodyType).length === 1)) return null;
    return this.collectSlots(body);
  }

  /**
   * Rewrites every provisional charge (`fuel -= amount`) now that the function is known:
   * - in debt mode, `room -= amount` — the settlements check it later;
   * - in a function that calls, `fuel -= amount` with the check: code a callee returned into runs
   *   no further than its next charge before a check, so a deep stack unwinding cannot run one
   *   unchecked stretch per frame;
   * - in a leaf, left as it is (bounded straight-line work; its loops' headers check).
   */
  private payCharges(): void {
    if (this.leaf && !this.debtMode) return;
    for (const p of this.placed) {
      const n = c('BlockGetNumChildren')(p.parent);
      let i = 0;
      while (i < n && c('BlockGetChildAt')(p.parent, i) !== p.ref) i++;
      if (i === n) throw new Error('fuel pass: a charge point lost its place');
      const paid = this.debtMode ? this.take(p.amount) : this.m.block(null, this.chargeAndCheck(i64c(this.m, p.amount)), binaryen.none);
      c('BlockSetChildAt')(p.parent, i, paid);
    }
  }

  /** `room -= amount`. */
  private take(amount: number): Ref {
    const room = this.roomLocal();
    return this.m.local.set(room, this.m.i64.sub(this.m.local.get(room, binaryen.i64), i64c(this.m, amount)));
  }

  /** A scratch local of `type`, one per type, to hold a value across a settlement. */
  private hold(type: number): number {
    let t = this.holds.get(type);
    if (t === undefined) {
      t = c('FunctionAddVar')(this.fn, type);
      this.holds.set(type, t);
    }
    return t;
  }

  /**
   * Settles the debt (settleOnly) right before `call` runs: after its last operand (or its
   * target) is evaluated, so nothing charges the room between the settlement and the call.
   */
  private settleBeforeCall(call: Ref, bare: Map<Ref, Slot>): void {
    const children: Ref[] = [];
    this.kinds.get(getId(call))!.children(call, children);
    const last = children[children.length - 1];
    if (last === undefined) {
      const slot = bare.get(call)!;
      slot.replace(this.m.block(null, [...this.settleOnly(), call], binaryen.auto));
      return;
    }
    const type = getType(last);
    if (type === binaryen.unreachable) return; // the call never runs
    const id = getId(last);
    const settled =
      id === binaryen.LocalGetId || id === binaryen.ConstId
        ? this.m.block(null, [...this.settleOnly(), last], type)
        : this.m.block(
            null,
            [this.m.local.set(this.hold(type), last), ...this.settleOnly(), this.m.local.get(this.hold(type), type)],
            type,
          );
    const callId = getId(call);
    if (callId === binaryen.CallId) c('CallSetOperandAt')(call, children.length - 1, settled);
    else if (callId === binaryen.CallIndirectId) c('CallIndirectSetTarget')(call, settled);
    else c('CallRefSetTarget')(call, settled);
  }

  /** Settles the debt, with the check, after the returned value is computed and before `return`. */
  private settleBeforeReturn(r: Slot): void {
    const value = c('ReturnGetValue')(r.at);
    const type = value ? getType(value) : binaryen.none;
    if (type === binaryen.unreachable) return; // the return never runs
    let settled: Ref;
    if (!value) settled = this.m.block(null, [...this.settleAndCheck(), r.at], binaryen.auto);
    else {
      const t = this.hold(type);
      c('ReturnSetValue')(r.at, this.m.local.get(t, type));
      settled = this.m.block(null, [this.m.local.set(t, value), ...this.settleAndCheck(), r.at], binaryen.auto);
    }
    r.replace(settled);
  }

  private baseLocal(): number {
    if (this.base < 0) this.base = c('FunctionAddVar')(this.fn, binaryen.i64);
    return this.base;
  }

  private roomLocal(): number {
    if (this.room < 0) this.room = c('FunctionAddVar')(this.fn, binaryen.i64);
    return this.room;
  }

  /**
   * `fuel -= base - room; room = base = DEBT_FLUSH`, with the check: the debt moves to the counter
   * (at exits).
   */
  private settleAndCheck(): Ref[] {
    return [...this.chargeAndCheck(this.owed()), ...this.emptyRoom(debtRoom.initial)];
  }

  /**
   * `fuel -= base - room; base = room`: the debt moves to the counter before a call, so no frame
   * waiting on a callee holds any; no check here (a check, a cold call inside the call's operands,
   * cost the QuickJS echo ~15 %), and the room is not refilled, so the loop header still finds it
   * empty — and checks — after one room of this function's charges. The callee checks at entry if
   * it calls or loops.
   */
  private settleOnly(): Ref[] {
    return [
      this.m.global.set(FUEL_GLOBAL, this.m.i64.sub(this.fuel(), this.owed())),
      this.m.local.set(this.baseLocal(), this.m.local.get(this.roomLocal(), binaryen.i64)),
    ];
  }

  /** After a checked settlement: `room = roomAfter; base = DEBT_FLUSH`. */
  private emptyRoom(roomAfter: number): Ref[] {
    return [
      this.m.local.set(this.roomLocal(), i64c(this.m, roomAfter)),
      this.m.local.set(this.baseLocal(), i64c(this.m, debtRoom.initial)),
    ];
  }

  /** `base - room`: debtRoom.owed (base is DEBT_FLUSH but after a settlement before a call). */
  private owed(): Ref {
    return this.m.i64.sub(this.m.local.get(this.baseLocal(), binaryen.i64), this.m.local.get(this.roomLocal(), binaryen.i64));
  }

  /**
   * Rewrites `(loop $L body)` of type T into
   *
   *     (loop $retry                                   ;; the original expression, renamed
   *       (block $exit (result T)
   *         (block $settle
   *           (br $exit (loop $L                       ;; a new loop under the original name
   *             (room -= charge) (br_if $settle (room <= 0))
   *             body)))
   *         fuel -= DEBT_FLUSH - room; check; room = DEBT_FLUSH + charge
   *         (br $retry)))
   *
   * so the hot header is a subtraction and a branch, and the settlement — which calls the host's
   * refill when the counter runs dry — sits outside the loop: a call inside a loop, even on a cold
   * path, makes V8 spill the loop's live values around it (measured on the sieve: 1.70 → 1.35).
   * The settlement re-enters at the header, which takes `charge` off again; the room it leaves
   * accounts for that (debtRoom.afterSettle), so every iteration is charged exactly once. Branches
   * to $L in `body` target the new loop; nothing in `body` can name the new labels.
   */
  private debtHeader(site: LoopSite, index: number): void {
    this.charges++;
    const charge = siteCharge('loop-header', site.cost);
    const e = site.loop;
    const type = getType(e);
    const room = this.roomLocal();
    const settleLabel = `caxton$fuel_settle${index}`;
    const exitLabel = `caxton$fuel_exit${index}`;
    const retryLabel = `caxton$fuel_retry${index}`;
    const header = [
      this.m.local.set(room, this.m.i64.sub(this.m.local.get(room, binaryen.i64), i64c(this.m, charge))),
      this.m.br(settleLabel, this.m.i64.le_s(this.m.local.get(room, binaryen.i64), i64c(this.m, 0))),
    ];
    const inner = this.m.loop(loopName(e) as string, this.wrap(header, c('LoopGetBody')(e)));
    const leave =
      type === binaryen.none
        ? this.m.block(null, [inner, this.m.br(exitLabel)], binaryen.none)
        : type === binaryen.unreachable
          ? inner
          : this.m.br(exitLabel, 0, inner);
    const settlement = [...this.chargeAndCheck(this.owed()), ...this.emptyRoom(debtRoom.afterSettle(charge)), this.m.br(retryLabel)];
    setLoopName(e, retryLabel);
    c('LoopSetBody')(e, this.m.block(exitLabel, [this.m.block(settleLabel, [leave], binaryen.none), ...settlement], binaryen.auto));
  }

  /**
   * Finds every `return` and every call without operands in the (block) body, each with a way to
   * put something in front of it. Null if one sits where it cannot be given a settlement (an
   * operand position other than a few common ones), which rules debt mode out.
   */
  private collectSlots(root: Ref): Slots | null {
    const slots: Slots = { returns: [], bareCalls: new Map() };
    const bare = new Set(this.calls.filter((call) => getId(call) === binaryen.CallId && c('CallGetNumOperands')(call) === 0));
    let ok = true;
    const walk = (e: Ref, replace: ((next: Ref) => void) | null): void => {
      const id = getId(e);
      if (id === binaryen.ReturnId || bare.has(e)) {
        if (!replace) ok = false;
        else if (id === binaryen.ReturnId) slots.returns.push({ at: e, replace });
        else slots.bareCalls.set(e, { at: e, replace });
      }
      const value = (get: string, set: string): void => {
        const v = c(get)(e);
        if (v) walk(v, (next) => c(set)(e, next));
      };
      if (id === binaryen.BlockId) {
        const n = c('BlockGetNumChildren')(e);
        for (let i = 0; i < n; i++) walk(c('BlockGetChildAt')(e, i), (next) => c('BlockSetChildAt')(e, i, next));
      } else if (id === binaryen.IfId) {
        walk(c('IfGetCondition')(e), null);
        walk(c('IfGetIfTrue')(e), (next) => c('IfSetIfTrue')(e, next));
        const f = c('IfGetIfFalse')(e);
        if (f) walk(f, (next) => c('IfSetIfFalse')(e, next));
      } else if (id === binaryen.LoopId) {
        walk(c('LoopGetBody')(e), (next) => c('LoopSetBody')(e, next));
      } else if (id === binaryen.TryId) {
        walk(c('TryGetBody')(e), (next) => c('TrySetBody')(e, next));
        const n = c('TryGetNumCatchBodies')(e);
        for (let i = 0; i < n; i++) walk(c('TryGetCatchBodyAt')(e, i), (next) => c('TrySetCatchBodyAt')(e, i, next));
      } else if (id === binaryen.ReturnId) value('ReturnGetValue', 'ReturnSetValue');
      else if (id === binaryen.DropId) value('DropGetValue', 'DropSetValue');
      else if (id === binaryen.LocalSetId) value('LocalSetGetValue', 'LocalSetSetValue');
      else if (id === binaryen.GlobalSetId) value('GlobalSetGetValue', 'GlobalSetSetValue');
      else {
        const children: Ref[] = [];
        this.kinds.get(id)?.children(e, children);
        for (const child of children) walk(child, null);
      }
    };
    walk(root, null); // the root is a block (instrumentLoops): never replaced itself
    return ok ? slots : null;
  }

  /** Visits `e`, instruments inside it, returns the cost it adds to the enclosing segment. */
  visit(e: Ref): number {
    this.expressions++;
    const id = getId(e);
    switch (id) {
      case binaryen.BlockId:
        return this.visitBlock(e);
      case binaryen.LoopId:
        return this.visitLoop(e);
      case binaryen.IfId:
        return this.visitIf(e);
      case binaryen.TryId:
        return this.visitTry(e);
      default:
        break;
    }
    const kind = this.kinds.get(id);
    if (!kind) {
      throw new UnsupportedInstruction(`instruction ${idNames.get(id) ?? id} is not supported by the fuel pass`);
    }
    const children: Ref[] = [];
    kind.children(e, children);
    let cost = CLASS_COST[kind.cls];
    for (const child of children) cost += this.visit(child);
    if (kind.cls === 'call' || kind.cls === 'call-indirect') {
      this.leaf = false;
      this.calls.push(e);
      if (isReturnCall(id, e)) this.tailCalls++;
      if (id === binaryen.CallId && this.paid) {
        const target = (binaryen.getExpressionInfo(e as binaryen.ExpressionRef) as binaryen.CallInfo).target;
        if (this.paid.functions.has(target)) {
          this.paidCalls++;
          this.unclaimed.push(target);
          if (this.paid.entryCost) cost += callerPays(this.paid.entryCost, target);
        }
      }
    } else if (id === binaryen.ThrowId || id === binaryen.RethrowId) this.throws++;
    else if (DATA_REF_IDS.has(id)) this.dataRefs++;
    if (kind.cls === 'bulk-memory') this.instrumentBulk(e, id);
    else if (kind.cls === 'memory-grow') this.instrumentGrow(e);
    return cost;
  }

  private visitBlock(e: Ref): number {
    const n = c('BlockGetNumChildren')(e);
    let acc = 0;
    const splits: { at: number; cost: number; mark: number }[] = [];
    for (let i = 0; i < n; i++) {
      const child = c('BlockGetChildAt')(e, i);
      const cost = this.visit(child);
      const open = splits[splits.length - 1];
      if (open) open.cost += cost;
      else acc += cost;
      if (i < n - 1 && getId(child) === binaryen.BlockId && c('BlockGetName')(child)) {
        splits.push({ at: i + 1, cost: 0, mark: this.unclaimed.length });
      }
    }
    for (let i = splits.length - 1; i >= 0; i--) {
      const s = splits[i]!;
      const callees = this.claim(s.mark); // a call costs at least 2: a segment with one is charged
      if (s.cost > 0) this.charge(siteCharge('branch-target', s.cost), callees, (ref) => (c('BlockInsertChildAt')(e, s.at, ref), e));
      else this.unpaid.push(...callees);
    }
    return acc;
  }

  private visitLoop(e: Ref): number {
    this.hasLoop = true;
    const body = c('LoopGetBody')(e);
    const mark = this.unclaimed.length;
    const cost = this.visit(body);
    this.loops.push({ loop: e, body, cost, callees: this.claim(mark) }); // headers are placed once the whole function is known
    return 0;
  }

  private arm(e: Ref): { cost: number; hasChargePoints: boolean; mark: number } {
    const before = this.charges;
    const calls = this.paidCalls;
    const mark = this.unclaimed.length;
    const cost = this.visit(e);
    // An arm that calls a caller-paid function is charged in place, not coalesced: then a path
    // that makes no such call — the base case of a recursion — writes nothing to the counter, its
    // caller having paid its entry (decision 1941).
    return { cost, hasChargePoints: this.charges !== before || this.paidCalls !== calls, mark };
  }

  private visitIf(e: Ref): number {
    const cond = this.visit(c('IfGetCondition')(e));
    const thenRef = c('IfGetIfTrue')(e);
    const elseRef = c('IfGetIfFalse')(e);
    const thenArm = this.arm(thenRef);
    const elseArm = elseRef ? this.arm(elseRef) : null;
    const plan = planIf(thenArm, elseArm);
    if (!plan.coalesce) {
      // An arm that calls a caller-paid function is never coalesced, and costs at least 2.
      const elseCallees = elseArm ? this.claim(elseArm.mark) : [];
      const thenCallees = this.claim(thenArm.mark);
      if (thenArm.cost > 0)
        this.charge(siteCharge('if-arm', thenArm.cost), thenCallees, (ref) => this.set(e, 'IfSetIfTrue', this.wrap([ref], thenRef)));
      else this.unpaid.push(...thenCallees);
      if (elseArm && elseArm.cost > 0)
        this.charge(siteCharge('if-arm', elseArm.cost), elseCallees, (ref) => this.set(e, 'IfSetIfFalse', this.wrap([ref], elseRef)));
      else this.unpaid.push(...elseCallees);
    }
    return cond + plan.parentCost;
  }

  private visitTry(e: Ref): number {
    const cost = this.visit(c('TryGetBody')(e));
    const n = c('TryGetNumCatchBodies')(e);
    for (let i = 0; i < n; i++) {
      const body = c('TryGetCatchBodyAt')(e, i);
      const mark = this.unclaimed.length;
      const armCost = this.visit(body);
      const callees = this.claim(mark);
      if (armCost > 0)
        this.charge(siteCharge('if-arm', armCost), callees, (ref) => this.set(e, 'TrySetCatchBodyAt', this.wrap([ref], body), i));
      else this.unpaid.push(...callees);
    }
    return cost;
  }

  /** Rewrites the length operand: evaluate it, charge length >> shift, check, pass it on. */
  private instrumentBulk(e: Ref, id: number): void {
    this.bulk++;
    const [get, set] =
      id === binaryen.MemoryCopyId
        ? ['MemoryCopyGetSize', 'MemoryCopySetSize']
        : id === binaryen.MemoryFillId
          ? ['MemoryFillGetSize', 'MemoryFillSetSize']
          : ['MemoryInitGetSize', 'MemoryInitSetSize'];
    const size = c(get!)(e);
    if (getType(size) !== binaryen.i32) throw new UnsupportedInstruction('bulk memory on a 64-bit memory is not supported');
    const t = this.tempLocal();
    const bytes = this.m.i64.extend_u(this.m.local.get(t, binaryen.i32));
    const cost = this.m.i64.shr_u(bytes, i64c(this.m, BULK_BYTES_SHIFT));
    c(set!)(
      e,
      this.m.block(null, [this.m.local.set(t, size), ...this.chargeAndCheck(cost), this.m.local.get(t, binaryen.i32)], binaryen.i32),
    );
  }

  /**
   * Rewrites the delta operand: charge per requested page, then ask the host (requested, current
   * pages) which delta to use. The host answers the request itself, or 0xFFFFFFFF when the agent's
   * memory budget (shared by all its memories) cannot cover it, which makes `memory.grow` fail
   * with -1 in the guest, before anything is allocated.
   */
  private instrumentGrow(e: Ref): void {
    this.grows++;
    const delta = c('MemoryGrowGetDelta')(e);
    if (getType(delta) !== binaryen.i32) throw new UnsupportedInstruction('memory.grow on a 64-bit memory is not supported');
    const t = this.tempLocal();
    const pages = this.m.i64.extend_u(this.m.local.get(t, binaryen.i32));
    const cost = this.m.i64.mul(pages, i64c(this.m, GROW_PAGE_COST));
    c('MemoryGrowSetDelta')(
      e,
      this.m.block(
        null,
        [
          this.m.local.set(t, delta),
          ...this.chargeAndCheck(cost),
          this.m.call(GROW_FN, [this.m.local.get(t, binaryen.i32), this.m.memory.size()], binaryen.i32),
        ],
        binaryen.i32,
      ),
    );
  }
}
