/**
 * The text all of a node's mailboxes hold (decision 2195), counted once per MESSAGE: the deliveries
 * of one message share it (one object in memory, one payload in the log, decision 1202), so a
 * publish to a thousand subscribers holds its text once, not a thousand times. Each class of
 * sender has its part, so no class can lock another out:
 *
 * - agents together 60 %, one agent an eighth of that (it takes eight agents parking large
 *   messages with slow receivers to fill the agents' part, and then only agents are refused);
 * - outside clients together 20 %; the platform's own messages (failures, dead-letter notices, HTTP
 *   answers) 10 %, those waiting for one agent an eighth of that (an agent that keeps being refused
 *   and does not read its failures loses its own, not every agent's);
 * - the operator's lane, only the whole: the parts sum to 90 %, so at least a tenth is always its.
 *
 * Pure bookkeeping, no I/O. A send reserves its message's text once, before its append, and gives
 * it back when the append ends; a delivery in a mailbox holds its message's text until it leaves
 * (`hold`/`release`, kept in step by the mailboxes' one record per pending delivery, decision 2070).
 */

/** Who a message's text is charged to. */
export type TextClass = 'agent' | 'outside' | 'platform';

/** Why a send's text is not admitted: the node's whole, or the part of the sender's class, or the agent's share. */
export type NodeTextVerdict = 'ok' | 'node-full' | 'agents-part' | 'agent-share' | 'outside-part' | 'platform-part';

export interface NodeTextLimits {
  /** All the node's mailboxes together (code units). */
  node: number;
  /** Agent senders together, and one agent sender. */
  agents: number;
  perAgent: number;
  /** Outside clients together (the operator's lane is bounded by `node` only). */
  outside: number;
  /** The platform's own messages together, and those waiting for one agent. */
  platform: number;
  platformPerAgent: number;
}

export function nodeTextLimits(node: number): NodeTextLimits {
  const agents = Math.max(1, Math.floor(node * 0.6));
  return {
    node,
    agents,
    perAgent: Math.max(1, Math.floor(agents / 8)),
    outside: Math.max(1, Math.floor(node * 0.2)),
    platform: Math.max(1, Math.floor(node * 0.1)),
    platformPerAgent: Math.max(1, Math.floor((node * 0.1) / 8)),
  };
}

/** One agent sender's text over the node (kept at zero for its next message; idle entries are bounded). */
export interface AgentText {
  units: number;
}

/** What a reservation or a held message took: given back once, by `release`. */
export interface TextCharge {
  readonly units: number;
  readonly cls: TextClass;
  readonly agent: AgentText | undefined;
  /** A message with several deliveries: its key in `shared` (id and size); how many of them hold it now. */
  readonly sharedKey: string | undefined;
  refs: number;
}

/** Entries at zero kept before all are dropped at once (as the shares' idle entries, decision 2070). */
const IDLE_KEPT = 64;

export class NodeText {
  private total = 0;
  private readonly byClass: Record<TextClass, number> = { agent: 0, outside: 0, platform: 0 };
  private readonly agents = new Map<string, AgentText>();
  private idleAgents = 0;
  /** Messages with several deliveries held, by message id and size: charged once for all of them. */
  private readonly shared = new Map<string, TextCharge>();

  constructor(readonly limits: NodeTextLimits) {}

  /**
   * May `units` more be held for a send of this class (`operator`: the operator's lane, bounded by
   * the whole only)? `sender`: the record charged (`agentOf`, looked up once per send) — the
   * sending agent's, or for the platform's message `platformKey` of the agent it is for.
   */
  admit(cls: TextClass, sender: AgentText | undefined, units: number, operator = false): NodeTextVerdict {
    const l = this.limits;
    if (this.total + units > l.node) return 'node-full';
    if (cls === 'agent') {
      if (this.byClass.agent + units > l.agents) return 'agents-part';
      if ((sender?.units ?? 0) + units > l.perAgent) return 'agent-share';
    } else if (cls === 'platform') {
      if (this.byClass.platform + units > l.platform) return 'platform-part';
      if (sender !== undefined && sender.units + units > l.platformPerAgent) return 'platform-part';
    } else if (!operator && this.byClass.outside + units > l.outside) return 'outside-part';
    return 'ok';
  }

