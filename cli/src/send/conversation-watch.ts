/**
 * When `caxton send --wait` may stop: the conversation it opened has ended for every receiver
 * the bus accepted. With a known interaction protocol each receiver is one branch of the protocol
 * machine the runtime itself enforces (core/src/protocols), advanced by the messages seen on the
 * tail; a branch ends in a final phase (inform/failure/refuse…, cancel answered, deadline missed).
 * Without a protocol a branch ends at the receiver's first answer to the operator. Pure: no I/O.
 */

import {
  INITIAL_STATE,
  isFinal,
  PROTOCOL_MACHINES,
  step,
  toProtocolName,
  type BranchState,
  type ProtocolMachine,
  type MessageEvent,
} from '@caxton/core';
import type { Performative } from '@caxton/core';

/** `echo@caxton` and `echo` name the same local agent. */
export function localName(name: string): string {
  const at = name.indexOf('@');
  return at < 0 ? name : name.slice(0, at);
}

interface Branch {
  state: BranchState;
  done: boolean;
}

export class ConversationWatch {
  private readonly machine: ProtocolMachine | undefined;
  private readonly branches = new Map<string, Branch>();
  private readonly operator: string;

  /**
   * @param operator the sender the runtime stamps on operator messages (local name, e.g. operator)
   * @param receivers local names of the receivers the bus accepted the message for
   * @param protocol the message's protocol parameter, if any
   * @param act the performative that opened the conversation
   */
  constructor(operator: string, receivers: readonly string[], protocol: string | undefined, act: Performative) {
    this.operator = localName(operator);
    const name = protocol === undefined ? undefined : toProtocolName(protocol);
    this.machine = name === undefined ? undefined : PROTOCOL_MACHINES[name];
    for (const r of receivers) {
      const branch: Branch = { state: INITIAL_STATE, done: false };
      if (this.machine) {
        const out = step(this.machine, INITIAL_STATE, 'initiator', act);
        // An opening act the protocol does not allow: the runtime refuses it; nothing to wait for.
        if (out.kind === 'violation') branch.done = true;
        else branch.state = out.next;
      }
      this.branches.set(localName(r), branch);
    }
  }

  /** True when the message belongs to the conversation's exchange (shown to the user). */
  observe(event: MessageEvent): boolean {
    const m = event.message;
    const sender = localName(m.sender?.name ?? '');
    if (sender === this.operator) {
      // A follow-up the operator sent (e.g. accept-proposal from another terminal) moves those branches.
      for (const r of m.receivers) this.advance(localName(r.name), 'initiator', m.performative);
      return false;
    }
    if (!this.branches.has(sender) || !m.receivers.some((r) => localName(r.name) === this.operator)) return false;
    this.advance(sender, 'participant', m.performative);
    return true;
  }

  private advance(participant: string, role: 'initiator' | 'participant', act: Performative): void {
    const b = this.branches.get(participant);
    if (!b || b.done) return;
    if (!this.machine) {
      if (role === 'participant') b.done = true;
      return;
    }
    const out = step(this.machine, b.state, role, act);
    // An act the protocol refuses is refused by the runtime too; it does not move the branch.
    if (out.kind === 'violation') return;
    b.state = out.next;
    b.done = isFinal(this.machine, b.state);
  }

  get finished(): boolean {
    for (const b of this.branches.values()) if (!b.done) return false;
    return true;
  }

  /** Receivers whose branch is still open (for the timeout message). */
  pending(): string[] {
    return [...this.branches].filter(([, b]) => !b.done).map(([name]) => name);
  }
}
