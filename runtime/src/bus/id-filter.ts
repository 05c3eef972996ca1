import { randomBytes } from 'node:crypto';

/**
 * A counting filter in front of a large set of ids (the logs' dedup windows of completed delivery
 * ids): `mayHave(id) === false` means the id is certainly not in the set, without touching it.
 *
 * Why: nearly every lookup in a dedup window is a miss (each message sent asks whether its new
 * delivery id was completed already), and a miss in a `Set` of 100,000 strings walks a hash chain
 * whose keys are strings scattered over the heap: profiled at ~9 % of the bus thread (decision
 * 2000). One byte per slot, indexed by a hash of the id, answers most misses from one array read.
 *
 * Exact by construction: every id in the set has counted its slot (add before, remove after the
 * set), so a zero slot proves absence; any other answer falls back to the set. A slot that reaches
 * 255 stays there for good (never decremented, so never falsely zero) — ids steered onto one slot
 * only make the filter answer "maybe" for it.
 */
export class IdFilter {
  private readonly counts: Uint8Array;
  private readonly mask: number;

  /** `capacity`: how many ids the set holds at most; the filter takes ~8 slots per id (at most 1 MiB). */
  constructor(capacity: number) {
    let size = 1024;
    while (size < capacity * 8 && size < 1 << 20) size *= 2;
    this.counts = new Uint8Array(size);
    this.mask = size - 1;
  }

  /** False: the id is certainly not in the set. True: it may be (ask the set). */
  mayHave(id: string): boolean {
    return this.counts[slotOf(id, this.mask)] !== 0;
  }

  /** The id was added to the set. */
  added(id: string): void {
    const i = slotOf(id, this.mask);
    const n = this.counts[i]!;
    if (n < 255) this.counts[i] = n + 1;
  }

  /** The id was removed from the set. */
  removed(id: string): void {
    const i = slotOf(id, this.mask);
    const n = this.counts[i]!;
    if (n > 0 && n < 255) this.counts[i] = n - 1;
  }
}

/**
 * A per-process random offset basis: ids are chosen by peers (forwarded message ids) and by
 * clients (idempotency keys), and with a fixed hash they could be ground offline onto one slot to
 * saturate it for the life of the process (performance only: the filter stays exact). Safe to
 * randomise because the filter is never persisted (review of decision 2000).
 */
const SEED = (0x811c9dc5 ^ randomBytes(4).readUInt32LE(0)) >>> 0;

/** FNV-1a (seeded) over the UTF-16 code units, mixed down to the table's bits. */
function slotOf(id: string, mask: number): number {
  let h = SEED;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return (h ^ (h >>> 15)) & mask;
}
