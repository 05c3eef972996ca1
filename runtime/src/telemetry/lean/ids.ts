/**
 * Trace and span ids for the lean tracer (decision 2186). The SDK draws each id with Math.random
 * and formats it byte by byte; here one randomFillSync fills a pool and its hex is made once per
 * pool, so an id is a slice of that string (no per-id formatting). A slice keeps its pool's
 * string alive while it lives: 8 KiB per 256 span ids, bounded by the span queue.
 */
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let hex = '';
let at = POOL_BYTES * 2; // hex characters used of the current pool: empty at start

function take(chars: number): string {
  if (at + chars > hex.length) {
    randomFillSync(pool);
    hex = pool.toString('hex');
    at = 0;
  }
  const id = hex.slice(at, at + chars);
  at += chars;
  return id;
}

const ZERO_SPAN = '0000000000000000';
const ZERO_TRACE = '00000000000000000000000000000000';

/** 16 lowercase hex characters, never all zero (an invalid id in W3C trace context). */
export function newSpanId(): string {
  let id = take(16);
  while (id === ZERO_SPAN) id = take(16);
  return id;
}

/** 32 lowercase hex characters, never all zero. */
export function newTraceId(): string {
  let id = take(32);
  while (id === ZERO_TRACE) id = take(32);
  return id;
}
