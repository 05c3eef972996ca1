/**
 * Request headers an agent may not set on an outbound HTTP call (decision 1601): they describe the
 * connection or the framing, which the node's HTTP gateway owns (it connects to the address it
 * checked, frames the body itself and never goes through a proxy). Pure, so the sandbox can refuse
 * them up front and the gateway can drop them again (it does not trust what reaches it).
 */

/** Exact names (lower case). `proxy-*` is matched by prefix in `isForbiddenRequestHeader`. */
export const FORBIDDEN_REQUEST_HEADERS: readonly string[] = Object.freeze([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'upgrade',
  'keep-alive',
  'te',
  'trailer',
]);

export function isForbiddenRequestHeader(name: string): boolean {
  const n = name.toLowerCase();
  return FORBIDDEN_REQUEST_HEADERS.includes(n) || n.startsWith('proxy-');
}
