/**
 * What the address guard needs beyond ipaddr.js's `range()` (decision 1710), in one table: each
 * entry a CIDR with its source. ipaddr.js 2.5.0 already names every block of the IANA IPv4 and
 * IPv6 Special-Purpose Address Registries (RFC 6890 and its updates; checked entry by entry in
 * runtime/test/http/address-guard.test.ts), so what is left here is:
 * - the IPv6 forms that carry an IPv4 address the traffic ends up at, and where in the 128 bits
 *   that address sits (ipaddr.js names the ranges but does not extract the address, and it calls
 *   IPv4-compatible `::a.b.c.d` plain 'unicast');
 * - registry blocks newer than ipaddr.js 2.5.0 (`SPECIAL_PURPOSE_EXTRA`: the RFC 9780 dummy prefix,
 *   which ipaddr.js calls 'unicast');
 * - cloud instance-metadata addresses, in no IANA registry, where credentials live: refused even
 *   under `allowPrivate`.
 * Pure data and a lookup; no I/O.
 */
import ipaddr from 'ipaddr.js';

/** An IPv6 block whose addresses embed an IPv4 address, and how to get it out. */
export interface EmbeddingRange {
  cidr: string;
  name: string;
  source: string;
  /**
   * Index of the first of the two 16-bit groups holding the IPv4 address, or `refuse` when the
   * position is not fixed by the prefix alone (or obfuscated): such addresses are refused.
   */
  v4At: number | 'refuse';
}

/** Ordered: the first matching entry wins (the /96 NAT64 prefix before the local-use /48). */
export const EMBEDDING_RANGES: readonly EmbeddingRange[] = Object.freeze([
  { cidr: '::ffff:0:0/96', name: 'IPv4-mapped', source: 'RFC 4291 §2.5.5.2', v4At: 6 },
  { cidr: '::ffff:0:0:0/96', name: 'IPv4-translated', source: 'RFC 6145 (SIIT)', v4At: 6 },
  // Deprecated, but a dual-stack host may still route it to the IPv4 address. `::` and `::1`
  // inside it are named by ipaddr.js (unspecified, loopback) and are checked before this table.
  { cidr: '::/96', name: 'IPv4-compatible', source: 'RFC 4291 §2.5.5.1', v4At: 6 },
  { cidr: '64:ff9b::/96', name: 'NAT64 well-known prefix', source: 'RFC 6052 §2.1', v4At: 6 },
  // Local-use NAT64 (RFC 8215): the operator picks a prefix of length 32..96 inside it, and where
  // the IPv4 address sits (and the RFC 6052 u-octet gap) depends on that length, which we cannot see.
  { cidr: '64:ff9b:1::/48', name: 'NAT64 local-use prefix', source: 'RFC 8215', v4At: 'refuse' },
  { cidr: '2002::/16', name: '6to4', source: 'RFC 3056', v4At: 1 },
  // Teredo: the client's IPv4 address is stored inverted next to a server address; the packet
  // goes through a relay to a NAT mapping. Not a place for a service call: refused outright.
  { cidr: '2001::/32', name: 'Teredo', source: 'RFC 4380', v4At: 'refuse' },
]);

/** IANA special-purpose blocks ipaddr.js 2.5.0 does not name (it reports them 'unicast'). */
export const SPECIAL_PURPOSE_EXTRA: readonly { cidr: string; name: string; source: string }[] = Object.freeze([
  { cidr: '100:0:0:1::/64', name: 'Dummy IPv6 prefix', source: 'RFC 9780' },
]);

/** Cloud metadata services: the classic SSRF prize (credentials of the node's machine). */
export const METADATA_ADDRESSES: readonly { cidr: string; name: string }[] = Object.freeze([
  { cidr: '169.254.169.254/32', name: 'AWS, GCP, Azure, OpenStack, DigitalOcean instance metadata' },
  { cidr: '169.254.170.2/32', name: 'AWS ECS task metadata and credentials' },
  { cidr: '100.100.100.200/32', name: 'Alibaba Cloud instance metadata (inside CGNAT space, so allowPrivate would admit it)' },
  { cidr: '168.63.129.16/32', name: 'Azure WireServer (a public address reachable only from inside Azure)' },
  { cidr: 'fd00:ec2::254/128', name: 'AWS instance metadata over IPv6' },
]);

type Parsed = ipaddr.IPv4 | ipaddr.IPv6;

const parsedEmbedding = EMBEDDING_RANGES.map((r) => ({ ...r, range: ipaddr.parseCIDR(r.cidr) as [ipaddr.IPv6, number] }));
const parsedMetadata = METADATA_ADDRESSES.map((m) => ({ ...m, range: ipaddr.parseCIDR(m.cidr) }));
const parsedExtra = SPECIAL_PURPOSE_EXTRA.map((e) => ({ ...e, range: ipaddr.parseCIDR(e.cidr) }));

export function embeddingRangeOf(address: ipaddr.IPv6): (EmbeddingRange & { range: [ipaddr.IPv6, number] }) | undefined {
  return parsedEmbedding.find((r) => address.match(r.range));
}

export function metadataEntryOf(address: Parsed): { cidr: string; name: string } | undefined {
  return parsedMetadata.find((m) => m.range[0].kind() === address.kind() && address.match(m.range));
}

export function extraSpecialPurposeOf(address: Parsed): { cidr: string; name: string; source: string } | undefined {
  return parsedExtra.find((e) => e.range[0].kind() === address.kind() && address.match(e.range));
}

/** The IPv4 address in groups `at`, `at + 1` of `address`. */
export function embeddedV4(address: ipaddr.IPv6, at: number): ipaddr.IPv4 {
  const hi = address.parts[at]!;
  const lo = address.parts[at + 1]!;
  return new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
}
