/**
 * Resolve a host once, check every address it resolved to, and hand the connection a `lookup`
 * that returns only the checked address (decision 1601): the socket goes where the guard looked,
 * so a name that re-resolves to 127.0.0.1 between check and connect (DNS rebinding) changes
 * nothing. TLS SNI and the Host header keep the name.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { decideAddress } from './address-guard.js';
import { HttpCallFailure } from './call-failure.js';

export interface CheckedAddress {
  address: string;
  family: 4 | 6;
}

/** What resolving needs: Node's resolver, or a fake one in tests. */
export type Resolver = (host: string) => Promise<{ address: string; family: number }[]>;

export const systemResolver: Resolver = (host) => dnsLookup(host, { all: true, verbatim: true });

/**
 * The address to connect to. Every address the name has is checked, not only the first: a name
 * with one public and one loopback address is refused, since which one a retry gets is not ours
 * to choose.
 */
export async function resolveChecked(host: string, allowPrivate: boolean, resolve: Resolver = systemResolver): Promise<CheckedAddress> {
  const literal = isIP(host);
  let addresses: { address: string; family: number }[];
  if (literal !== 0) addresses = [{ address: host, family: literal }];
  else {
    try {
      addresses = await resolve(host);
    } catch (err) {
      throw new HttpCallFailure('connect-failed', `could not resolve ${host}: ${(err as Error).message}`, { host });
    }
  }
  if (addresses.length === 0) throw new HttpCallFailure('connect-failed', `${host} has no address`, { host });
  for (const a of addresses) {
    const decision = decideAddress(a.address, allowPrivate);
    if (!decision.allowed)
      throw new HttpCallFailure('address-denied', `${host} resolved to ${decision.reason}`, { host, address: a.address });
  }
  const first = addresses[0]!;
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}

/** A `lookup` for net/tls connect that answers every name with the checked address. */
export function pinnedLookup(checked: CheckedAddress): LookupFunction {
  return ((_host: string, options: { all?: boolean } | undefined, callback: (...args: unknown[]) => void) => {
    // Node ≥ 20 asks for all addresses when it races families (autoSelectFamily).
    if (options?.all === true) callback(null, [{ address: checked.address, family: checked.family }]);
    else callback(null, checked.address, checked.family);
  }) as unknown as LookupFunction;
}
