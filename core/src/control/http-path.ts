/**
 * Path prefixes of the HTTP allow-list, matched on segment boundaries (issue 26), pure. The path
 * is the WHATWG URL parser's (`parseHttpTarget`): `.`/`..` and their `%2e` spellings are already
 * resolved there, so `/api/../admin` arrives as `/admin`. What the parser leaves alone but a
 * server behind it may still read as a separator is refused under a prefix rule, since the rule
 * would then judge one path and the service act on another:
 * - encoded separators (`%2f`, `%5c`, and the same with `%25` for a second decoding pass):
 *   `/api/x%2f..%2fadmin` is `/admin` to a server that decodes before routing;
 * - dot segments with parameters (`/api/..;/admin`: Tomcat and others drop `;…` and go up);
 * - empty segments (`/api//v1`): servers that merge slashes and those that do not disagree on it.
 */

/** Why `path` cannot be judged against path prefixes, or undefined when it can. */
export function pathPrefixRefusal(path: string): string | undefined {
  if (/%(25)*(2f|5c)/i.test(path)) return `path ${clipPath(path)} has an encoded / or \\ (a server may decode it and route elsewhere)`;
  if (path.includes('//')) return `path ${clipPath(path)} has an empty segment (//)`;
  if (path.split('/').some((segment) => /^(\.|%2e){1,2};/i.test(segment)))
    return `path ${clipPath(path)} has a dot segment with parameters (..;)`;
  return undefined;
}

/**
 * Is `path` the prefix or below it, on a segment boundary? `/api` admits `/api` and `/api/x`, not
 * `/api-admin`; `/api/` admits `/api/x` and `/api` itself (the same place, written both ways).
 */
export function pathUnderPrefix(path: string, prefix: string): boolean {
  const base = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  if (base === '') return true; // `/`: every path
  return path === base || path.startsWith(`${base}/`);
}

function clipPath(s: string): string {
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}
