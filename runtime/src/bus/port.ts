/**
 * The one port through which the bus asks the node what only the node knows: where names live,
 * which conversations are allowed, how to run agents, and what to do with the effects of a
 * handling. The node implements it (runtime/src/node/bus-port.ts) and hands it to `Bus.open`; the
 * bus owns everything else (mailboxes, the dispatch loop, ordering, completions, dead letters).
 */
import type { AclMessage, AgentId, Delivery, TopicSubscription } from '@caxton/core';
import type { ExecutionResult, WorkItem } from './executor.js';
import type { Resolution } from './resolution.js';
import type { TimerIntent } from './plan/timer-intents.js';

/** What an absent agent's queue keeps (its deployment's limits, decision 1990). */
export interface AbsentQueueLimits {
  /** Deliveries kept at most (waiting, completing and being appended). */
  queue: number;
  /**
   * How long each waits before it is dead-lettered (`absent-ttl`): from its acceptance, or from
   * when the agent became absent if that is later (a backlog is not dropped on suspend, decision 1403).
   */
  ttlMs: number;
  /** When the agent became absent (ms since the epoch), if known. */
  since?: number;
  /**
   * Cluster: `queue` is held down by its partition's absent budget (this many absent deliveries per
   * partition, shared by the partition's absent agents, first come; decision 1990 *Cluster*).
   */
  partitionBudget?: number;
}

export type { ReceiverKind } from './resolution.js';

/**
 * Cluster (decision 2157): the count of each absent agent's queue that every node's sends take
 * their places in, so the bound holds at the send whichever node the send enters through.
 */
export interface SharedAbsentCount {
  /** Is `agent` absent anywhere in the cluster (its record or the kill switch says so)? Synchronous, O(1): asked of every delivery. */
  counts(agent: string): boolean;
  /**
   * Take one place per delivery in its receiver's count, before anything is appended; resolves to
   * the refused ones (delivery id → the bound that refused it, as the claim holder would have). A
   * place stays taken once the delivery is appended (its holder then lists it) and, if the append
   * fails, until it times out: a retry under the same id finds it. A rejection (etcd unreachable,
   * typed) took nothing the send may count on: the send fails as an append that failed does.
   */
  take(deliveries: readonly Pick<Delivery, 'id' | 'receiver'>[]): Promise<Map<string, { limit: number; partitionBudget?: number }>>;
}

/** Conversation protocols as the bus sees them: a verdict per send, and deadlines that expire. */
export interface ProtocolGate {
  /**
   * A rejection's `hint` is what an outside sender is told to do (absent: the protocol's general
   * one); its `label` starts the outside sender's error (absent: "protocol violation").
   */
  observe(
    msg: AclMessage,
    now: number,
  ): { kind: 'deliver' } | { kind: 'reject'; reply: AclMessage; reason: string; hint?: string; label?: string };
  /**
   * Receivers of `msg` that are not participants of the conversation it continues (empty when it
   * continues none or is an opening act). Pure. The bus leaves such receivers out when a topic
   * reached them (decision 1960) rather than have the whole message refused.
   */
  nonParticipants?(msg: AclMessage): readonly string[];
  expire(now: number): AclMessage[];
  nextDeadline(): number | undefined;
}

/** The fencing questions the dispatch loop asks in a cluster (answered by the placement controller). */
export interface DispatchOwnership {
  /** Fencing token the agent runs under on this node now; undefined when it does not run here. */
  token(agent: string): number | undefined;
  /** May work taken under `token` still be completed, with `withinMs` to spare? Local, no I/O. */
  isStillOwner(agent: string, token: number, withinMs: number): boolean;
  /** How long recording a completion may take (ms): the margin asked of the membership lease. */
  completionWithinMs: number;
}

/**
 * Receivers on other agent platforms, reached over a message transport (the FIPA HTTP MTP,
 * decision 1910). Only agents' sends are forwarded: their deployment's egress rules apply.
 */
export interface RemoteTransport {
  /** Is `receiver` an agent of another platform this node forwards to? Cheap, no I/O. */
  reaches(receiver: AgentId): boolean;
  /**
   * Take a message `agent` sent to `receivers` (all `reaches`), after its local deliveries are
   * durable. Resolves once the forwarding is durable (its outbox records committed), before the
   * posts are answered; a rejection fails the send (the handling runs again). A delivery that
   * finally fails comes back to the agent as `failure`.
   */
  forward(send: { messageId: string; message: AclMessage; receivers: AgentId[]; agent: string }): Promise<void>;
}

/** Where the bus tells the receivers it refused as unknown to an agent's sends (decision 2123). */
export interface UnknownReceiverSink {
  /**
   * The routing epoch now, read as a refusal is told: it moves only on the bus thread, so it is the
   * one the receiver was routed in the same synchronous step.
   */
  epoch(): number;
  /** `receiver`, as `agent` wrote it, was refused as unknown in routing epoch `epoch`. */
  refused(agent: string, receiver: string, epoch: number): void;
}

/**
 * What a send asks of the node besides where each receiver resolves to: its protocol check, the
 * receivers on other platforms, a topic's subscribers, the bounds of absent agents' queues, and the
 * bookkeeping of what routing reserved or refused.
 */
