// The `caxton:agent/topics@0.1.0` imports in their core-wasm (flattened) form; see imports.ts for
// the rules. AssemblyScript emits an import only for a function the program calls, so an agent that
// never subscribes does not import this interface and its component does not either.
// Use the typed wrappers in ../topics.ts instead of these.

// subscribe(topic, filter: option<string>) -> result<_, topic-error>: five flat parameters (the
// option is discriminant, ptr, len), the result written at `ret` (RESULT_RECORD_SIZE bytes).
// @ts-ignore: decorator
@external("caxton:agent/topics@0.1.0", "subscribe")
export declare function subscribe(topicPtr: usize, topicLen: u32, hasFilter: u32, filterPtr: usize, filterLen: u32, ret: usize): void;

// unsubscribe(topic) -> result<_, topic-error>.
// @ts-ignore: decorator
@external("caxton:agent/topics@0.1.0", "unsubscribe")
export declare function unsubscribe(topicPtr: usize, topicLen: u32, ret: usize): void;
