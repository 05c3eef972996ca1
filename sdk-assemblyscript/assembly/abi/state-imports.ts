// The `caxton:agent/state@0.1.0` imports in their core-wasm (flattened) form; see imports.ts for
// the rules. AssemblyScript emits an import only for a function the program calls, so an agent that
// never touches state does not import this interface and its component does not either.
// Use the typed wrappers in ../state.ts instead of these.

// get(key) -> option<string>: (key ptr, len), the option written at `ret` (OPT_STRING_SIZE bytes).
// @ts-ignore: decorator
@external("caxton:agent/state@0.1.0", "get")
export declare function get(keyPtr: usize, keyLen: u32, ret: usize): void;

// set(key, value) -> result<_, state-error>: written at `ret` (RESULT_RECORD_SIZE bytes).
// @ts-ignore: decorator
@external("caxton:agent/state@0.1.0", "set")
export declare function set(keyPtr: usize, keyLen: u32, valuePtr: usize, valueLen: u32, ret: usize): void;

// delete(key) -> result<_, state-error>.
// @ts-ignore: decorator
@external("caxton:agent/state@0.1.0", "delete")
export declare function del(keyPtr: usize, keyLen: u32, ret: usize): void;

// keys(prefix, start-after: option<string>, limit) -> list<string>: six flat parameters (the
// option is discriminant, ptr, len), the list's (ptr, len) written at `ret`.
// @ts-ignore: decorator
@external("caxton:agent/state@0.1.0", "keys")
export declare function keys(
  prefixPtr: usize, prefixLen: u32, hasAfter: u32, afterPtr: usize, afterLen: u32, limit: u32, ret: usize,
): void;
