// The `caxton:agent/a2a@0.1.0` import in its core-wasm (flattened) form; see imports.ts for the
// rules. Only agents that call `A2a` import it. Use ../a2a.ts instead.
//
// record call flattens to 16 values, within the 16-value limit, so it is passed flat:
// operation (enum), url (ptr, len), version (enum), subject (ptr, len), context-id option<string>
// (disc, ptr, len), headers (ptr, len), timeout-ms option<u32> (disc, value), context
// option<string> (disc, ptr, len). The result<string, http-error> is written at `ret`
// (RESULT_RECORD_SIZE bytes), laid out as `fetch`'s.
// @ts-ignore: decorator
@external("caxton:agent/a2a@0.1.0", "start")
export declare function start(
  operation: u32, urlPtr: usize, urlLen: u32, version: u32, subjectPtr: usize, subjectLen: u32,
  hasContextId: u32, contextIdPtr: usize, contextIdLen: u32, headersPtr: usize, headersLen: u32,
  hasTimeout: u32, timeoutMs: u32, hasContext: u32, contextPtr: usize, contextLen: u32,
  ret: usize,
): void;
