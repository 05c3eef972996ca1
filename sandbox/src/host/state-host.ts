/**
 * `caxton:agent/state` (decision 1600): reads and writes of the agent's StateView, which outlives
 * instances; this host routes the calls to it and charges for them, and the sandbox commits or
 * discards the call's writes. A key or value over its lift cap was refused by the binding before
 * lifting (`liftRefusal`).
 */
import type { StateErrorKind } from '@caxton/core';
import type { HostCalls } from './host-calls.js';
import type { WitKindError, WitStateResult } from './wit-values.js';

export class StateHost {
  constructor(private readonly c: HostCalls) {}

  /** A state refusal the binding decided before lifting (a key or value over its cap). */
  liftRefusal(kind: 'invalid-key' | 'value-too-large', units: number, max: number): { kind: typeof kind; message: string } {
    this.c.counters.state++;
    this.c.charge(0);
    const what = kind === 'invalid-key' ? 'key' : 'value';
    return { kind, message: `the ${what} has ${units} code units, more than the limit of ${max} bytes` };
  }

  get(key: string): string | undefined {
    this.c.checkGuard('state.get');
    if (this.c.takeRefusal() !== null) {
      // A key over the limit: no such key. Refused before any work, it pays the flat call price.
      this.c.charge(0);
      return undefined;
    }
    const value = this.c.state.get(key);
    this.c.chargeCall(key.length, 'state.get');
    this.c.chargeBytes(value?.length ?? 0);
    return value;
  }

  set(key: string, value: string): WitStateResult {
    this.c.checkGuard('state.set');
    const refused = this.c.takeRefusal<WitKindError<StateErrorKind>>();
    if (refused) return refused;
    this.c.chargeCall(key.length + value.length, 'state.set');
    const refusal = this.c.state.set(key, value);
    if (refusal === null) return undefined;
    this.c.counters.state++;
    return { tag: 'err', val: refusal };
  }

  delete(key: string): WitStateResult {
    this.c.checkGuard('state.delete');
    const refused = this.c.takeRefusal<WitKindError<StateErrorKind>>();
    if (refused) return refused;
    this.c.chargeCall(key.length, 'state.delete');
    const refusal = this.c.state.delete(key);
    if (refusal === null) return undefined;
    this.c.counters.state++;
    return { tag: 'err', val: refusal };
  }

  keys(prefix: string, startAfter: string | undefined, limit: number): string[] {
    this.c.checkGuard('state.keys');
    if (this.c.takeRefusal() !== null) {
      // A prefix over the key limit: no key has it. Refused before any work, it pays the flat call price.
      this.c.charge(0);
      return [];
    }
    this.c.chargeCall(prefix.length + (startAfter?.length ?? 0), 'state.keys');
    const page = this.c.state.keys(prefix, startAfter, limit);
    // Charged for what was looked at and handed back (8 bytes of slot per key).
    this.c.chargeBytes(page.scannedUnits + 8 * page.keys.length);
    return page.keys;
  }

  /** The state functions as jco's glue imports them (`imports['caxton:agent/state']`). */
  jcoImports(): Record<string, unknown> {
    return {
      get: (key: string) => this.get(key),
      set: (key: string, value: string) => this.set(key, value),
      delete: (key: string) => this.delete(key),
      keys: (prefix: string, startAfter: string | undefined, limit: number) => this.keys(prefix, startAfter ?? undefined, limit),
    };
  }
}
