/**
 * What this node calls itself to other platforms (decision 1910, "Two Caxton platforms"): its
 * platform name — the part after `@` in its agents' names — and the URL its ACC is reached at,
 * written into outgoing envelopes' `received` stamps and into its agents' `:addresses`. Pure:
 * read and checked here, at the node's boundary (flags or embedder options), before anything starts.
 */
import { LISTENER_CERT_FLAGS, LISTENER_INSECURE_FLAG, plaintextRefused, type ListenerSecurity } from '../listener/index.js';
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
  if (!PLATFORM_NAME.test(name))
    throw new MtpConfigError(`${flag} ${JSON.stringify(name.slice(0, 140))} is not a platform name`, PLATFORM_HINT);
  return name;
}

/**
 * Hosts that mean "every interface": bound there, the ACC has no address a peer could use.
 * Compared as addresses, not spellings: `0`, `0x0`, `0.0` and `000.0.0.0` all bind 0.0.0.0, and
 * `::ffff:0.0.0.0` binds it too; the WHATWG URL parser maps every such spelling to one form.
 */
export function isWildcardHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === '') return true;
  const literal = `http://${bare.includes(':') ? `[${bare}]` : bare}/`;
  if (!URL.canParse(literal)) return false; // not an address at all: listening there fails on its own
  const h = new URL(literal).hostname;
  return h === '0.0.0.0' || h === '[::]' || h === '[::ffff:0:0]';
}

const ADVERTISE_HINT =
  'give the URL peers reach this ACC at, without the peer secret: e.g. --mtp-advertise https://10.0.0.5:7780/acc (plain http:// off loopback needs --listener-insecure)';

/**
 * `--mtp-advertise`: an absolute http(s) URL without credentials, query or fragment; a trailing
 * `/` is dropped (the secret is appended as `/<secret>`). Checked strictly because it is written
 * into every message this node's agents send to peers, and peers post back to it.
 */
export function parseAccAdvertise(text: string, flag = '--mtp-advertise'): string {
  const shown = JSON.stringify(text.slice(0, 200));
  if (text.length > 2000 || !URL.canParse(text)) throw new MtpConfigError(`${flag} ${shown} is not a URL`, ADVERTISE_HINT);
  const url = new URL(text);
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new MtpConfigError(`${flag} ${shown} is not an http:// or https:// URL`, ADVERTISE_HINT);
  if (url.username !== '' || url.password !== '')
    throw new MtpConfigError(
      `${flag} ${shown} carries credentials`,
      'peers authenticate with the secret in the path; leave user:password out',
    );
  if (url.search !== '' || url.hash !== '' || /[?#]/.test(text))
    throw new MtpConfigError(
      `${flag} ${shown} has a query or fragment`,
      `${ADVERTISE_HINT}; the peer secret is appended as a path segment`,
    );
  if (isWildcardHost(url.hostname))
    throw new MtpConfigError(`${flag} ${shown} names every interface, which no peer can reach`, ADVERTISE_HINT);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * The ACC address this node gives peers: the advertised one, else the bound one. Bound to a
 * wildcard address, the node has no address of its own to give: it must be told. A JADE peer
 * posts its answers, its secret in the path, to the address in the sender's AID, so a plain
 * `http://` advertised address off loopback is held to decision 2040's rule: refused unless the
 * operator accepted the risk (`insecure`). A certificate on the ACC does not count: it protects
 * the bound listener, not a plain-HTTP hop the advertised URL names.
 */
export function checkAccAdvertise(
  o: { host: string; port: number; advertise?: string | undefined } & ListenerSecurity,
): string | undefined {
  if (o.advertise !== undefined) {
    const url = parseAccAdvertise(o.advertise);
    const { protocol, hostname } = new URL(url);
    if (protocol === 'http:' && plaintextRefused(hostname, { insecure: o.insecure === true })) {
      throw new MtpConfigError(
        `--mtp-advertise ${JSON.stringify(url)} is plain HTTP off loopback: peers would post their secrets to it in clear`,
        `advertise an https:// URL (the ACC with ${LISTENER_CERT_FLAGS}, or a TLS proxy in front of it) or a loopback one, or accept the risk with ${LISTENER_INSECURE_FLAG} (docs/interop.md)`,
      );
    }
    return url;
  }
  if (isWildcardHost(o.host)) {
    throw new MtpConfigError(
      `--mtp-http ${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port} listens on every interface, so it has no address to give peers (it would write http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}/acc into its agents' addresses)`,
      'add --mtp-advertise <the URL peers reach this ACC at>, e.g. --mtp-advertise https://10.0.0.5:7780/acc (docs/interop.md)',
    );
  }
  return undefined;
}
