/**
 * What a handling observes beyond its message and its state that can derive from its work (issue
 * 57, decision 2174), so that running the same component on the same work again — a redelivery
 * after a crash, a replica or a rollout's candidate taking it over, `caxton replay` — sees the same:
 * - ids (`new-id`, HTTP call ids): hashed from the agent's key, the work id and time, and a counter;
 * - insecure random bytes (`wasi:random/insecure`): an AES-256-CTR stream keyed the same way.
 * The agent's key hashes its deployment's name (a replica's or candidate's owner, never the
 * instance's own name) and creation time: two agents, or two deployments of a name, never share
 * ids; an upgrade keeps them. Ids are unique, not secret — an agent must not use `new-id` as a
 * credential (docs/replay.md). The clocks stay the host's, and secure random bytes and the
 * insecure seed real randomness: the bridge counts what a handling read of them.
 */
import { createCipheriv, hash } from 'node:crypto';

const ZERO_IV = Buffer.alloc(16);

/** One agent's key for deriving its handlings' ids and insecure randomness. */
export class AgentSeed {
  /** The agent's key, hex (it prefixes what each id hashes: one-shot `hash` is twice as fast as a Hash object). */
  private readonly key: string;

  constructor(identity: string, deploymentSeed: string) {
    this.key = hash('sha256', `caxton.handling-seed.v1\0${identity}\0${deploymentSeed}`, 'hex');
  }

  /** The values of one handling of work `workId` at time `at` (ms since epoch). */
  forWork(workId: string, at: number): HandlingSeed {
    return new HandlingSeed(this.key, workId, at);
  }
}

export class HandlingSeed {
  private ids = 0;
  private stream: ReturnType<typeof createCipheriv> | undefined;

  constructor(
    private readonly key: string,
    private readonly workId: string,
    /** The handling's time, ms since epoch. */
    readonly at: number,
  ) {}

  /** The next id of this handling: a UUID (version 8, RFC 9562) of 122 hashed bits. */
  nextId(): string {
    const n = this.ids++;
    const hex = hash('sha256', `${this.key}\0id\0${this.workId}\0${this.at}\0${n}`, 'hex');
    const variant = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }

  /** The next `n` bytes of this handling's insecure random stream. */
  insecureBytes(n: number): Uint8Array {
    if (this.stream === undefined) {
      const streamKey = hash('sha256', `${this.key}\0random\0${this.workId}\0${this.at}`, 'buffer');
      this.stream = createCipheriv('aes-256-ctr', streamKey, ZERO_IV);
    }
    return new Uint8Array(this.stream.update(Buffer.alloc(n)));
  }
}
