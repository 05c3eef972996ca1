import { randomBytes } from 'node:crypto';

/**
 * The last N distinct ids added, exactly: the logs' dedup windows of completed delivery ids
 * (decision 2002). `has` is asked twice per delivery sent — by the bus, to report a retried send
 * accepted, and by the log, idempotent for every caller (decision 2121) — and `add` runs once per
 * completion.
 *
 * Why not a `Set<string>` (decision 2000 had one behind a counting filter): a window of 100,000
 * strings that takes one id in and one out per message keeps V8's ordered hash table busy with
 * chains of heap strings, deleted-entry holes and periodic rehashes of the whole table — the top
 * Map/Set cost on the bus thread in `perf` (decision 2002). Here the table is numbers only: an
 * open-addressing index (linear probing, at most half full) of 32-bit hashes pointing into the
 * ring of ids. A lookup reads integers until the hash matches, and only then compares the id
 * itself, so a collision of hashes never makes two ids one (exact: nothing is ever dropped as a
 * duplicate it is not). Eviction deletes by backward shift, so no tombstones ever build up.
 */
export class IdWindow {
  /** The ids in insertion order (a ring): `ring[r]` is the id held at position r. */
  private readonly ring: (string | undefined)[];
  /** The hash of `ring[r]`, so an eviction finds its slot without hashing the id again. */
  private readonly hashes: Int32Array;
  /** Open-addressing index: 0 is empty, else ring position + 1. */
  private readonly slots: Int32Array;
  private readonly mask: number;
  private next = 0;
  private count = 0;

  /**
   * `capacity`: how many ids the window keeps (the oldest falls out first); 0 keeps none.
   * `hash`: the id's 32-bit hash; the default is seeded per process (tests pass a colliding one).
   */
  constructor(
    readonly capacity: number,
    private readonly hash: (id: string) => number = hashOf,
  ) {
    const kept = Math.max(0, Math.floor(capacity));
    this.ring = new Array<string | undefined>(kept);
    this.hashes = new Int32Array(kept);
    let size = 16;
    while (size < kept * 2) size *= 2;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
  }

  get size(): number {
    return this.count;
  }

  has(id: string): boolean {
    return this.find(id, this.hash(id) | 0) >= 0;
  }

  /** Add `id` as the newest; the oldest falls out when the window is full. False if it was held already. */
  add(id: string): boolean {
    const cap = this.ring.length;
    if (cap === 0) return false;
    const h = this.hash(id) | 0;
    if (this.find(id, h) >= 0) return false;
    const r = this.next;
    if (this.ring[r] !== undefined) this.unindex(r);
    else this.count += 1;
    this.ring[r] = id;
    this.hashes[r] = h;
    let i = home(h, this.mask);
    while (this.slots[i] !== 0) i = (i + 1) & this.mask;
    this.slots[i] = r + 1;
    this.next = r + 1 === cap ? 0 : r + 1;
    return true;
  }

  /** The ring position holding `id`, or -1. Strings are compared only where the hashes agree. */
  private find(id: string, h: number): number {
    const mask = this.mask;
    for (let i = home(h, mask); ; i = (i + 1) & mask) {
      const s = this.slots[i]!;
      if (s === 0) return -1;
      const r = s - 1;
      if (this.hashes[r] === h && this.ring[r] === id) return r;
    }
  }

  /** Take ring position `r` out of the index (backward-shift deletion: no tombstones). */
  private unindex(r: number): void {
    const mask = this.mask;
    let hole = home(this.hashes[r]!, mask);
    while (this.slots[hole] !== r + 1) {
      // Every held position is indexed on its probe run; an empty slot first means the index is
      // broken — fail loudly rather than spin the bus thread forever.
      if (this.slots[hole] === 0) throw new Error(`IdWindow: ring position ${r} is not indexed (internal invariant broken)`);
      hole = (hole + 1) & mask;
    }
    // Entries after the hole whose probe path crosses it move back into it, so every lookup
    // still reaches its entry before an empty slot.
    for (let j = (hole + 1) & mask; ; j = (j + 1) & mask) {
      const s = this.slots[j]!;
      if (s === 0) break;
      const k = home(this.hashes[s - 1]!, mask);
      if (((j - k) & mask) >= ((j - hole) & mask)) {
        this.slots[hole] = s;
        hole = j;
      }
    }
    this.slots[hole] = 0;
  }
}

/**
 * A per-process random offset basis: ids are chosen by peers (forwarded message ids) and by
 * clients (idempotency keys); with a fixed hash they could be ground offline into one long probe
 * run (performance only: the window stays exact). Safe because the index is never persisted.
 */
const SEED = (0x811c9dc5 ^ randomBytes(4).readUInt32LE(0)) >>> 0;

/** FNV-1a (seeded) over the UTF-16 code units: a 32-bit number per id. */
export function hashOf(id: string): number {
  let h = SEED;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return h | 0;
}

/** The first slot an id's hash probes: the high bits mixed in (FNV's low bits are the weakest). */
function home(h: number, mask: number): number {
  return (h ^ (h >>> 15)) & mask;
}
