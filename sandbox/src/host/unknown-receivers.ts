/**
 * Receivers the bus refused `unknown-receiver` to an agent's sends, remembered on the agent's
 * shard so its next sends to them are refused there, as a typed error from `send`, instead of
 * crossing to the bus thread to be refused again (decision 2123: a send flood to a name no agent
 * has cost the bus thread ~10 µs a send, shared by every agent of the node).
 *
 * A stale entry must never refuse a send the bus would take. Every change that can make a name
 * routable (an agent deployed here or, in a cluster, anywhere; a kind deployed; an outside
 * sender remembered) bumps the node's routing epoch, a cell shared with the shards, in the same
 * synchronous step as the change; an entry counts only while the epoch is the one the bus read
 * before it routed the refused send. The shard reads the cell at the moment of the host call, so
 * a deploy finished before that call is seen even while the shard is running the agent.
 */

/** The node's routing epoch: one Int32 cell the bus thread bumps and the shards read. */
export class RoutingEpoch {
  private readonly cell: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT)) {
    this.cell = new Int32Array(buffer);
  }

  get current(): number {
    return Atomics.load(this.cell, 0);
  }

  /** A name may route now that did not: every receiver remembered as unknown is void. */
  changed(): void {
    Atomics.add(this.cell, 0, 1);
  }
}

/** Receivers remembered per agent: a flood names one; a bound keeps an agent naming many from growing it. */
export const MAX_UNKNOWN_RECEIVERS = 64;

/**
 * One agent's receivers the bus refused as unknown, each with the epoch it was refused in. The
 * first send of a call to them still goes to the bus, which refuses it with the `failure` message
 * an agent gets for a routing failure, as before: an agent sending once per call to a peer not
 * deployed yet (a retry on a timer) sees no change. Only the sends after it, in the same call,
 * are refused here, as `send`'s error: a flood stops at its second send.
 */
export class UnknownReceivers {
  private readonly names = new Map<string, number>();
  /** The receiver sets let through to the bus once in this call. */
  private readonly passed = new Set<string>();

  constructor(private readonly epoch: RoutingEpoch) {}

  /** `receiver` (as the agent wrote it) was refused unknown by the bus, which read `epoch` before routing it. */
  note(receiver: string, epoch: number): void {
    const now = this.epoch.current;
    if (epoch !== now) return; // something may route since: nothing to remember
    if (!this.names.has(receiver) && this.names.size >= MAX_UNKNOWN_RECEIVERS) {
      for (const [name, at] of this.names) if (at !== now) this.names.delete(name);
      if (this.names.size >= MAX_UNKNOWN_RECEIVERS) this.names.delete(this.names.keys().next().value!);
    }
    this.names.set(receiver, epoch);
  }

  /** A new call: each remembered receiver set may go to the bus once again. */
  begin(): void {
    if (this.passed.size > 0) this.passed.clear();
  }

  /**
   * The receivers of a send to refuse here: all of them, when every one is remembered in the
   * current epoch (a send with any other receiver goes to the bus, which takes that one) and a
   * send to the same ones went to the bus already in this call; else undefined.
   */
  refusing(receivers: readonly { name: string }[]): readonly { name: string }[] | undefined {
    if (this.names.size === 0 || receivers.length === 0) return undefined;
    const now = this.epoch.current;
    for (const r of receivers) if (this.names.get(r.name) !== now) return undefined;
    const key = receivers.length === 1 ? receivers[0]!.name : receivers.map((r) => r.name).join('\n');
    if (!this.passed.has(key)) {
      this.passed.add(key);
      return undefined;
    }
    return receivers;
  }
}
