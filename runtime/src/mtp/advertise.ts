/**
 * What this node calls itself to other platforms (decision 1910, "Two Caxton platforms"): its
 * platform name — the part after `@` in its agents' names — and the URL its ACC is reached at,
 * written into outgoing envelopes' `received` stamps and into its agents' `:addresses`. Pure:
 * read and checked here, at the node's boundary (flags or embedder options), before anything starts.
 */
import { MtpConfigError } from './errors.js';

/**
 * A platform name: what the peers file accepts for a peer's platform, so that each side can name
 * the other. No `@` (the name's last `@` splits agent from platform), no spaces or control
 * characters (the string codec's words), at most 128 characters.
 */
export const PLATFORM_NAME = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;

const PLATFORM_HINT = 'a platform name is 1 to 128 characters of A-Z a-z 0-9 . _ : / -, starting with a letter or digit, e.g. caxton-a';

/** The node's platform name, checked; the default is `caxton`. */
export function checkPlatformName(name: string, flag = '--platform'): string {
  if (!PLATFORM_NAME.test(name)) throw new MtpConfigError(`${flag} ${JSON.stringify(name.slice(0, 140))} is not a platform name`, PLATFORM_HINT);
  return name;
}

/** Hosts that mean "every interface": bound there, the ACC has no address a peer could use. */
export function isWildcardHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === '' || h === '0.0.0.0' || (h.includes(':') && /^[0:]+$/.test(h));
}

const ADVERTISE_HINT = 'give the URL peers reach this ACC at, without the peer secret: e.g. --mtp-advertise http://10.0.0.5:7780/acc (https:// behind TLS or a proxy)';

/**
 * `--mtp-advertise`: an absolute http(s) URL without credentials, query or fragment; a trailing
 * `/` is dropped (the secret is appended as `/<secret>`). Checked strictly because it is written
 * into every message this node's agents send to peers, and peers post back to it.
 */
export function parseAccAdvertise(text: string, flag = '--mtp-advertise'): string {
  const shown = JSON.stringify(text.slice(0, 200));
  if (text.length > 2000 || !URL.canParse(text)) throw new MtpConfigError(`${flag} ${shown} is not a URL`, ADVERTISE_HINT);
  const url = new URL(text);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new MtpConfigError(`${flag} ${shown} is not an http:// or https:// URL`, ADVERTISE_HINT);
  if (url.username !== '' || url.password !== '') throw new MtpConfigError(`${flag} ${shown} carries credentials`, 'peers authenticate with the secret in the path; leave user:password out');
  if (url.search !== '' || url.hash !== '' || /[?#]/.test(text)) throw new MtpConfigError(`${flag} ${shown} has a query or fragment`, `${ADVERTISE_HINT}; the peer secret is appended as a path segment`);
  if (isWildcardHost(url.hostname)) throw new MtpConfigError(`${flag} ${shown} names every interface, which no peer can reach`, ADVERTISE_HINT);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * The ACC address this node gives peers: the advertised one, else the bound one. Bound to a
 * wildcard address, the node has no address of its own to give: it must be told.
 */
export function checkAccAdvertise(o: { host: string; port: number; advertise?: string | undefined }): string | undefined {
  if (o.advertise !== undefined) return parseAccAdvertise(o.advertise);
  if (isWildcardHost(o.host)) {
    throw new MtpConfigError(`--mtp-http ${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port} listens on every interface, so it has no address to give peers (it would write http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}/acc into its agents' addresses)`,
      'add --mtp-advertise <the URL peers reach this ACC at>, e.g. --mtp-advertise http://10.0.0.5:7780/acc (docs/interop.md)');
  }
  return undefined;
}
