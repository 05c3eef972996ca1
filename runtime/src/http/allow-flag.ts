/**
 * `caxton deploy --allow-http <host[:port][/pathprefix]>` as an allow-list rule, pure. The port
 * defaults to the scheme's (80 for http, 443 for https: the rule leaves `ports` out); an IPv6
 * literal is written in brackets (`[2001:db8::1]:8443`).
 */
import { InvalidArgumentError, type HttpAllowRule } from '@caxton/core';
import { normalisePathPrefix, normaliseRuleHost } from './policy.js';

export function parseAllowHttpFlag(flag: string, field = '--allow-http'): HttpAllowRule {
  let rest = flag.trim();
  if (/^[a-z]+:\/\//i.test(rest)) {
    throw new InvalidArgumentError(
      field,
      `"${flag}" has a scheme`,
      'give host[:port][/pathprefix]; both http and https are allowed to the host',
    );
  }
  let path: string | undefined;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    path = rest.slice(slash);
    rest = rest.slice(0, slash);
  }
  let host = rest;
  let port: number | undefined;
  const bracket = rest.startsWith('[') ? rest.indexOf(']') : -1;
  const colon = bracket >= 0 ? rest.indexOf(':', bracket) : rest.lastIndexOf(':');
  if (colon >= 0 && (bracket >= 0 || rest.indexOf(':') === colon)) {
    host = rest.slice(0, colon);
    const p = rest.slice(colon + 1);
    port = /^\d{1,5}$/.test(p) ? Number(p) : NaN;
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new InvalidArgumentError(field, `"${p}" in "${flag}" is not a port (1..65535)`);
  }
  const rule: HttpAllowRule = { host: normaliseRuleHost(host, field) };
  if (port !== undefined) rule.ports = [port];
  if (path !== undefined && path !== '/') rule.pathPrefixes = [normalisePathPrefix(path, field)];
  return rule;
}
