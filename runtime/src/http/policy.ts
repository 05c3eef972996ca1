/**
 * A deployment's HTTP policy as the node accepts it (decision 1601), pure: defaults filled in,
 * every field checked against the node's maxima, the allow-list rules normalised, the extra CA PEM
 * parsed. The API calls it on a deploy/upgrade header (field names are proto paths), so a bad
 * policy is refused before anything is stored.
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import {
  DEFAULT_ACL_LIMITS,
  DEFAULT_HTTP_POLICY,
  HTTP_METHODS,
  InvalidArgumentError,
  pathPrefixRefusal,
  type HttpAllowRule,
  type HttpPolicy,
  type HttpPolicyInput,
} from '@caxton/core';

/**
 * The node's maxima. `maxResponseBytes`: the answer's content must fit one message
 * (DEFAULT_ACL_LIMITS.maxContentBytes), and a binary body grows by 4/3 as base64.
 */
export const HTTP_POLICY_MAXIMA = Object.freeze({
  rules: 256,
  portsPerRule: 32,
  pathPrefixesPerRule: 32,
  pathPrefixBytes: 1024,
  timeoutMs: 300_000,
  maxResponseBytes: Math.floor((DEFAULT_ACL_LIMITS.maxContentBytes * 3) / 4),
  maxRequestBytes: 1024 * 1024,
  maxInFlight: 256,
  maxCallsPerHandling: 64,
  maxRedirects: 20,
  extraCaPemBytes: 256 * 1024,
});

/** What an omitted field becomes: core's defaults, within this node's maxima. */
export function nodeDefaultHttpPolicy(): HttpPolicy {
  return {
    ...DEFAULT_HTTP_POLICY,
    allow: [],
    maxResponseBytes: Math.min(DEFAULT_HTTP_POLICY.maxResponseBytes, HTTP_POLICY_MAXIMA.maxResponseBytes),
  };
}

// The input shape is core's: the API client builds it too (@caxton/client).
export type { HttpPolicyInput };

/** Validate and complete a policy; `field` prefixes error fields (`header.http`). */
export function resolveHttpPolicy(input: HttpPolicyInput, field: string): HttpPolicy {
  const d = nodeDefaultHttpPolicy();
  const M = HTTP_POLICY_MAXIMA;
  const allow = input.allow ?? [];
  if (allow.length > M.rules)
    throw new InvalidArgumentError(
      `${field}.allow`,
      `has ${allow.length} rules, the limit is ${M.rules}`,
      'use wildcard hosts (*.example.com) to cover many names',
    );
  const policy: HttpPolicy = {
    allow: allow.map((r, i) => resolveRule(r, `${field}.allow[${i}]`)),
    timeoutMs: bounded(input.timeoutMs, d.timeoutMs, M.timeoutMs, `${field}.timeout_ms`),
    maxResponseBytes: bounded(input.maxResponseBytes, d.maxResponseBytes, M.maxResponseBytes, `${field}.max_response_bytes`),
    maxRequestBytes: bounded(input.maxRequestBytes, d.maxRequestBytes, M.maxRequestBytes, `${field}.max_request_bytes`),
    maxInFlight: bounded(input.maxInFlight, d.maxInFlight, M.maxInFlight, `${field}.max_in_flight`),
    maxCallsPerHandling: bounded(
      input.maxCallsPerHandling,
      d.maxCallsPerHandling,
      M.maxCallsPerHandling,
      `${field}.max_calls_per_handling`,
    ),
    maxRedirects: bounded(input.maxRedirects, d.maxRedirects, M.maxRedirects, `${field}.max_redirects`, 0),
  };
  if (input.extraCaPem !== undefined && input.extraCaPem !== '') policy.extraCaPem = checkPem(input.extraCaPem, `${field}.extra_ca_pem`);
  return policy;
}

function bounded(value: number | undefined, fallback: number, max: number, field: string, min = 1): number {
  // 0 is proto3's "not set"; maxRedirects 0 is meaningful, so only undefined means "default" there.
  if (value === undefined || (value === 0 && min > 0)) return fallback;
  if (!Number.isSafeInteger(value) || value < min || value > max)
    throw new InvalidArgumentError(field, `must be ${min}..${max}, got ${String(value)}`, 'omit it for the node default');
  return value;
}

const HOST_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** A rule's host as the allow-list matcher wants it (lower case, no brackets, no trailing dot). */
export function normaliseRuleHost(raw: string, field: string): string {
  let host = raw.trim().toLowerCase();
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host.endsWith('.')) host = host.slice(0, -1);
  const hint = 'a DNS name (api.example.com), a wildcard for its subdomains (*.example.com) or an IP address';
  if (host === '') throw new InvalidArgumentError(field, 'is empty', hint);
  if (isIP(host) !== 0) return host;
  const name = host.startsWith('*.') ? host.slice(2) : host;
  if (name.length > 253 || !name.split('.').every((label) => HOST_LABEL.test(label)))
    throw new InvalidArgumentError(field, `"${raw.slice(0, 80)}" is not a host name`, hint);
  if (host.startsWith('*.') && !name.includes('.'))
    throw new InvalidArgumentError(field, `"${raw}" would match every name under a top-level domain`, 'name a domain: *.example.com');
  return host;
}

