// The `caxton:agent/host@0.1.0` imports in their core-wasm (flattened) form. Signatures follow the
// canonical ABI: strings and lists flatten to (ptr, len); a record with more than 16 flat values
// (acl-message: 38) is passed by pointer; results that flatten to more than one value
// (result<_, string>, string, list) are written to a caller-provided return pointer.
// Use the typed wrappers in ../host.ts instead of these.

// @ts-ignore: decorator
@external("caxton:agent/host@0.1.0", "send")
export declare function send(message: usize, ret: usize): void;

// @ts-ignore: decorator
@external("caxton:agent/host@0.1.0", "log")
export declare function log(level: i32, ptr: usize, len: u32): void;

// @ts-ignore: decorator
@external("caxton:agent/host@0.1.0", "now")
export declare function now(): u64;

// @ts-ignore: decorator
@external("caxton:agent/host@0.1.0", "new-id")
export declare function newId(ret: usize): void;

// @ts-ignore: decorator
@external("caxton:agent/host@0.1.0", "set-timer")
export declare function setTimer(delayMs: u32, ptr: usize, len: u32): void;

// service-description flattens to 12 values (six slices), within the 16-value limit, so it is
// passed flat.
// @ts-ignore: decorator
@external("caxton:agent/host@0.1.0", "register-service")
export declare function registerService(
  namePtr: usize, nameLen: u32, typePtr: usize, typeLen: u32,
  protocolsPtr: usize, protocolsLen: u32, ontologiesPtr: usize, ontologiesLen: u32,
  languagesPtr: usize, languagesLen: u32, propertiesPtr: usize, propertiesLen: u32,
  ret: usize,
): void;

// @ts-ignore: decorator
@external("caxton:agent/host@0.1.0", "deregister-service")
export declare function deregisterService(ptr: usize, len: u32): void;

// @ts-ignore: decorator
@external("caxton:agent/host@0.1.0", "search-services")
export declare function searchServices(ptr: usize, len: u32, ret: usize): void;
