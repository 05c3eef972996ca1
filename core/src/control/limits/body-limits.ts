/** What a client's request body may hold and how long it may take (the console's API, A2A, MCP; decision 1910). */

/**
 * What a JSON body read from a client (the console's HTTP API and WebSocket, A2A, MCP) may hold,
 * checked by a cheap scan of the text before `JSON.parse` builds anything (`jsonShapeRefusal`):
 * within the byte limits, a 1 MiB body of `[[[[…` or `[0,0,0,…]` is half a million nested arrays
 * or numbers, each an object the parser allocates (and, nested, a recursion) before the ingress
 * can look at it. No request of these APIs comes near either bound: an ACL message's content is
 * one string, an A2A or MCP call a few dozen fields (decision 1910, "JSON shape before parsing").
 */
export const JSON_BODY_LIMITS = Object.freeze({
  /** Arrays and objects open at once. */
  maxDepth: 64,
  /** Values and object keys in the whole text (each string, number, literal, array and object counts one). */
  maxValues: 100_000,
});

/** How long a client may go without sending a byte of a request body (A2A, MCP) before it is dropped. */
export const BODY_IDLE_MS = 20_000;

/**
 * The slowest a buffered body may arrive, on average (decision 2207): a client that keeps the idle
 * timer alive with a byte now and then would otherwise hold one of the node's few upload slots (and
 * its buffer) for ever. Every body the node buffers is bounded so: artifacts and state imports over
 * gRPC, the console's uploads and the HTTP ingresses' bodies.
 */
export const BODY_MIN_BYTES_PER_SECOND = 32 * 1024;

/** How long a body of `bytes` may take in all: the idle allowance plus its bytes at the slowest rate allowed. */
export function bodyDeadlineMs(bytes: number, idleMs: number): number {
  return idleMs + Math.ceil((bytes * 1000) / BODY_MIN_BYTES_PER_SECOND);
}
