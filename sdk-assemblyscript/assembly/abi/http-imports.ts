// The `caxton:agent/http@0.1.0` import in its core-wasm (flattened) form; see imports.ts for the
// rules. Only agents that call `Http.fetch` import it. Use ../http.ts instead.
//
// record request flattens to 14 values, within the 16-value limit, so it is passed flat:
// method (ptr, len), url (ptr, len), headers (ptr, len), body option<string> (disc, ptr, len),
// timeout-ms option<u32> (disc, value), context option<string> (disc, ptr, len). The
// result<string, http-error> is written at `ret` (RESULT_RECORD_SIZE bytes).
// @ts-ignore: decorator
@external("caxton:agent/http@0.1.0", "fetch")
export declare function fetch(
  methodPtr: usize, methodLen: u32, urlPtr: usize, urlLen: u32, headersPtr: usize, headersLen: u32,
  hasBody: u32, bodyPtr: usize, bodyLen: u32, hasTimeout: u32, timeoutMs: u32,
  hasContext: u32, contextPtr: usize, contextLen: u32,
  ret: usize,
): void;