function resolveRule(r: Partial<HttpAllowRule>, field: string): HttpAllowRule {
  const M = HTTP_POLICY_MAXIMA;
  const rule: HttpAllowRule = { host: normaliseRuleHost(r.host ?? '', `${field}.host`) };
  if (r.ports !== undefined && r.ports.length > 0) {
    if (r.ports.length > M.portsPerRule) throw new InvalidArgumentError(`${field}.ports`, `lists more than ${M.portsPerRule} ports`);
    for (const p of r.ports)
      if (!Number.isInteger(p) || p < 1 || p > 65535)
        throw new InvalidArgumentError(`${field}.ports`, `${String(p)} is not a port (1..65535)`);
    rule.ports = [...new Set(r.ports)];
  }
  if (r.methods !== undefined && r.methods.length > 0) {
    rule.methods = [...new Set(r.methods.map((m) => m.toUpperCase()))];
    for (const m of rule.methods)
      if (!HTTP_METHODS.includes(m))
        throw new InvalidArgumentError(`${field}.methods`, `${m.slice(0, 20)} is not supported`, `use ${HTTP_METHODS.join(', ')}`);
  }
  if (r.pathPrefixes !== undefined && r.pathPrefixes.length > 0) {
    if (r.pathPrefixes.length > M.pathPrefixesPerRule)
      throw new InvalidArgumentError(`${field}.path_prefixes`, `lists more than ${M.pathPrefixesPerRule} prefixes`);
    rule.pathPrefixes = [...new Set(r.pathPrefixes.map((p) => normalisePathPrefix(p, `${field}.path_prefixes`)))];
  }
  if (r.allowPrivate === true) rule.allowPrivate = true;
  return rule;
}

/**
 * A path prefix as the allow-list matches it (on segment boundaries, against the URL parser's
 * path): percent-encoded the way the parser encodes a request's path, so `/über` matches what an
 * agent's `https://h/über/x` becomes. A prefix the parser would rewrite otherwise (dot segments)
 * or one no request path can be judged against (encoded separators, `//`, `..;`) is refused,
 * with the spelling to use instead where there is one.
 */
export function normalisePathPrefix(raw: string, field: string): string {
  const M = HTTP_POLICY_MAXIMA;
  if (!raw.startsWith('/') || /\s/.test(raw) || Buffer.byteLength(raw) > M.pathPrefixBytes) {
    throw new InvalidArgumentError(
      field,
      `"${raw.slice(0, 80)}" must start with / and have no spaces (at most ${M.pathPrefixBytes} bytes)`,
      'e.g. /v1/',
    );
  }
  if (/[?#]/.test(raw))
    throw new InvalidArgumentError(field, `"${raw.slice(0, 80)}" has a query or fragment`, 'a prefix is a path only: /v1/items');
  const normalised = new URL(raw, 'http://prefix.invalid').pathname;
  if (raw.split('/').some((segment) => /^(\.|%2e){1,2}$/i.test(segment))) {
    throw new InvalidArgumentError(
      field,
      `"${raw.slice(0, 80)}" has . or .. segments`,
      `write the path they lead to: ${normalised.slice(0, 80)}`,
    );
  }
  const refusal = pathPrefixRefusal(normalised);
  if (refusal !== undefined)
    throw new InvalidArgumentError(
      field,
      `"${raw.slice(0, 80)}" cannot be matched: ${refusal.replace(/^path \S+ /, '')}`,
      'give a plain path of segments separated by single slashes: /v1/items',
    );
  return normalised;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every certificate in the PEM must parse; at least one must be there. */
export function checkPem(pem: string, field: string): string {
  if (Buffer.byteLength(pem) > HTTP_POLICY_MAXIMA.extraCaPemBytes)
    throw new InvalidArgumentError(field, `is larger than ${HTTP_POLICY_MAXIMA.extraCaPemBytes} bytes`);
  const blocks = pem.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0)
    throw new InvalidArgumentError(field, 'holds no PEM certificate', 'give the CA certificate(s) as PEM (-----BEGIN CERTIFICATE-----)');
  blocks.forEach((block, i) => {
    try {
      new X509Certificate(block);
    } catch (err) {
      throw new InvalidArgumentError(
        field,
        `certificate ${i + 1} does not parse: ${(err as Error).message}`,
        'check the file with `openssl x509 -in <file> -noout -text`',
      );
    }
  });
  return pem;
}
