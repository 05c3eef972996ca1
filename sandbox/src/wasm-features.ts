/**
 * WebAssembly features the sandbox needs from V8 beyond Node's defaults. QuickJS-based components
 * (JavaScript agents built by componentize-js) use extended-const initialisers: Node 20 (V8 11.3)
 * ships them behind `--experimental-wasm-extended-const`; Node 24 (V8 13.6) has them on by default
 * and no longer knows the flag — passed on the command line it refuses to start ("bad option"),
 * passed to `v8.setFlagsFromString` it prints "unrecognized flag" on stderr (decision 1820).
 * So the flag is asked for only where the feature is actually missing, found by asking V8.
 */
import { setFlagsFromString } from 'node:v8';
import './webassembly-types.js';

const EXTENDED_CONST_FLAG = '--experimental-wasm-extended-const';

/** A module whose one global is initialised by `i32.const 1; i32.const 2; i32.add` (extended-const). */
const EXTENDED_CONST_PROBE = new Uint8Array([
  0x00,
  0x61,
  0x73,
  0x6d,
  0x01,
  0x00,
  0x00,
  0x00, // magic, version 1
  0x06,
  0x09,
  0x01,
  0x7f,
  0x00, // global section: one immutable i32
  0x41,
  0x01,
  0x41,
  0x02,
  0x6a,
  0x0b, // i32.const 1, i32.const 2, i32.add, end
]);

/** Whether this V8 compiles extended-const initialisers as things stand now. */
export function hasExtendedConst(): boolean {
  return WebAssembly.validate(EXTENDED_CONST_PROBE);
}

/**
 * Node command-line flags a child Node process needs to run every kind of component: the
 * extended-const flag on a Node that gates it, nothing on one that has it by default. A child
 * runs the same binary as this process (process.execPath), so this process's V8 answers for it.
 * This process may have been started with the flag (Node 20 under `npm test`), which makes V8's
 * answer yes: then the child gets the flag too.
 */
export function wasmFeatureNodeFlags(): string[] {
  return nativeExtendedConst && !process.execArgv.includes(EXTENDED_CONST_FLAG) ? [] : [EXTENDED_CONST_FLAG];
}

/** Measured once, at load, before the sandbox sets the flag at run time (enableWasmFeatures). */
const nativeExtendedConst = hasExtendedConst();

let enabled = false;
/** Turns on, in this process's V8, the features components need and it does not have by default. */
export function enableWasmFeatures(): void {
  if (enabled) return;
  if (!hasExtendedConst()) setFlagsFromString(EXTENDED_CONST_FLAG);
  enabled = true;
}
