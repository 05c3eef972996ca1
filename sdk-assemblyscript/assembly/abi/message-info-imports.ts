// The `caxton:agent/message-info@0.1.0` imports in their core-wasm (flattened) form; see imports.ts
// for the rules. AssemblyScript emits an import only for a function the program calls, so an agent
// that never pages a receiver list does not import this interface and its component does not either.
// Use the typed wrappers in ../message-info.ts instead of these.

// receiver-count() -> u32.
// @ts-ignore: decorator
@external("caxton:agent/message-info@0.1.0", "receiver-count")
export declare function receiverCount(): u32;

// receivers(offset: u32, limit: u32) -> result<list<agent-id>, message-info-error>: the result is
// written at `ret` (RESULT_RECORD_SIZE bytes): disc @0, the list's (ptr, len) or the error record @4.
// @ts-ignore: decorator
@external("caxton:agent/message-info@0.1.0", "receivers")
export declare function receivers(offset: u32, limit: u32, ret: usize): void;
