/**
 * A registry's `WWW-Authenticate` answer to an unauthenticated request (the distribution spec's
 * token flow, RFC 7235): `Basic realm="…"` or `Bearer realm="…",service="…",scope="…"`. Pure; a
 * header it cannot read is undefined (the caller reports the 401 as it came).
 */
export interface Challenge {
  scheme: 'basic' | 'bearer';
  /** Lower-case parameter names: realm, service, scope… */
  params: Record<string, string>;
}

/** One auth-param: token=token or token="quoted", separated by commas. */
const PARAM = /\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))\s*(?:,|$)/y;

export function parseChallenge(header: string | null): Challenge | undefined {
  if (header === null) return undefined;
  const m = /^\s*(basic|bearer)\b/i.exec(header);
  if (m === null) return undefined;
  const scheme = m[1]!.toLowerCase() as Challenge['scheme'];
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  PARAM.lastIndex = m[0].length;
  while (PARAM.lastIndex < header.length) {
    const start = PARAM.lastIndex;
    const p = PARAM.exec(header);
    if (p === null || PARAM.lastIndex === start) return undefined;
    params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3]!;
  }
  return { scheme, params };
}
