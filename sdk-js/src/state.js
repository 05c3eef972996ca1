// The agent's durable key-value state (interface `state` in wit/agent.wit, decision 1600):
//
//   import { state } from '@caxton/sdk-js/state';
//   const n = Number(state.get('count') ?? '0') + 1;
//   state.set('count', String(n));
//
// Writes made while handling a message or a timer are buffered, read back by the same handler and
// committed with the handling, all or nothing: a throw (failure) still commits them, a crash (trap)
// leaves no trace and the message is handled again against the old state. `init` may read but not
// write. Keys and values are strings.
//
// A separate entry point on purpose: importing it is what makes the component import
// caxton:agent/state (the build gives each JS agent only the interfaces its modules import).
import st from 'caxton:agent/state@0.1.0';

/** A write the runtime refused; `kind` is invalid-key, value-too-large, quota-exceeded or read-only. */
export class StateError extends Error {
  constructor(operation, key, kind, reason) {
    super(`state ${operation} ${JSON.stringify(key)}: ${kind}: ${reason}`);
    this.name = 'StateError';
    this.kind = kind;
    this.reason = reason;
  }
}

function checkedString(what, v) {
  if (typeof v !== 'string') throw new TypeError(`state ${what} must be a string, got ${typeof v}`);
  return v;
}

/** componentize-qjs throws a result's error value (here the state-error record) from the import. */
function refused(operation, key, e) {
  const err = e?.payload ?? e;
  if (err && typeof err === 'object' && typeof err.kind === 'string') {
    return new StateError(operation, key, err.kind, String(err.message ?? ''));
  }
  return e;
}

export const state = {
  /** The value of `key` (including this handler's own writes), or null. */
  get(key) {
    return st.get(checkedString('key', key)) ?? null;
  },

  /** Sets `key` to `value`, committed with this handling. Throws StateError when refused. */
  set(key, value) {
    checkedString('key', key);
    checkedString('value', value);
    try {
      st.set(key, value);
    } catch (e) {
      throw refused('set', key, e);
    }
  },

  /** Removes `key` (an absent key is fine). Throws StateError when refused. */
  delete(key) {
    checkedString('key', key);
    try {
      st.delete(key);
    } catch (e) {
      throw refused('delete', key, e);
    }
  },

  /**
   * Keys starting with `prefix`, in byte order, after `after` when given, at most `limit` (the
   * host caps it). Page by passing the last key returned as `after`.
   */
  keys(prefix = '', after = null, limit = 100) {
    checkedString('prefix', prefix);
    const start = after === null || after === undefined ? undefined : checkedString('after', after);
    return st.keys(prefix, start, limit >>> 0);
  },
};
