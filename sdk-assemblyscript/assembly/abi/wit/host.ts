// Generated from wit/agent.wit (sha256 e1f47290ec5588cce8de703bd1fbe8a42f6ae66f8d81d12559994dfc90debfa8) by scripts/gen-bindings.mjs: do not edit.
// The core imports of caxton:agent/host@0.1.0. AssemblyScript imports only what a program calls.

// send(message: acl-message) -> result<_, string>: arguments by pointer; result written at ret (RESULT_NONE_STRING_SIZE bytes)
// @ts-ignore: decorator
@external("caxton:agent/host@0.1.0", "send")
export declare function send(message: usize, ret: usize): void;

// log(level: log-level, message: string)
// @ts-ignore: decorator
@external("caxton:agent/host@0.1.0", "log")
export declare function log(level: u32, messagePtr: usize, messageLen: u32): void;

// now() -> u64
// @ts-ignore: decorator
@external("caxton:agent/host@0.1.0", "now")
export declare function now(): u64;

// new-id() -> string: result written at ret (SLICE_SIZE bytes)
// @ts-ignore: decorator
@external("caxton:agent/host@0.1.0", "new-id")
export declare function newId(ret: usize): void;

// set-timer(delay-ms: u32, token: string)
// @ts-ignore: decorator
@external("caxton:agent/host@0.1.0", "set-timer")
export declare function setTimer(delayMs: u32, tokenPtr: usize, tokenLen: u32): void;

// register-service(service: service-description) -> result<_, string>: result written at ret (RESULT_NONE_STRING_SIZE bytes)
// @ts-ignore: decorator
@external("caxton:agent/host@0.1.0", "register-service")
export declare function registerService(serviceNamePtr: usize, serviceNameLen: u32, serviceTypePtr: usize, serviceTypeLen: u32, serviceProtocolsPtr: usize, serviceProtocolsLen: u32, serviceOntologiesPtr: usize, serviceOntologiesLen: u32, serviceLanguagesPtr: usize, serviceLanguagesLen: u32, servicePropertiesPtr: usize, servicePropertiesLen: u32, ret: usize): void;

// deregister-service(name: string)
// @ts-ignore: decorator
@external("caxton:agent/host@0.1.0", "deregister-service")
export declare function deregisterService(namePtr: usize, nameLen: u32): void;

// search-services(service-type: string) -> list<agent-id>: result written at ret (SLICE_SIZE bytes)
// @ts-ignore: decorator
@external("caxton:agent/host@0.1.0", "search-services")
export declare function searchServices(serviceTypePtr: usize, serviceTypeLen: u32, ret: usize): void;
