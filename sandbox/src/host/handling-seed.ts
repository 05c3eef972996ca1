/**
 * What a handling observes beyond its message and its state, derived from what the log holds
 * (issue 57, decision 2174), so that running the same component on the same work again — a
 * redelivery after a crash, or `caxton replay` — sees the same values:
 * - the time (`now`, the WASI wall clock): the work's own time — a delivery's `acceptedAt`, a
 *   timer's due time — constant for the whole handling;
 * - ids (`new-id`, HTTP call ids): hashed from the agent's key, the work id and time, and a counter;
 * - insecure random bytes (`wasi:random/insecure`, `insecure-seed`): an AES-256-CTR stream keyed
 *   the same way.
 * The agent's key is a hash of its identity and its deployment's seed (the runtime passes the
 * deployment's creation time): ids of two deployments of a name, or of two agents, never repeat.
 * Ids are unique, not secret — an agent must not use `new-id` as a credential (docs/replay.md).
 * Secure random bytes (`wasi:random/random`) stay real randomness, counted, so a replay can say a
 * handling that read them may not reproduce.
 */
import { createCipheriv, createHash } from 'node:crypto';

const ZERO_IV = Buffer.alloc(16);

/** One agent's key for deriving its handlings' ids and insecure randomness. */
export class AgentSeed {
  private readonly key: Buffer;

  constructor(identity: string, deploymentSeed: string) {
    this.key = createHash('sha256').update(`caxton.handling-seed.v1\0${identity}\0${deploymentSeed}`, 'utf8').digest();
  }

  /** The values of one handling of work `workId` at time `at` (ms since epoch). */
  forWork(workId: string, at: number): HandlingSeed {
    return new HandlingSeed(this.key, workId, at);
  }
}

export class HandlingSeed {
  private ids = 0;
  private stream: ReturnType<typeof createCipheriv> | undefined;
  private readonly material: string;

  constructor(
    private readonly key: Buffer,
    workId: string,
    /** The handling's time, ms since epoch. */
    readonly at: number,
  ) {
    this.material = `${workId}\0${at}`;
  }

  /** The next id of this handling: a UUID (version 8, RFC 9562) of 122 hashed bits. */
  nextId(): string {
    const n = this.ids++;
    const hex = createHash('sha256').update(this.key).update(`id\0${this.material}\0${n}`, 'utf8').digest('hex');
    const variant = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }

  /** The next `n` bytes of this handling's insecure random stream. */
  insecureBytes(n: number): Uint8Array {
    if (this.stream === undefined) {
      const streamKey = createHash('sha256').update(this.key).update(`random\0${this.material}`, 'utf8').digest();
      this.stream = createCipheriv('aes-256-ctr', streamKey, ZERO_IV);
    }
    return new Uint8Array(this.stream.update(Buffer.alloc(n)));
  }
}
