// Generated from wit/agent.wit (sha256 e1f47290ec5588cce8de703bd1fbe8a42f6ae66f8d81d12559994dfc90debfa8) by scripts/gen-bindings.mjs: do not edit.
// The core imports of caxton:agent/message-info@0.1.0. AssemblyScript imports only what a program calls.

// receiver-count() -> u32
// @ts-ignore: decorator
@external("caxton:agent/message-info@0.1.0", "receiver-count")
export declare function receiverCount(): u32;

// receivers(offset: u32, limit: u32) -> result<list<agent-id>, message-info-error>: result written at ret (RESULT_LIST_AGENT_ID_MESSAGE_INFO_ERROR_SIZE bytes)
// @ts-ignore: decorator
@external("caxton:agent/message-info@0.1.0", "receivers")
export declare function receivers(offset: u32, limit: u32, ret: usize): void;