  /** A send's reservation of its message's text (given back by `release` when its append ends). */
  reserve(cls: TextClass, sender: AgentText | undefined, units: number): TextCharge {
    return this.charged(cls, sender, units, undefined);
  }

  /** The record of what the platform sends `agent` (its local name), apart from the agent's own sends. */
  static platformKey(agent: string): string {
    return `platform:${agent}`;
  }

  /** An agent sender's record (or `platformKey`'s), created at zero (kept while idle, bounded). */
  agentOf(sender: string): AgentText {
    let agent = this.agents.get(sender);
    if (agent === undefined) {
      if (this.idleAgents >= IDLE_KEPT) this.sweep();
      agent = { units: 0 };
      this.agents.set(sender, agent);
      this.idleAgents += 1;
    }
    return agent;
  }

  /**
   * A delivery came into a mailbox: its message's text is held until it leaves. `several`: the
   * message has (or may have) other deliveries here, which share the charge.
   */
  hold(messageId: string, several: boolean, cls: TextClass, sender: string, units: number): TextCharge {
    if (!several) return this.charge(cls, sender, units, undefined);
    // Keyed by its text too: a handler run again after a crash may send another message under the
    // same derived id, which must not ride on the first one's charge.
    const key = `${messageId}\u0000${units}`;
    const held = this.shared.get(key);
    if (held !== undefined) {
      held.refs += 1;
      return held;
    }
    const c = this.charge(cls, sender, units, key);
    this.shared.set(key, c);
    return c;
  }

  /** A reservation ended, or a delivery left its mailbox: the last holder of a message gives its text back. */
  release(c: TextCharge): void {
    if (c.refs <= 0) return; // given back already
    c.refs -= 1;
    if (c.refs > 0) return;
    if (c.sharedKey !== undefined && this.shared.get(c.sharedKey) === c) this.shared.delete(c.sharedKey);
    this.total = Math.max(0, this.total - c.units);
    this.byClass[c.cls] = Math.max(0, this.byClass[c.cls] - c.units);
    const a = c.agent;
    if (a === undefined) return;
    a.units = Math.max(0, a.units - c.units);
    if (a.units === 0 && ++this.idleAgents > IDLE_KEPT) this.sweep();
  }

  /** Drops the agent records at zero all at once (amortised O(1)). */
  private sweep(): void {
    for (const [k, v] of this.agents) if (v.units === 0) this.agents.delete(k);
    this.idleAgents = 0;
  }

  /** Text held or reserved on the node: in all, or of one class. */
  units(cls?: TextClass): number {
    return cls === undefined ? this.total : this.byClass[cls];
  }

  /** One agent sender's text on the node (tests, status). */
  unitsOf(agent: string): number {
    return this.agents.get(agent)?.units ?? 0;
  }

  /** Messages with several deliveries held now (tests: none is kept once its deliveries left). */
  get sharedMessages(): number {
    return this.shared.size;
  }

  private charge(cls: TextClass, sender: string, units: number, sharedKey: string | undefined): TextCharge {
    return this.charged(cls, cls === 'outside' ? undefined : this.agentOf(sender), units, sharedKey);
  }

  private charged(cls: TextClass, agent: AgentText | undefined, units: number, sharedKey: string | undefined): TextCharge {
    this.total += units;
    this.byClass[cls] += units;
    if (agent !== undefined) {
      if (agent.units === 0) this.idleAgents = Math.max(0, this.idleAgents - 1);
      agent.units += units;
    }
    return { units, cls, agent, sharedKey, refs: 1 };
  }
}
