/**
 * A gateway's refusal of a request, before its protocol's SDK sees it: the HTTP status, Caxton's
 * code, message and hint, and any headers. Each gateway writes it in its binding's shape; a
 * JSON-RPC binding as jsonRpcError.
 */
export interface Refusal {
  status: number;
  code: string;
  message: string;
  hint: string;
  /** Besides cache-control: no-store, which every refusal carries. */
  headers?: Record<string, string>;
}

/** A JSON-RPC error answer: Caxton's code and hint in `data`, where the protocol's clients show them. */
export function jsonRpcError(
  id: unknown,
  rpcCode: number,
  r: Pick<Refusal, 'code' | 'message' | 'hint'>,
): { jsonrpc: '2.0'; id: unknown; error: { code: number; message: string; data: { code: string; hint: string } } } {
  return { jsonrpc: '2.0', id, error: { code: rpcCode, message: r.message, data: { code: r.code, hint: r.hint } } };
}
