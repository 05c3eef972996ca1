/**
 * The allow-list decision for outbound HTTP (decision 1601), pure: the sandbox asks it when an
 * agent calls `fetch` (a refusal is returned to the agent at once), and the node's HTTP gateway
 * asks it again for every redirect. Where the name resolves (loopback, private ranges) is the
 * gateway's question, asked at connect time; this file only reads the URL.
 */
import type { HttpAllowRule, HttpPolicy } from './http.js';
import { pathPrefixRefusal, pathUnderPrefix } from './http-path.js';

export const HTTP_METHODS: readonly string[] = Object.freeze(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

/** A request target, parsed and normalised: what the allow-list is matched against. */
export interface HttpTarget {
  scheme: 'http' | 'https';
  /** Lower case, without brackets for IPv6 literals, without a trailing dot. */
  host: string;
  port: number;
  /** The path, starting with `/` (no query). */
  path: string;
  /** The URL to request, normalised by the WHATWG parser. */
  href: string;
}

export type HttpTargetResult = { ok: true; target: HttpTarget } | { ok: false; reason: string };

/** Parse an absolute http(s) URL; anything else (other schemes, credentials, no host) is refused. */
export function parseHttpTarget(url: string): HttpTargetResult {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, reason: `not an absolute URL: ${clip(url)}` };
  }
  const scheme = parsed.protocol === 'http:' ? 'http' : parsed.protocol === 'https:' ? 'https' : undefined;
  if (scheme === undefined) return { ok: false, reason: `scheme ${parsed.protocol} is not allowed (http: or https: only)` };
  if (parsed.username !== '' || parsed.password !== '')
    return { ok: false, reason: 'credentials in the URL are not allowed (send an Authorization header)' };
  let host = parsed.hostname.toLowerCase();
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (host === '') return { ok: false, reason: 'the URL has no host' };
  const port = parsed.port === '' ? (scheme === 'https' ? 443 : 80) : Number(parsed.port);
  return { ok: true, target: { scheme, host, port, path: parsed.pathname === '' ? '/' : parsed.pathname, href: parsed.href } };
}

export type HttpAllowDecision = { allowed: true; rule: HttpAllowRule } | { allowed: false; reason: string };

/** May `method` be sent to `target` under `policy`? The first rule that allows it wins. */
export function decideHttpAllow(policy: Pick<HttpPolicy, 'allow'>, method: string, target: HttpTarget): HttpAllowDecision {
  const m = method.toUpperCase();
  if (!HTTP_METHODS.includes(m)) return { allowed: false, reason: `method ${clip(method)} is not supported (${HTTP_METHODS.join(', ')})` };
  let nearest: string | undefined;
  for (const rule of policy.allow) {
    if (!hostMatches(rule.host, target.host)) continue;
    const ports = rule.ports ?? [target.scheme === 'https' ? 443 : 80];
    if (!ports.includes(target.port)) {
      nearest ??= `port ${target.port} of ${target.host} is not allowed (allowed: ${ports.join(', ')})`;
      continue;
    }
    if (rule.methods !== undefined && !rule.methods.includes(m)) {
      nearest ??= `${m} to ${target.host} is not allowed (allowed: ${rule.methods.join(', ')})`;
      continue;
    }
    if (rule.pathPrefixes !== undefined) {
      // Prefixes are matched on segment boundaries, and only on a path every server reads alike.
      const refusal = pathPrefixRefusal(target.path);
      if (refusal !== undefined) {
        nearest ??= `${refusal}; ${target.host} allows only the prefixes ${rule.pathPrefixes.join(', ')}`;
        continue;
      }
      if (!rule.pathPrefixes.some((p) => pathUnderPrefix(target.path, p))) {
        nearest ??= `path ${clip(target.path)} on ${target.host} is not allowed (allowed prefixes: ${rule.pathPrefixes.join(', ')})`;
        continue;
      }
    }
    return { allowed: true, rule };
  }
  if (nearest !== undefined) return { allowed: false, reason: nearest };
  return {
    allowed: false,
    reason:
      policy.allow.length === 0
        ? 'this agent may not make HTTP calls (its deployment allows no hosts)'
        : `host ${target.host} is not on the agent's allow-list`,
  };
}

/**
 * `pattern` is a host name, an IP literal or `*.<domain>` (subdomains only, at any depth; the
 * domain itself needs its own entry). Comparison is case-insensitive and ignores a trailing dot.
 */
export function hostMatches(pattern: string, host: string): boolean {
  let p = pattern.toLowerCase();
  if (p.startsWith('[') && p.endsWith(']')) p = p.slice(1, -1);
  if (p.endsWith('.')) p = p.slice(0, -1);
  if (p.startsWith('*.')) {
    const domain = p.slice(1); // ".example.com"
    return host.length > domain.length && host.endsWith(domain);
  }
  return p === host;
}

function clip(s: string): string {
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}
