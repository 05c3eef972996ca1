/**
 * HTTP policies between the core model and caxton.v1 `HttpPolicy` (decision 1601), both
 * directions (server and CLI). proto3 has no "unset" for scalars: 0 means "node default", and
 * `no_redirects` says the one meaningful 0 (maxRedirects).
 */
import type { HttpAllowRule, HttpPolicy, HttpPolicyInput } from '@caxton/core';
import type { WireHttpPolicy } from './wire.js';

export function httpPolicyToWire(p: Partial<HttpPolicy> & { allow: HttpAllowRule[] }): WireHttpPolicy {
  return {
    allow: p.allow.map((r) => ({
      host: r.host,
      ports: r.ports ?? [],
      methods: r.methods ?? [],
      pathPrefixes: r.pathPrefixes ?? [],
      allowPrivate: r.allowPrivate === true,
    })),
    timeoutMs: p.timeoutMs ?? 0,
    maxResponseBytes: p.maxResponseBytes ?? 0,
    maxRequestBytes: p.maxRequestBytes ?? 0,
    maxInFlight: p.maxInFlight ?? 0,
    maxCallsPerHandling: p.maxCallsPerHandling ?? 0,
    maxRedirects: p.maxRedirects ?? 0,
    noRedirects: p.maxRedirects === 0,
    extraCaPem: p.extraCaPem ?? '',
  };
}

/** What a client sent, unvalidated (resolveHttpPolicy checks it and fills defaults). */
export function httpPolicyInputFromWire(w: WireHttpPolicy): HttpPolicyInput {
  const input: HttpPolicyInput = {
    allow: w.allow.map((r) => {
      const rule: Partial<HttpAllowRule> = { host: r.host };
      if (r.ports.length > 0) rule.ports = [...r.ports];
      if (r.methods.length > 0) rule.methods = [...r.methods];
      if (r.pathPrefixes.length > 0) rule.pathPrefixes = [...r.pathPrefixes];
      if (r.allowPrivate) rule.allowPrivate = true;
      return rule;
    }),
  };
  if (w.timeoutMs !== 0) input.timeoutMs = w.timeoutMs;
  if (w.maxResponseBytes !== 0) input.maxResponseBytes = w.maxResponseBytes;
  if (w.maxRequestBytes !== 0) input.maxRequestBytes = w.maxRequestBytes;
  if (w.maxInFlight !== 0) input.maxInFlight = w.maxInFlight;
  if (w.maxCallsPerHandling !== 0) input.maxCallsPerHandling = w.maxCallsPerHandling;
  if (w.noRedirects) input.maxRedirects = 0;
  else if (w.maxRedirects !== 0) input.maxRedirects = w.maxRedirects;
  if (w.extraCaPem !== '') input.extraCaPem = w.extraCaPem;
  return input;
}

/** A stored (complete) policy as a client reads it back. */
export function httpPolicyFromWire(w: WireHttpPolicy): HttpPolicy {
  const input = httpPolicyInputFromWire(w);
  const policy: HttpPolicy = {
    allow: (input.allow ?? []) as HttpAllowRule[],
    timeoutMs: w.timeoutMs,
    maxResponseBytes: w.maxResponseBytes,
    maxRequestBytes: w.maxRequestBytes,
    maxInFlight: w.maxInFlight,
    maxCallsPerHandling: w.maxCallsPerHandling,
    maxRedirects: w.noRedirects ? 0 : w.maxRedirects,
  };
  if (w.extraCaPem !== '') policy.extraCaPem = w.extraCaPem;
  return policy;
}
