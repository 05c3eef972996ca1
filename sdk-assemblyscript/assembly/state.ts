// The agent's durable key-value state (interface `state` in wit/agent.wit, decision 1600).
//
// Writes made while handling a message or a timer are buffered, read back by the same handler and
// committed with the handling, all or nothing: a crash (trap) leaves no trace and the message is
// handled again against the old state. `onInit` may read (to resume where the agent was) but not
// write. Keys and values are strings; keys are 1..(limit) UTF-8 bytes without control characters.
import * as raw from "./abi/wit/state";
import { arenaAlloc, arenaReset } from "./abi/arena";
import { liftOptionalString, liftStringAt, liftStringList } from "./abi/lift";
import * as L from "./abi/wit/layout";

/** Why the runtime refused a write (WIT `state-error-kind`, in the same order). */
export enum StateErrorKind {
  /** The key is empty, too long, or contains control characters. */
  InvalidKey = 0,
  /** The value is larger than the value limit. */
  ValueTooLarge = 1,
  /** The write would take the agent past its total-bytes or key-count quota. */
  QuotaExceeded = 2,
  /** Writing is not possible here (during `onInit`). */
  ReadOnly = 3,
}

const KIND_NAMES: StaticArray<string> = ["invalid-key", "value-too-large", "quota-exceeded", "read-only"];

/** The WIT name of a kind (`invalid-key`, …), for logs and failure messages. */
export function stateErrorKindName(kind: StateErrorKind): string {
  return KIND_NAMES[<i32>kind];
}

/** A refused write. AssemblyScript has no exceptions, so `State.set`/`delete` return it (or null). */
export class StateError {
  constructor(public kind: StateErrorKind, public message: string) {}

  toString(): string {
    return "state " + stateErrorKindName(this.kind) + ": " + this.message;
  }
}

/** Reads a result<_, state-error> at `ret`: null for ok. */
export function liftStateResult(ret: usize): StateError | null {
  const d = load<u8>(ret);
  if (d == 0) return null;
  if (d != 1) unreachable();
  const err = ret + L.RESULT_NONE_STATE_ERROR_PAYLOAD;
  const kind = <u32>load<u8>(err + L.STATE_ERROR_KIND);
  if (kind >= L.STATE_ERROR_KIND_CASES) unreachable(); // the host broke the ABI
  return new StateError(<StateErrorKind>kind, liftStringAt(err + L.STATE_ERROR_MESSAGE));
}

/** The agent's state. All members are static: there is one state per agent. */
export class State {
  /** The value of `key` (including this handler's own uncommitted writes), or null. */
  static get(key: string): string | null {
    const ret = arenaAlloc(L.OPTION_STRING_SIZE, L.OPTION_STRING_ALIGN);
    raw.get(changetype<usize>(key), <u32>key.length, ret);
    const value = liftOptionalString(ret);
    arenaReset();
    return value;
  }

  /** Sets `key` to `value`, committed with this handling. Returns null, or why it was refused. */
  static set(key: string, value: string): StateError | null {
    const ret = arenaAlloc(L.RESULT_NONE_STATE_ERROR_SIZE, L.RESULT_NONE_STATE_ERROR_ALIGN);
    raw.set(changetype<usize>(key), <u32>key.length, changetype<usize>(value), <u32>value.length, ret);
    const err = liftStateResult(ret);
    arenaReset();
    return err;
  }

  /** Removes `key` (removing an absent key is fine). Returns null, or why it was refused. */
  static delete(key: string): StateError | null {
    const ret = arenaAlloc(L.RESULT_NONE_STATE_ERROR_SIZE, L.RESULT_NONE_STATE_ERROR_ALIGN);
    raw.delete_(changetype<usize>(key), <u32>key.length, ret);
    const err = liftStateResult(ret);
    arenaReset();
    return err;
  }

  /**
   * Keys starting with `prefix` in byte order, after `after` when given, at most `limit` (the host
   * caps it). Page by passing the last key returned as `after`.
   */
  static keys(prefix: string = "", after: string | null = null, limit: u32 = 100): string[] {
    const ret = arenaAlloc(L.SLICE_SIZE, L.SLICE_ALIGN);
    if (after === null) {
      raw.keys(changetype<usize>(prefix), <u32>prefix.length, 0, 0, 0, limit, ret);
    } else {
      raw.keys(changetype<usize>(prefix), <u32>prefix.length, 1, changetype<usize>(after), <u32>after.length, limit, ret);
    }
    const keys = liftStringList(load<u32>(ret), load<u32>(ret, 4));
    arenaReset();
    return keys;
  }

  /** `get` parsed as an integer, or `fallback` when the key is absent. */
  static getI64(key: string, fallback: i64 = 0): i64 {
    const v = State.get(key);
    return v === null ? fallback : I64.parseInt(v);
  }
}
