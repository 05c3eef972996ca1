/**
 * The one loopback test of the project (issue 26): does a host, as an operator wrote it for a
 * listening socket or a connection, name this machine only? Every place that relaxes a security
 * rule on loopback asks it (serve's --no-auth and plaintext warnings, the CLI's token transport,
 * the console's plain-HTTP refusal, the cluster links' TLS requirement), so they cannot disagree.
 *
 * Pure and strict, because a wrong "yes" disables a protection: the host must be exactly
 * `localhost` (any case; not `localhost.evil.com`, which DNS can point anywhere) or an IP literal
 * in the loopback range — 127.0.0.0/8 in canonical dotted-decimal, `::1`, or 127/8 mapped into
 * IPv6 (`::ffff:127.0.0.1`). A name that merely starts like one (`127.example.com`) is a name.
 * Legacy IPv4 spellings some resolvers accept (`0x7f.1`, `127.1`, `2130706433`) get a "no": the
 * caller then applies the non-loopback rule (a warning, TLS), which is the safe side. Brackets
 * around an IPv6 literal (`[::1]`) are accepted; a zone id is not (`::1%lo` is not how anyone
 * writes loopback).
 */

export function isLoopbackHost(host: string): boolean {
  let h = host.toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h === 'localhost') return true;
  const v4 = parseDottedQuad(h);
  if (v4 !== undefined) return v4[0] === 127;
  const v6 = parseIpv6(h);
  if (v6 === undefined) return false;
  if (v6.slice(0, 7).every((g) => g === 0) && v6[7] === 1) return true; // ::1
  // ::ffff:127.x.y.z — a dual-stack socket reaches the IPv4 loopback through it.
  return v6.slice(0, 5).every((g) => g === 0) && v6[5] === 0xffff && v6[6]! >> 8 === 127;
}

/** Four decimal octets, no leading zeros (`010` is octal to inet_aton), each ≤ 255. */
function parseDottedQuad(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p))) return undefined;
  const octets = parts.map(Number);
  return octets.every((o) => o <= 255) ? octets : undefined;
}

/** The eight 16-bit groups of an RFC 4291 text address (a dotted-quad tail allowed), or undefined. */
function parseIpv6(s: string): number[] | undefined {
  if (!/^[0-9a-f:.]+$/.test(s) || !s.includes(':')) return undefined;
  let text = s;
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    // The dotted tail is the last two groups, written differently.
    const q = parseDottedQuad(last);
    if (q === undefined) return undefined;
    text = `${text.slice(0, lastColon + 1)}${((q[0]! << 8) | q[1]!).toString(16)}:${((q[2]! << 8) | q[3]!).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const head = groupsOf(halves[0]!);
  const rest = halves.length === 2 ? groupsOf(halves[1]!) : [];
  const explicit = head.length + rest.length;
  if (halves.length === 1 ? explicit !== 8 : explicit > 7) return undefined;
  const all = [...head, ...Array<string>(8 - explicit).fill('0'), ...rest];
  if (!all.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return all.map((g) => parseInt(g, 16));
}
