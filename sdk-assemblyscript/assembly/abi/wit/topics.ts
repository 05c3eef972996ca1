// Generated from wit/agent.wit (sha256 e1f47290ec5588cce8de703bd1fbe8a42f6ae66f8d81d12559994dfc90debfa8) by scripts/gen-bindings.mjs: do not edit.
// The core imports of caxton:agent/topics@0.1.0. AssemblyScript imports only what a program calls.

// subscribe(topic: string, filter: option<string>) -> result<_, topic-error>: result written at ret (RESULT_NONE_TOPIC_ERROR_SIZE bytes)
// @ts-ignore: decorator
@external("caxton:agent/topics@0.1.0", "subscribe")
export declare function subscribe(topicPtr: usize, topicLen: u32, hasFilter: u32, filterPtr: usize, filterLen: u32, ret: usize): void;

// unsubscribe(topic: string) -> result<_, topic-error>: result written at ret (RESULT_NONE_TOPIC_ERROR_SIZE bytes)
// @ts-ignore: decorator
@external("caxton:agent/topics@0.1.0", "unsubscribe")
export declare function unsubscribe(topicPtr: usize, topicLen: u32, ret: usize): void;
