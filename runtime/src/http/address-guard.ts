/**
 * Which kind of address a name resolved to, and whether an outbound call may connect there
 * (decisions 1601, 1710: SSRF). Pure: the gateway resolves, asks this about every address, and
 * connects only to an address it was told is allowed.
 *
 * The ranges come from ipaddr.js's `range()` (a maintained copy of the IANA special-purpose
 * registries), read fail-closed: only its `unicast` is public, and a range name this file does
 * not know (a later ipaddr.js naming a new block) is refused. special-ranges.ts holds the little
 * ipaddr.js lacks: where IPv6 forms carry an IPv4 address (mapped, translated, compatible, NAT64,
 * 6to4 — judged by that IPv4 address, or `::ffff:127.0.0.1` would reach loopback; Teredo and
 * local-use NAT64 refused) and the cloud metadata addresses.
 */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { embeddedV4, embeddingRangeOf, extraSpecialPurposeOf, metadataEntryOf } from './special-ranges.js';

export type AddressClass =
  | 'public'
  | 'loopback'
  /** 10/8, 172.16/12, 192.168/16, fc00::/7, and the deprecated site-local fec0::/10. */
  | 'private'
  /** 169.254/16, fe80::/10 (the metadata addresses have their own class). */
  | 'link-local'
  /** 100.64/10, carrier-grade NAT: someone's private network. */
  | 'cgnat'
  /** Cloud instance metadata (169.254.169.254, fd00:ec2::254, …): credentials live there. */
  | 'metadata'
  /** 0.0.0.0/8, `::`: "this host" on most stacks. */
  | 'unspecified'
  | 'multicast'
  /** 240/4 and the broadcast address; not routable. */
  | 'reserved'
  /**
   * The other IANA special-purpose blocks (documentation, benchmarking 198.18/15, protocol
   * assignments 192.0.0/24 and 2001::/23, discard, AS112, AMT, ORCHID, SRv6) and the tunnel
   * forms whose IPv4 endpoint cannot be judged (Teredo, local-use NAT64).
   */
  | 'special-purpose'
  | 'invalid';

/** Reachable with the rule's `allowPrivate`; the others are never connected to. */
const PRIVATE_CLASSES: ReadonlySet<AddressClass> = new Set(['loopback', 'private', 'link-local', 'cgnat']);

export interface AddressVerdict {
  cls: AddressClass;
  /** The block that decided it, for the refusal's message: `198.18.0.0/15 reserved (ipaddr.js)`. */
  range: string;
  /** For IPv6 forms carrying an IPv4 address: that address (what was judged). */
  embedded?: string;
}

export type AddressDecision =
  | { allowed: true; cls: AddressClass; range: string }
  | { allowed: false; cls: AddressClass; range: string; reason: string };

/**
 * May a call connect to `address`? Public addresses always; loopback, private, link-local and CGNAT
 * ones only when the matched rule has `allowPrivate`; metadata, unspecified, multicast, reserved and
 * special-purpose ones never (no service an agent should reach lives there, and metadata is the
 * classic SSRF prize).
 */
export function decideAddress(address: string, allowPrivate: boolean): AddressDecision {
  const v = judgeAddress(address);
  if (v.cls === 'public') return { allowed: true, cls: v.cls, range: v.range };
  if (allowPrivate && PRIVATE_CLASSES.has(v.cls)) return { allowed: true, cls: v.cls, range: v.range };
  const what = `${address} is a ${v.cls} address (${v.range}${v.embedded !== undefined ? `, carrying ${v.embedded}` : ''})`;
  const reason = PRIVATE_CLASSES.has(v.cls)
    ? `${what} and the allow-list rule does not set allowPrivate`
    : `${what}, never reachable from agents`;
  return { allowed: false, cls: v.cls, range: v.range, reason };
}

export function classifyAddress(address: string): AddressClass {
  return judgeAddress(address).cls;
}

/**
 * The class of `address` and the block that decided it. Only canonical literals are read (Node's
 * `isIP`: dotted-quad IPv4, RFC 4291 IPv6 with an optional zone): resolvers and the URL parser
 * produce nothing else, and ipaddr.js alone would also take `0x7f.1` or `127.1`.
 */
export function judgeAddress(address: string): AddressVerdict {
  const version = isIP(address);
  if (version === 0) return { cls: 'invalid', range: 'not an IP address' };
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(address);
  } catch {
    return { cls: 'invalid', range: 'not an IP address' };
  }
  return parsed.kind() === 'ipv4' ? judgeV4(parsed as ipaddr.IPv4) : judgeV6(parsed as ipaddr.IPv6);
}

/** ipaddr.js IPv4 range names → classes. Anything not listed is special-purpose (refused). */
const V4_CLASSES: Readonly<Record<string, AddressClass>> = {
  unicast: 'public',
  unspecified: 'unspecified',
  broadcast: 'reserved',
  multicast: 'multicast',
  linkLocal: 'link-local',
  loopback: 'loopback',
  carrierGradeNat: 'cgnat',
  private: 'private',
  reserved: 'special-purpose', // 192.0.0/24, TEST-NETs, 192.88.99/24, 198.18/15 and 240/4 (below)
};

function judgeV4(ip: ipaddr.IPv4): AddressVerdict {
  const metadata = metadataEntryOf(ip);
  if (metadata !== undefined) return { cls: 'metadata', range: `${metadata.cidr} ${metadata.name}` };
  const name = ip.range();
  // ipaddr.js files 240/4 (future use, never routed) under `reserved` with the documentation blocks.
  if (name === 'reserved' && ip.octets[0]! >= 240) return { cls: 'reserved', range: '240.0.0.0/4 reserved for future use (RFC 1112)' };
  return { cls: V4_CLASSES[name] ?? 'special-purpose', range: `${name} (ipaddr.js)` };
}

/** ipaddr.js IPv6 range names → classes, for ranges that carry no IPv4 address. */
const V6_CLASSES: Readonly<Record<string, AddressClass>> = {
  unicast: 'public',
  unspecified: 'unspecified',
  loopback: 'loopback',
  linkLocal: 'link-local',
  multicast: 'multicast',
  uniqueLocal: 'private',
  // RFC 3879 deprecated site-local addresses; networks that still use them use them privately.
  deprecatedSiteLocal: 'private',
};

function judgeV6(ip: ipaddr.IPv6): AddressVerdict {
  const metadata = metadataEntryOf(ip);
  if (metadata !== undefined) return { cls: 'metadata', range: `${metadata.cidr} ${metadata.name}` };
  const name = ip.range();
  // `::` and `::1` sit inside ::/96 (IPv4-compatible) but mean this host: ipaddr.js's names first.
  if (name === 'unspecified' || name === 'loopback') return { cls: V6_CLASSES[name]!, range: `${name} (ipaddr.js)` };
  const embedding = embeddingRangeOf(ip);
  if (embedding !== undefined) {
    const range = `${embedding.cidr} ${embedding.name} (${embedding.source})`;
    if (embedding.v4At === 'refuse') return { cls: 'special-purpose', range };
    const v4 = embeddedV4(ip, embedding.v4At);
    const inner = judgeV4(v4);
    return { cls: inner.cls, range: `${range}; ${v4.toString()}: ${inner.range}`, embedded: v4.toString() };
  }
  const extra = extraSpecialPurposeOf(ip);
  if (extra !== undefined) return { cls: 'special-purpose', range: `${extra.cidr} ${extra.name} (${extra.source})` };
  return { cls: V6_CLASSES[name] ?? 'special-purpose', range: `${name} (ipaddr.js)` };
}
