/**
 * How many calls refused for their credentials one source gets recorded one by one in the audit
 * trail. Each record is a durable write, and a caller without any token chooses how many refused
 * calls there are: unbounded, they fill the trail's disk (after which every change is refused) or
 * push real records out of retention. So a source (its address: a token is the caller's choice,
 * and made-up ones must not make new sources) has at most `perWindow` records a window, and all
 * sources together `maxPerWindow`; the refusals past that are counted, carried as `suppressed` on
 * the source's next record, and — when no next one comes — written as one summary record once its
 * window ends (`due`): nothing is dropped unsaid. Sources are bounded too: past `maxSources` in one
 * window the rest share one, whose count is said only in its summary (never on a record that
 * names one caller). Pure: the caller owns the clock and the writes.
 */
import { isIPv6 } from 'node:net';

export interface RefusalBudgetLimits {
  /** Records one source may have a window. */
  perWindow: number;
  /** Records all sources together may have a window. */
  maxPerWindow: number;
  windowMs: number;
  /** Sources counted apart in one window; the rest share `OTHER_SOURCES`. */
  maxSources: number;
}

export const DEFAULT_REFUSAL_BUDGET: RefusalBudgetLimits = Object.freeze({
  perWindow: 20,
  maxPerWindow: 200,
  windowMs: 60_000,
  maxSources: 1024,
});

/** The source the refusals of every source past `maxSources` are counted under. */
export const OTHER_SOURCES = '(other sources)';

interface Source {
  start: number;
  written: number;
  suppressed: number;
  /** The suppressed refusals by kind (when their callers name one): what they were, not only how many. */
  kinds?: Map<string, number>;
}

/** Kinds one source's suppressed refusals are told apart by; the rest are counted under OTHER_KINDS. */
export const MAX_REFUSAL_KINDS = 8;
/** A kind is cut to this many characters (kinds are error codes and fixed labels; this only bounds a bug). */
const MAX_KIND_LENGTH = 100;
/** The kind every kind past MAX_REFUSAL_KINDS is counted under. */
export const OTHER_KINDS = '(other kinds)';

/** Suppressed refusals by kind, in the order first seen (absent: no kind was named). */
export type RefusalKinds = Readonly<Record<string, number>>;

export type RefusalDecision = { record: true; suppressed: number; kinds?: RefusalKinds } | { record: false };

export class RefusalBudget {
  private readonly sources = new Map<string, Source>();
  /** The window of the bound on all sources together, and the records written in it. */
  private all = { start: Number.NEGATIVE_INFINITY, written: 0 };

  constructor(private readonly limits: RefusalBudgetLimits = DEFAULT_REFUSAL_BUDGET) {}

  /**
   * One refused call of `source` at `now`: recorded (with the refusals suppressed before it, by
   * `kind` where their callers named one), or only counted.
   */
  take(source: string, now: number, kind?: string): RefusalDecision {
    if (now - this.all.start >= this.limits.windowMs) this.all = { start: now, written: 0 };
    // Past the bound on all sources, a source not seen yet is counted under the shared one: the
    // summaries written later are bounded by the sources that had records, plus one.
    const known = this.sources.has(source);
    const key =
      known || (this.sources.size < this.limits.maxSources && this.all.written < this.limits.maxPerWindow) ? source : OTHER_SOURCES;
    let s = this.sources.get(key);
    if (s !== undefined && now - s.start >= this.limits.windowMs) {
      // A new window: what the last one suppressed is carried on this record.
      s = { start: now, written: 0, suppressed: s.suppressed, ...(s.kinds !== undefined ? { kinds: s.kinds } : {}) };
      this.sources.set(key, s);
    }
    if (s === undefined) {
      s = { start: now, written: 0, suppressed: 0 };
      this.sources.set(key, s);
    }
    if (s.written >= this.limits.perWindow || this.all.written >= this.limits.maxPerWindow) {
      s.suppressed += 1;
      if (kind !== undefined) countKind((s.kinds ??= new Map()), kind);
      return { record: false };
    }
    s.written += 1;
    this.all.written += 1;
    if (key === OTHER_SOURCES) return { record: true, suppressed: 0 }; // its count is said in its summary only
    const said = { suppressed: s.suppressed, ...kindsOf(s) };
    s.suppressed = 0;
    s.kinds = undefined;
    return { record: true, ...said };
  }

  /**
   * The sources whose window has ended by `now`, with the refusals they suppressed and never carried
   * (to write as summaries); they are forgotten, as are ended windows that suppressed nothing.
   */
  due(now: number): { source: string; suppressed: number; kinds?: RefusalKinds }[] {
    const out: { source: string; suppressed: number; kinds?: RefusalKinds }[] = [];
    for (const [source, s] of this.sources) {
      if (now - s.start < this.limits.windowMs) continue;
      if (s.suppressed > 0) out.push({ source, suppressed: s.suppressed, ...kindsOf(s) });
      this.sources.delete(source);
    }
    return out;
  }
}

/** One more refusal of `kind`; a kind past the bound on kinds is counted under OTHER_KINDS. */
function countKind(kinds: Map<string, number>, named: string): void {
  const kind = named.slice(0, MAX_KIND_LENGTH);
  const key = kinds.has(kind) || kinds.size < MAX_REFUSAL_KINDS - 1 ? kind : OTHER_KINDS;
  kinds.set(key, (kinds.get(key) ?? 0) + 1);
}

function kindsOf(s: Source): { kinds?: RefusalKinds } {
  return s.kinds === undefined || s.kinds.size === 0 ? {} : { kinds: Object.fromEntries(s.kinds) };
}

/** `UNAUTHENTICATED 12, mtp.signature-refused (bad-signature) 3`: suppressed refusals by kind, for a record's field. */
export function formatRefusalKinds(kinds: RefusalKinds): string {
  return Object.entries(kinds)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
}

/**
 * A refused call's source address: the peer's address without its port (each connection has its
 * own) or the ingress it came through (one address gets one budget on all of them), an IPv6
 * address by its /64 (a host is commonly given a whole /64: counted per address it could make new
 * sources at will; hosts sharing one /64 share its budget). Peers look like `10.0.0.1:5000`,
 * `2001:db8::1:5000` (grpc-js), `ipv6:[2001:db8::1]:5000` (other gRPC stacks) or
 * `console 2001:db8::1:5000` (the HTTP ingresses: `<ingress> <address>:<port>`).
 */
export function refusalSource(peer: string): string {
  const colon = peer.lastIndexOf(':');
  let address = colon > 0 && /^\d+$/.test(peer.slice(colon + 1)) ? peer.slice(0, colon) : peer;
  address = address.slice(address.lastIndexOf(' ') + 1).replace(/^ipv[46]:/, '');
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  // An IPv4 client of a dual-stack listener is seen as ::ffff:a.b.c.d: the same address.
  if (/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address)) return address.slice('::ffff:'.length);
  return ipv6Prefix(address) ?? address;
}

/** `2001:db8:1:2::/64` for an IPv6 address, undefined for anything else. */
function ipv6Prefix(address: string): string | undefined {
  if (!isIPv6(address)) return undefined;
  const [head = '', tail] = address.split('::');
  const groups = (part: string | undefined): string[] =>
    part === undefined || part === '' ? [] : part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g]));
  const left = groups(head);
  const right = groups(tail);
  const all = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${all
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}
