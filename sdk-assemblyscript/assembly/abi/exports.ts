// The core-wasm exports that implement `export guest` of wit/agent.wit, plus `cabi_realloc`.
//
// AssemblyScript cannot name an export `caxton:agent/guest@0.1.0#handle`, so these use plain
// identifiers and the SDK's compiler transform (toolchain/transform.mjs) renames them to the
// canonical-ABI names after compilation. Re-export this module from your entry file:
//
//     export * from "@caxton/sdk-assemblyscript/exports";
//
// Every guest function returns result<_, string>, which flattens to three values, more than the
// one a core function may return, so the result goes into a static return area and the function
// returns its address. The host then calls the matching post-return function, which unpins the
// error string and, with the minimal runtime, runs the garbage collector: at that point no managed
// reference lives on the stack, which is exactly when the minimal runtime may collect. (Collecting
// only when memory grew looked cheaper but let memory double without bound; see
// docs/decisions/0501, which is also why the incremental runtime is the default.)
import { arenaRealloc, arenaReset } from "./arena";
import { liftInitContext, liftMessage, liftString } from "./lift";
import * as L from "./wit/layout";
import { registeredAgent } from "../agent";
import { setSelf, takeError } from "../context";
// Not called here, but they must be part of every agent program: the toolchain's
// `--use abort=…`/`--use seed=…` point at them.
import "./abort";
import "./seed";

const RET: usize = memory.data(16, 8);
let pinned: usize = 0;

// What the host allocates guest memory with for the values it passes in (an export's arguments,
// an import's results): the call's arena. wit-component prefers these two to `cabi_realloc`.
export { arenaRealloc as cabi_export_realloc, arenaRealloc as cabi_import_realloc };

/**
 * Memory that lasts (unmanaged, never collected): what the WASI preview1 adapter of an agent built
 * with "wasi": true allocates its own state with on its first WASI call. In the arena it would be
 * reset with the call's values and overwritten (decision 2191).
 */
export function cabi_realloc(old: usize, oldSize: usize, align: usize, newSize: usize): usize {
  const size = max<usize>(newSize, 1);
  // heap.alloc aligns to 16, more than any canonical type needs.
  return old == 0 ? heap.alloc(size) : heap.realloc(old, size);
}

/** Writes result<_, string> from the handler's `fail` (if any) and returns the return area. */
function finish(): usize {
  const err = takeError();
  if (err === null) {
    store<u8>(RET, 0);
  } else {
    // Point the host straight at the string's UTF-16 data; pin it until post-return so a
    // collection cannot free it while the host reads.
    pinned = __pin(changetype<usize>(err));
    store<u8>(RET, 1);
    store<u32>(RET + L.RESULT_NONE_STRING_PAYLOAD, <u32>pinned);
    store<u32>(RET + L.RESULT_NONE_STRING_PAYLOAD, <u32>err.length, 4);
  }
  return RET;
}

/** Every export's post-return (the same for the three): exported as caxton_post_<export> below. */
function postReturn(ret: usize): void {
  if (pinned != 0) {
    __unpin(pinned);
    pinned = 0;
  }
  // ASC_RUNTIME: 1 = minimal (collects only when told to), 2 = incremental (collects by itself).
  if (ASC_RUNTIME == 1) __collect();
}

export function caxton_guest_init(
  namePtr: usize, nameLen: u32, addrPtr: usize, addrLen: u32, cfgPtr: usize, cfgLen: u32,
): usize {
  const ctx = liftInitContext(namePtr, nameLen, addrPtr, addrLen, cfgPtr, cfgLen);
  arenaReset();
  setSelf(ctx.self);
  registeredAgent().onInit(ctx);
  return finish();
}

export function caxton_guest_handle(message: usize): usize {
  const msg = liftMessage(message);
  arenaReset();
  registeredAgent().onMessage(msg);
  return finish();
}

export function caxton_guest_on_timer(ptr: usize, len: u32): usize {
  const token = liftString(ptr, len);
  arenaReset();
  registeredAgent().onTimer(token);
  return finish();
}

export { postReturn as caxton_post_init, postReturn as caxton_post_handle, postReturn as caxton_post_on_timer };
