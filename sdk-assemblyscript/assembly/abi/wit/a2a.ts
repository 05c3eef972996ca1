// Generated from wit/agent.wit (sha256 e1f47290ec5588cce8de703bd1fbe8a42f6ae66f8d81d12559994dfc90debfa8) by scripts/gen-bindings.mjs: do not edit.
// The core imports of caxton:agent/a2a@0.1.0. AssemblyScript imports only what a program calls.

// start(call: call) -> result<string, http-error>: result written at ret (RESULT_STRING_HTTP_ERROR_SIZE bytes)
// @ts-ignore: decorator
@external("caxton:agent/a2a@0.1.0", "start")
export declare function start(callOperation: u32, callUrlPtr: usize, callUrlLen: u32, callVersion: u32, callSubjectPtr: usize, callSubjectLen: u32, hasCallContextId: u32, callContextIdPtr: usize, callContextIdLen: u32, callHeadersPtr: usize, callHeadersLen: u32, hasCallTimeoutMs: u32, callTimeoutMs: u32, hasCallContext: u32, callContextPtr: usize, callContextLen: u32, ret: usize): void;
