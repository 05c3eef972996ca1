/**
 * Agent-name patterns that confine a token to some agents (`team-a-*`, `billing.*`, `echo`): agent
 * names' own characters (A-Z a-z 0-9 . _ -) and `*` for any run of them. Several patterns may be
 * given separated by commas; a name matches when it matches one. No other wildcard exists, so a
 * pattern cannot be written to mean more than it shows. Pure.
 *
 * Instances of a kind (`<kind>/<key>`, decision 1980) are matched by patterns with one `/`
 * (`counter/*`, `counter/alice`), each side on its own: `*` never stretches across the
 * `/`, so `*` or `counter*` covers no instance, and `counter` covers the kind's own operations only.
 */

const PATTERN = /^[A-Za-z0-9._*-]{1,128}(\/[A-Za-z0-9._*-]{1,128})?$/;

export const AGENT_PATTERN_HINT =
  'agent-name characters (A-Z a-z 0-9 . _ -) with * for any run of them, comma-separated, and <kind>/<key> for instances of a kind: e.g. team-a-*,shared-echo,counter/*';

/** The patterns in `text`, or undefined when one is not a pattern. */
export function parseAgentPatterns(text: string): string[] | undefined {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.length > 32 || parts.some((p) => !PATTERN.test(p))) return undefined;
  return parts;
}

function matchesOne(pattern: string, name: string): boolean {
  const slash = pattern.indexOf('/');
  const nameSlash = name.indexOf('/');
  if (slash < 0 !== nameSlash < 0) return false; // an instance pattern matches instances only, and only those
  if (slash < 0) return matchesSegment(pattern, name);
  return (
    matchesSegment(pattern.slice(0, slash), name.slice(0, nameSlash)) && matchesSegment(pattern.slice(slash + 1), name.slice(nameSlash + 1))
  );
}

function matchesSegment(pattern: string, name: string): boolean {
  // Split on `*`: the first piece is a prefix, the last a suffix, the others appear in order between.
  const pieces = pattern.split('*');
  if (pieces.length === 1) return pattern === name;
  const first = pieces[0]!;
  const last = pieces[pieces.length - 1]!;
  if (name.length < first.length + last.length || !name.startsWith(first) || !name.endsWith(last)) return false;
  let at = first.length;
  const end = name.length - last.length;
  for (const piece of pieces.slice(1, -1)) {
    const found = name.indexOf(piece, at);
    if (found < 0 || found + piece.length > end) return false;
    at = found + piece.length;
  }
  return true;
}

/** The characters of an agent's local name (or an instance's, `<kind>/<key>`): anything else (`topic:…`, `x@other-platform`) is no agent here. */
const AGENT_NAME_CHARS = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)?$/;

/**
 * Whether agent `name` matches one of `patterns` (comma-separated). A name with other characters
 * than an agent name's never matches: `*` must not stretch over a topic address (`topic:alerts-bot`
 * against `*-bot`) or another platform's agent, which a confined token may not reach.
 */
export function matchesAgentPattern(patterns: string, name: string): boolean {
  if (!AGENT_NAME_CHARS.test(name)) return false;
  return (parseAgentPatterns(patterns) ?? []).some((p) => matchesOne(p, name));
}
