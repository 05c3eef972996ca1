/**
 * The slowest an upload may arrive, on average: a stream that keeps its idle timer alive with a byte
 * now and then would otherwise hold one of the node's few upload slots (and its buffer) for ever.
 * Every body the node buffers is bounded so: artifacts and state imports over gRPC, the console's
 * uploads and the HTTP ingresses' bodies (decision 2207).
 */
export const MIN_UPLOAD_BYTES_PER_SECOND = 32 * 1024;

/** How long an upload of `bytes` may take in all: the idle allowance plus its bytes at the slowest rate. */
export function uploadDeadlineMs(bytes: number, idleMs: number): number {
  return idleMs + Math.ceil((bytes * 1000) / MIN_UPLOAD_BYTES_PER_SECOND);
}
