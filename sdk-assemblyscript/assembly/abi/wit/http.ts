// Generated from wit/agent.wit (sha256 e1f47290ec5588cce8de703bd1fbe8a42f6ae66f8d81d12559994dfc90debfa8) by scripts/gen-bindings.mjs: do not edit.
// The core imports of caxton:agent/http@0.1.0. AssemblyScript imports only what a program calls.

// fetch(request: request) -> result<string, http-error>: result written at ret (RESULT_STRING_HTTP_ERROR_SIZE bytes)
// @ts-ignore: decorator
@external("caxton:agent/http@0.1.0", "fetch")
export declare function fetch(requestMethodPtr: usize, requestMethodLen: u32, requestUrlPtr: usize, requestUrlLen: u32, requestHeadersPtr: usize, requestHeadersLen: u32, hasRequestBody: u32, requestBodyPtr: usize, requestBodyLen: u32, hasRequestTimeoutMs: u32, requestTimeoutMs: u32, hasRequestContext: u32, requestContextPtr: usize, requestContextLen: u32, ret: usize): void;