export interface SendRouting {
  /**
   * `resolve` answered an activation for this name but the send appended nothing for it (refused after,
   * a duplicate, or the append failed): what routing reserved for it is given back. Absent: nothing is.
   */
  unrouted?(localName: string): void;
  /**
   * Receivers refused as unknown, told to the sender's shard so it refuses its next sends to them
   * itself until something may route that did not (decision 2123). Absent: nothing is told.
   */
  readonly unknownReceivers?: UnknownReceiverSink | undefined;
  /**
   * A topic's current subscriptions, read from the registry at send time (decision 1960). Absent:
   * the node has no topics, and a send to `topic:<name>` reaches nobody.
   */
  subscriptions?(topic: string): Promise<TopicSubscription[]>;
  /** Other platforms' agents (absent: every receiver is a name on this platform). */
  readonly transport?: RemoteTransport | undefined;
  /** Protocol checks on every send (absent: none). */
  readonly gate?: ProtocolGate | undefined;
  /**
   * The agent is absent — stopped with its queue kept, or suspended — and its messages wait for it
   * (decision 1990): how many it keeps and for how long. Undefined: present (or not this node's to
   * say). Absent: no agent is ever absent.
   */
  absence?(agent: string): AbsentQueueLimits | undefined;
  /** Cluster (decision 2157): every node's sends to absent agents take places in one count. Absent: the claim holder's `absence` alone bounds. */
  readonly sharedAbsent?: SharedAbsentCount | undefined;
  /**
   * An instance `resolve` refused `activation-limit`: its kind's own cap (`--max-active`) when the
   * kind is at it, which is then what refused, not the shard (the refusal says which). Asked only
   * on a refusal. Absent or undefined: the shard.
   */
  kindCapReached?(instance: string): number | undefined;
}

/**
 * What the applier does with a handling once its completion is decided (Temporal's "commands, then
 * one applier"): the effects that must wait for the commit, and the repairs after one that failed.
 */
export interface CommittedEffects {
  /** Apply the timer and directory effects of a handling that completed; a rejection is logged, not retried. */
  apply(result: Pick<ExecutionResult, 'agent' | 'timers' | 'directory'>): Promise<void>;
  /**
   * The timers a committed handling recorded in its commit point (issue 55): put them in the
   * registry and arm them, then remove their records. Absent: `apply` sets them (records stay).
   */
  setCommittedTimers?(agent: string, timers: readonly TimerIntent[]): Promise<void>;
  /**
   * A fired durable timer's handling is settled (its commit point, if any, is durable): delete it
   * from the registry, then its done marker. Resolves when the registry delete is durable.
   */
  forgetTimer(agent: string, timerId: string): Promise<void>;
  /**
   * A fired timer is left in the registry for its partition's next owner (decision 2060: its
   * firing's commit is not known to count): stop tracking it here only. Absent: nothing tracked.
   */
  leaveTimer?(agent: string, timerId: string): void;
  /** Let the HTTP calls of a committed handling leave (decision 1601); absent: no outbound HTTP. */
  releaseHttp?(workKey: string): void;
  /** Drop the held HTTP calls of a handling that will not commit (it is handled again, anew). */
  dropHttp?(workKey: string): void;
  /**
   * Reset the agent's in-sandbox state view to its committed state (a rewind after a commit that
   * failed, issue 24). Absent: the node has no state to reset.
   */
  resetState?(agent: string): Promise<void>;
  /** The agent (re)started here: re-arm its pending timers and recover its lost HTTP calls. */
  resumeAgent?(agent: string): Promise<void>;
}

/**
 * The bus's one port to the node (issue 55: eight members): one question per receiver of a send
 * (`resolve`), one per work batch (`execute`), and three groups — what a send needs besides
 * (`sending`), the fence of a cluster (`ownership`), what follows a decided completion (`effects`).
 */
export interface BusPort {
  /**
   * The one question routing asks about a receiver, once per receiver of a send: the activation its
   * delivery is written to, or why there is none (decision 2160). An instance of a kind not in
   * memory has a slot of its shard reserved here (given back through `sending.unrouted` when the
   * send appends nothing for it); where replicas are spread across nodes, a scaled agent resolves to
   * the unit its message's conversation hashes to (decision 2093), and a name holding `#` is unknown
   * (a unit is reached only through this choice) — unless `toActivation`: the platform answers an
   * activation by its id (a worker's HTTP answer, decision 2163). Synchronous, no I/O.
   */
  resolve(localName: string, message: AclMessage, messageId: string, toActivation?: boolean): Resolution;
  /**
   * Is this name an agent's (cluster: on any node)? Asked of every delivery's sender, so it must
   * have no side effect: `resolve` activates an instance of a kind (decision 1980).
   */
  isAgent(localName: string): boolean;
  readonly sending: SendRouting;
  /**
   * Run a batch; one result per item, same order. Items of one agent run in batch order, and once
   * one of them does not complete the agent's later items come back `skipped`.
   */
  execute(batch: readonly WorkItem[]): Promise<ExecutionResult[]>;
  /** Is the agent runnable here now? (deployed, not failed, owned by this node) */
  isRunnable(agent: string): boolean;
  /** Cluster: who may complete an agent's deliveries. Absent: every agent is local (early release). */
  readonly ownership?: DispatchOwnership | undefined;
  readonly effects: CommittedEffects;
  /** The log handed out deliveries for `agent` (before the bus wakes it). */
  mailArrived(agent: string): void;
}
