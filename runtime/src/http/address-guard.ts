/**
 * Which kind of address a name resolved to, and whether an outbound call may connect there
 * (decision 1601, SSRF). Pure: the gateway resolves, asks this about every address, and connects
 * only to an address it was told is allowed. IPv6 forms that embed an IPv4 address (IPv4-mapped,
 * IPv4-compatible, NAT64, 6to4) are judged by the IPv4 address inside, or `::ffff:127.0.0.1`
 * would reach loopback.
 */
import { isIP } from 'node:net';

export type AddressClass =
  | 'public'
  | 'loopback'
  /** 10/8, 172.16/12, 192.168/16, fc00::/7. */
  | 'private'
  /** 169.254/16, fe80::/10 (the metadata address has its own class). */
  | 'link-local'
  /** 100.64/10, carrier-grade NAT: someone's private network. */
  | 'cgnat'
  /** Cloud instance metadata (169.254.169.254, fd00:ec2::254): credentials live there. */
  | 'metadata'
  /** 0.0.0.0/8, `::`: "this host" on most stacks. */
  | 'unspecified'
  | 'multicast'
  /** 240/4 and the broadcast address; not routable. */
  | 'reserved'
  | 'invalid';

/** Reachable with the rule's `allowPrivate`; the others are never connected to. */
const PRIVATE_CLASSES: ReadonlySet<AddressClass> = new Set(['loopback', 'private', 'link-local', 'cgnat']);

export type AddressDecision = { allowed: true; cls: AddressClass } | { allowed: false; cls: AddressClass; reason: string };

/**
 * May a call connect to `address`? Public addresses always; loopback, private, link-local and CGNAT
 * ones only when the matched rule has `allowPrivate`; metadata, unspecified, multicast and reserved
 * ones never (no service an agent should reach lives there, and metadata is the classic SSRF prize).
 */
export function decideAddress(address: string, allowPrivate: boolean): AddressDecision {
  const cls = classifyAddress(address);
  if (cls === 'public') return { allowed: true, cls };
  if (allowPrivate && PRIVATE_CLASSES.has(cls)) return { allowed: true, cls };
  const why = PRIVATE_CLASSES.has(cls)
    ? `${address} is a ${cls} address and the allow-list rule does not set allowPrivate`
    : `${address} is a ${cls} address, never reachable from agents`;
  return { allowed: false, cls, reason: why };
}

export function classifyAddress(address: string): AddressClass {
  const version = isIP(address);
  if (version === 4) return classifyV4(parseV4(address)!);
  if (version === 6) return classifyV6(address);
  return 'invalid';
}

function parseV4(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    const v = Number(p);
    if (!/^\d{1,3}$/.test(p) || v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

/** Is `ip` (32-bit, as a number) inside `base`/`bits`? */
function inV4(ip: number, base: string, bits: number): boolean {
  const size = 2 ** (32 - bits);
  const start = parseV4(base)!;
  return ip >= start && ip < start + size;
}

function classifyV4(ip: number): AddressClass {
  if (ip === parseV4('169.254.169.254')) return 'metadata';
  if (inV4(ip, '0.0.0.0', 8)) return 'unspecified';
  if (inV4(ip, '127.0.0.0', 8)) return 'loopback';
  if (inV4(ip, '10.0.0.0', 8) || inV4(ip, '172.16.0.0', 12) || inV4(ip, '192.168.0.0', 16)) return 'private';
  if (inV4(ip, '169.254.0.0', 16)) return 'link-local';
  if (inV4(ip, '100.64.0.0', 10)) return 'cgnat';
  if (inV4(ip, '224.0.0.0', 4)) return 'multicast';
  if (inV4(ip, '240.0.0.0', 4)) return 'reserved';
  return 'public';
}

/** Eight 16-bit groups of an IPv6 address (with a dotted IPv4 tail, zone id dropped). */
export function parseV6(s: string): number[] | undefined {
  let text = s.toLowerCase();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const lastColon = text.lastIndexOf(':');
  if (lastColon < 0) return undefined;
  if (text.slice(lastColon + 1).includes('.')) {
    // A dotted IPv4 tail is the last two groups, written differently.
    const v4 = parseV4(text.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    text = `${text.slice(0, lastColon + 1)}${Math.floor(v4 / 65536).toString(16)}:${(v4 % 65536).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const rest = halves.length === 2 ? (halves[1] === '' ? [] : halves[1]!.split(':')) : [];
  const fill = halves.length === 2 ? 8 - head.length - rest.length : 0;
  if (fill < 0 || (halves.length === 1 && head.length !== 8)) return undefined;
  const groups = [...head, ...Array<string>(fill).fill('0'), ...rest].map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16) : NaN));
  if (groups.some(Number.isNaN)) return undefined;
  return groups;
}

function classifyV6(address: string): AddressClass {
  const g = parseV6(address);
  if (g === undefined || g.length !== 8) return 'invalid';
  const zeroUpTo = (n: number): boolean => g.slice(0, n).every((x) => x === 0);
  const v4At = (i: number): number => g[i]! * 65536 + g[i + 1]!;
  if (zeroUpTo(8)) return 'unspecified';
  if (zeroUpTo(7) && g[7] === 1) return 'loopback';
  // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible, deprecated but still routed by some stacks).
  if (zeroUpTo(5) && g[5] === 0xffff) return classifyV4(v4At(6));
  if (zeroUpTo(6)) return classifyV4(v4At(6));
  // 64:ff9b::/96 (NAT64) and 2002::/16 (6to4) carry an IPv4 address a gateway may forward to.
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return classifyV4(v4At(6));
  if (g[0] === 0x2002) return classifyV4(v4At(1));
  if (g[0] === 0xfd00 && g[1] === 0x0ec2 && g.slice(2, 7).every((x) => x === 0) && g[7] === 0x254) return 'metadata';
  if ((g[0]! & 0xfe00) === 0xfc00) return 'private';
  if ((g[0]! & 0xffc0) === 0xfe80) return 'link-local';
  if ((g[0]! & 0xff00) === 0xff00) return 'multicast';
  return 'public';
}
