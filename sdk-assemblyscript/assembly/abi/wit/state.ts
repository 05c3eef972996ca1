// Generated from wit/agent.wit (sha256 e1f47290ec5588cce8de703bd1fbe8a42f6ae66f8d81d12559994dfc90debfa8) by scripts/gen-bindings.mjs: do not edit.
// The core imports of caxton:agent/state@0.1.0. AssemblyScript imports only what a program calls.

// get(key: string) -> option<string>: result written at ret (OPTION_STRING_SIZE bytes)
// @ts-ignore: decorator
@external("caxton:agent/state@0.1.0", "get")
export declare function get(keyPtr: usize, keyLen: u32, ret: usize): void;

// set(key: string, value: string) -> result<_, state-error>: result written at ret (RESULT_NONE_STATE_ERROR_SIZE bytes)
// @ts-ignore: decorator
@external("caxton:agent/state@0.1.0", "set")
export declare function set(keyPtr: usize, keyLen: u32, valuePtr: usize, valueLen: u32, ret: usize): void;

// delete(key: string) -> result<_, state-error>: result written at ret (RESULT_NONE_STATE_ERROR_SIZE bytes)
// @ts-ignore: decorator
@external("caxton:agent/state@0.1.0", "delete")
export declare function delete_(keyPtr: usize, keyLen: u32, ret: usize): void;

// keys(prefix: string, start-after: option<string>, limit: u32) -> list<string>: result written at ret (SLICE_SIZE bytes)
// @ts-ignore: decorator
@external("caxton:agent/state@0.1.0", "keys")
export declare function keys(prefixPtr: usize, prefixLen: u32, hasStartAfter: u32, startAfterPtr: usize, startAfterLen: u32, limit: u32, ret: usize): void;
