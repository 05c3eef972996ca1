/**
 * The bus: every message between agents (and from operators) passes here. It stamps the sender,
 * checks protocols, resolves receivers, enforces mailbox bounds, persists deliveries through the
 * MessageLog (accepted = durable), feeds the consumed deliveries into per-agent mailboxes and runs
 * the dispatch loop that drains them into the node's executor (decision 1101).
 *
 * What only the node knows (names, protocols, the sandbox, effects, fencing) comes through the one
 * `BusPort` given to `open`. The mailboxes and the loop are the bus's own: nothing outside
 * runtime/src/bus touches a Mailbox.
 */
import type { AgentStateStore } from '../storage/ports.js';
import type { Delivery } from '@caxton/core';
import {
  CaxtonError,
  DEFAULT_TRAFFIC_LIMITS,
  TOPIC_PREFIX,
  replicaOwner,
  matchesTopicFilter,
  messageTextUnits,
  topicOfReceiver,
  validateAclMessage,
  type AclMessage,
  type AgentId,
  type EdgeTicket,
  type SendResult,
} from '@caxton/core';
import type { DeadLetter, MessageLog } from '../log/message-log.js';
import { Mailboxes } from './mailboxes.js';
import { shareLimits, type SenderShare, type ShareVerdict, type TextLimits } from './mailbox-shares.js';
import { NodeText, type NodeTextLimits, type NodeTextVerdict, type TextCharge, type TextClass } from './node-text.js';
import { DispatchLoop, type DispatchLimits } from './dispatch-loop.js';
import type { BusPort } from './port.js';
import type { NoActivation } from './resolution.js';
import type { ExecutionResult } from './executor.js';
import { MessageIdGenerator, deliveryId } from './ids.js';
import { failureReply, receiverList, notUnderstoodReply } from './replies.js';
import {
  AbsentQueueFullError,
  ActivationLimitError,
  BusNotOpenError,
  BusOverloadedError,
  CircuitOpenError,
  InvalidSendError,
  InvalidTopicAddressError,
  MailboxFullError,
  NodeMailboxesFullError,
  UnknownReceiverError,
  mailboxFullReason,
  nodeMailboxesFullReason,
} from './errors.js';
import { CircuitBreakers, type BreakerLimits, type BreakerView } from './circuit-breaker.js';
import type { EdgeAdmission, EdgeAdmissionLimits, EdgeLane } from './edge-admission.js';
import type { BusEvents } from './events.js';
import type { Mailbox } from './mailbox.js';
import type { Origin, OutboxSender } from './outbox-sender.js';
import { isSendRefusal } from './refusal.js';
import { NO_ITEMS, added } from './lists.js';
import { AgentNames } from './agent-names.js';

export type { AbsentQueueLimits, BusPort, DispatchOwnership, ProtocolGate, ReceiverKind, RemoteTransport } from './port.js';
export type { NoActivation, Resolution } from './resolution.js';
export type { Origin } from './outbox-sender.js';

export interface BusOptions {
  log: MessageLog;
  /**
   * Where timers' state writes are committed (decision 1600); deliveries' writes ride with their
   * completion in `log`. Usually the log itself. Without one, state writes are refused (warned).
   */
  state?: AgentStateStore;
  nodeId: string;
  /** Platform name: agent `echo` is `echo@<platform>`. */
  platform: string;
  mailboxCapacity: number;
  /** Dispatches a waiting priority may be passed over before it is served (decision 1920); default from TRAFFIC_LIMIT_TABLE. */
  priorityAgingDispatches?: number;
  /** Circuit breakers to failing receivers (decision 1921); defaults from TRAFFIC_LIMIT_TABLE. */
  breaker?: BreakerLimits;
  /** How the dispatch loop hands out work. */
  dispatch: DispatchLimits;
  events: BusEvents;
  now?: () => number;
  /** Edge admission of outside clients (decision 1810); defaults otherwise. */
  edgeAdmission?: EdgeAdmissionLimits;
  /** The text one mailbox may hold (decision 2195: `textLimits`); defaults from TRAFFIC_LIMIT_TABLE. */
  mailboxText?: TextLimits;
  /** The text all the node's mailboxes may hold (decision 2195: `nodeTextLimits`); defaults from TRAFFIC_LIMIT_TABLE. */
  nodeText?: NodeTextLimits;
  /** Local names the platform itself sends as besides `ams` (`http`, `df`: node/sender-policy.ts), charged as the platform's. */
  platformSenders?: readonly string[];
}

/** The first word of the reason of a message dead-lettered because its receiver stayed absent (decision 1990). */
export const ABSENT_TTL_REASON = 'absent-ttl';
/** The first word of the reason of a message dead-lettered past its absent receiver's bound, in a cluster (decision 1990). */
export const ABSENT_QUEUE_FULL_REASON = 'absent-queue-full';
/** The refusal reason of a send past the text the node's mailboxes may hold together (decision 2195). */
const NODE_MAILBOXES_FULL = 'node-mailboxes-full';
/** A shared log's refusal of a delivery whose partition moved to another node (KafkaNotOwnerError). */
const NOT_OWNER = 'bus.kafka.not-owner';

export class Bus implements OutboxSender {
  readonly platformId: AgentId;
  /** The platform's own identities (`ams@`, `http@`, `df@`…): their messages are charged as the platform's (decision 2195). */
  private readonly platformSenders: ReadonlySet<string>;
  private readonly mailboxes: Mailboxes;
  /** Set by open(): the node's side of every decision the bus cannot take alone. */
  private port: BusPort | undefined;
  /** Created by open(), with the port. */
  private loop: DispatchLoop | undefined;
  private frozen = false;
  private readonly ids: MessageIdGenerator;
  private readonly now: () => number;
  private deadlineTimer: NodeJS.Timeout | undefined;
  /** When the deadline timer fires (meaningful while it is set). */
  private deadlineAt = Number.POSITIVE_INFINITY;
  private opening: Promise<void> | undefined;
  /** Circuit breakers of the receivers whose deliveries fail (decision 1921). */
  private readonly breakers: CircuitBreakers;
  /** Agents' local and qualified names, each made once (decision 2150). */
  private readonly names: AgentNames;

  constructor(private readonly opts: BusOptions) {
    this.platformId = { name: `ams@${opts.platform}` };
    this.platformSenders = new Set([this.platformId.name, ...(opts.platformSenders ?? []).map((local) => `${local}@${opts.platform}`)]);
    this.names = new AgentNames(opts.platform, TOPIC_PREFIX);
    this.ids = new MessageIdGenerator(opts.nodeId);
    this.now = opts.now ?? Date.now;
    this.breakers = new CircuitBreakers(
      opts.breaker ?? {
        failures: DEFAULT_TRAFFIC_LIMITS.breakerFailures,
        coolDownMs: DEFAULT_TRAFFIC_LIMITS.breakerCoolDownMs,
      },
      (t) => this.opts.events.emit({ type: 'breaker', ...t }),
    );
    // Every handled delivery is an outcome for its receiver's breaker: a crash of any kind (trap,
    // fuel, memory, the wall-clock watchdog) a failure, a handling (ok or rejected) a success. Work
    // lost to a reset (`unavailable`: another agent's runaway, the pool closing, a rollout's new
    // version holding the state and restarting, decision 2170) is neither: it is handed out again.
    opts.events.on(
      (e) => {
        if (e.type !== 'handled') return;
        const status = e.outcome.status;
        if (status === 'crashed' && e.outcome.kind !== 'unavailable') this.breakers.record(e.agent, false, this.now());
        else if (status === 'ok' || status === 'rejected') this.breakers.record(e.agent, true, this.now());
      },
      ['handled'],
    );
    this.mailboxes = new Mailboxes(opts.mailboxCapacity, {
      isAgent: (sender) => {
        const port = this.port;
        if (port === undefined) return false;
        const name = this.agentName(sender);
        return port.isAgent(name);
      },
      platformSender: this.platformId.name,
      isPlatformSender: (sender) => this.platformSenders.has(sender),
      now: this.now,
      isAbsent: (agent) => this.port?.sending.absence?.(agent) !== undefined,
      ...(opts.edgeAdmission ? { edge: opts.edgeAdmission } : {}),
      ...(opts.priorityAgingDispatches !== undefined ? { priorityAgingDispatches: opts.priorityAgingDispatches } : {}),
      ...(opts.mailboxText !== undefined ? { text: opts.mailboxText } : {}),
      ...(opts.nodeText !== undefined ? { nodeText: opts.nodeText } : {}),
    });
  }

  /**
   * Take the node's port and open the log without consuming: sends are accepted (made durable) from
   * now on, nothing is delivered yet. A node opens first, then starts its agents (whose init may
   * send), then start()s.
   */
  async open(port: BusPort): Promise<void> {
    if (this.port === undefined) {
      this.port = port;
      this.loop = new DispatchLoop({
        ...this.opts.dispatch,
        mailboxes: this.mailboxes,
        sender: this,
        port,
        log: this.opts.log,
        ...(this.opts.state ? { state: this.opts.state } : {}),
        events: this.opts.events,
      });
      if (this.frozen) void this.loop.freeze(); // nothing in flight yet: takes effect at once
    }
    this.opening ??= this.opts.log.open();
    await this.opening;
  }

  /** Start consuming (after open): replayed deliveries land in mailboxes first. */
  async start(): Promise<void> {
    if (this.opening === undefined) throw new BusNotOpenError('start');
    await this.opening;
    this.opts.log.consume((batch) => this.enqueue(batch));
  }

  /**
   * Hand out no more work and wait until everything in flight is done, background completions
   * included (shutdown: before the agents and the log go).
   */
  async stopDispatching(): Promise<void> {
    this.loop?.stop();
    await this.loop?.idle();
  }

  /**
   * Resolves once nothing is in flight: every batch handled and its plans applied, effects after
   * the commit point (timers set) included. A moved test clock (`caxton test`'s `advance`) waits
   * for this first; under a steady stream of work it waits for a gap.
   */
  async settled(): Promise<void> {
    await this.loop?.idle();
  }

  async stop(): Promise<void> {
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    await this.opts.log.close();
  }

  /**
   * Kill switch (decision 1403): no batch reaches the sandbox; resolves when none is in flight.
   * Before `open` it is remembered, so a node restarted frozen never hands out a first batch.
   */
  async freezeDispatch(): Promise<void> {
    this.frozen = true;
    // Nothing will finish: the edge keeps accepting up to its floor whatever it adapted to (2103).
    this.mailboxes.edge.freeze(true, this.now());
    await this.loop?.freeze();
  }

  thawDispatch(): void {
    this.frozen = false;
    this.mailboxes.edge.freeze(false, this.now());
    this.loop?.thaw();
  }

  /** An agent may have work (deployed, upgraded, activated here): schedule a pass. */
  wake(agent: string): void {
    this.loop?.wake(agent);
  }

  /** A timer of `agent` fell due: handed to it once its mailbox is empty. */
  fireTimer(agent: string, token: string, timerId?: string, dueAt?: number): void {
    this.loop?.fireTimer(agent, token, timerId, dueAt);
  }

  /** What an agent's `init` produced: applied through the dispatch loop's applier (issue 24). */
  async applyInit(init: ExecutionResult): Promise<void> {
    if (this.loop === undefined) throw new BusNotOpenError('applyInit');
    await this.loop.applyInit(init);
  }

  /** Drop fired timers not handed out yet (the agent stopped or moved; they stay persisted). */
  forgetTimers(agent: string): void {
    this.loop?.forgetTimers(agent);
  }

  /** Is the agent in a batch right now? */
  isBusy(agent: string): boolean {
    return this.loop?.isBusy(agent) ?? false;
  }

  /**
   * Resolves when nothing is in flight: for one agent, when it is handling nothing (upgrade, stop);
   * for the node, also when every background completion was recorded.
   */
  async idle(agent?: string): Promise<void> {
    await this.loop?.idle(agent);
  }

  agentName(id: AgentId | string): string {
    return this.names.localName(id);
  }

  agentId(localName: string): AgentId {
    return { name: `${localName}@${this.opts.platform}` };
  }

  mailboxDepth(agent: string): number {
    return this.mailboxes.depth(agent);
  }

  /** Message text (code units) all the node's mailboxes may hold together (decision 2195). */
  get mailboxTextLimit(): number {
    return this.mailboxes.text.limits.node;
  }

  /** Message text (code units) held or being appended: in `agent`'s mailbox, or in all of the node's (decision 2195). */
  mailboxText(agent?: string): number {
    return agent === undefined ? this.mailboxes.text.units() : this.mailboxes.shares.unitsIn(agent);
  }

  /** Drop an agent's mailbox (its pending deliveries stay in the log until handled or dead-lettered). */
  forget(agent: string): Delivery[] {
    // Its outbox messages still waiting for a send turn start now, before its mailbox is
    // dead-lettered (decision 2099): nothing of the stopped agent is left to be sent later.
    this.loop?.flushSends(agent);
    return this.mailboxes.forget(agent);
  }

  /**
   * Dead-letters a delivery the agent lifecycle took out of a mailbox (a stop's, a kind's): written
   * to the log, then told as a `dead-lettered` event, as the bus's own dead letters are (a rewind's
   * after a stop included): the metric and the agent's log count every dead letter the same way
   * (decision 2070). A letter that could not be written rejects and tells nothing.
   */
  async deadLetter(letter: DeadLetter): Promise<void> {
    await this.opts.log.deadLetter(letter);
    const d = letter.delivery;
    this.opts.events.emit({ type: 'dead-lettered', agent: d.receiver, deliveryId: d.id, reason: letter.reason, attempts: letter.attempts });
  }

  /** The agent's code was replaced (deploy, upgrade, rollback): its circuit breaker starts closed. */
  resetBreaker(agent: string): void {
    this.breakers.reset(agent, this.now());
  }

  /** Agents whose circuit breaker is open or half-open (the metric). */
  breakersOpen(): number {
    let n = 0;
    for (const _ of this.breakers.notClosed()) n += 1;
    return n;
  }

  /** What `caxton agents` shows of an agent's circuit breaker. */
  breakerOf(agent: string): BreakerView {
    return this.breakers.view(agent, this.now());
  }

  /**
   * Dead-letter what waited longer than `ttlMs` for the absent `agent` (decision 1990), with reason
   * `absent-ttl`; the rest keeps its order. A letter that cannot be written goes back to the
   * mailbox (tried again on the next sweep; it stays pending in the log). Returns how many went.
   * `stillHeld` (a cluster): asked before each letter; false puts the rest back untouched.
   */
  async expireAbsent(agent: string, ttlMs: number, since?: number, stillHeld?: () => boolean): Promise<number> {
    this.mailboxes.noteAbsence(agent);
    // Nothing expires while the node is frozen (decision 1403), nor while the agent is handling a
    // batch: a batch's deliveries stay in its queue until handled, and an agent is suspended (or
    // force-stopped) before its batch ends — expiring them would both handle and dead-letter them.
    if (this.frozen || this.isBusy(agent)) return 0;
    // Each waits its TTL from max(accepted, became absent): until the agent has been absent that
    // long nothing of its queue is due, whatever its age (decision 1990).
    const cutoff = this.now() - ttlMs;
    if (since !== undefined && since > cutoff) return 0;
    const reason = `${ABSENT_TTL_REASON}: ${agent} was absent (stopped or suspended) for longer than its absent TTL (${ttlMs} ms) after the message was accepted`;
    return this.deadLetterAbsent(agent, this.mailboxes.expire(agent, cutoff), reason, 'dead-lettered', stillHeld);
  }

  /**
   * An absent queue over its bound (decision 1990, *Cluster*): a send through another cluster node
   * is appended without this node's count, so the holder of the queue dead-letters what came past
   * `limit` — the latest accepted — with reason `absent-queue-full`, and tells each sender. Not
   * while frozen or busy (as expiry). Returns how many went.
   */
  async trimAbsent(agent: string, limit: number, stillHeld?: () => boolean): Promise<number> {
    if (this.frozen || this.isBusy(agent)) return 0;
    const reason = `${ABSENT_QUEUE_FULL_REASON}: ${agent} was absent (stopped or suspended) and already kept as many messages as its absent queue holds (${limit}) when this one reached the node holding it`;
    return this.deadLetterAbsent(agent, this.mailboxes.overflow(agent, limit), reason, 'absent-queue-full', stillHeld, 'end');
  }

  /**
   * Mail accepted for `agent` that may not wait here (decision 2060: deliveries waiting for an
   * activation past their partition's cap): its newest deliveries past the first `keep` are
   * dead-lettered with `reason` and their senders told (`kind`), fenced as an absent queue's trim;
   * the older ones keep their place. Returns how many went.
   */
  async refuseNewest(agent: string, keep: number, reason: string, kind: string): Promise<number> {
    return this.deadLetterAbsent(agent, this.mailboxes.overflow(agent, keep), reason, kind, undefined, 'end');
  }

  /**
   * Dead-letters `taken` (out of `agent`'s absent queue) with `reason`, its senders told. Fenced
   * like a completion (decision 1990, *Cluster*): `stillHeld` false (this node's claim is lapsing)
   * puts it and the rest back, in order, to the front of their senders' queues; a delivery whose
   * partition is no longer this node's (the log's `holds` false, or the log refusing `bus.kafka.not-owner`)
   * is dropped from this mailbox — the next owner hands it out again — and nothing is written for
   * it. A letter that cannot be written for another reason goes back with the rest (pending in the
   * log still; the next sweep tries again). What goes back goes where it was taken from: the
   * oldest (`expire`) at the front of their senders' queues, the newest (`overflow`) at the end.
   */
  private async deadLetterAbsent(
    agent: string,
    taken: Delivery[],
    reason: string,
    kind: string,
    stillHeld?: () => boolean,
    from: 'front' | 'end' = 'front',
  ): Promise<number> {
    const putBack = (rest: Delivery[]): void => {
      if (from === 'front') this.mailboxes.restore(rest);
      else for (const d of rest) this.mailboxes.putBack(d);
    };
    let n = 0;
    for (let i = 0; i < taken.length; i++) {
      const d = taken[i]!;
      if (stillHeld !== undefined && !stillHeld()) {
        putBack(taken.slice(i));
        break;
      }
      if (this.opts.log.holds?.(d) === false) continue; // another node's now: dropped here
      try {
        await this.opts.log.deadLetter({ delivery: d, reason, attempts: 0, at: this.now() });
      } catch (err) {
        if ((err as { code?: string }).code === NOT_OWNER) continue; // as above: refused before it was written
        putBack(taken.slice(i));
        break;
      }
      n += 1;
      this.opts.events.emit({ type: 'dead-lettered', agent, deliveryId: d.id, reason, attempts: 0 });
      // Its sender is told, as for any dead letter: the conversation will get no answer.
      await this.sendPlatformReplies([this.failureFor(d, `message could not be handled: ${reason}`, kind)]);
    }
    return n;
  }

  /**
   * Look again at whether `agent` is absent (decision 1990): outside clients' deliveries waiting
   * for an absent agent do not count against edge admission. The sweeper calls it for every agent.
   */
  noteAbsence(agent: string): void {
    this.mailboxes.noteAbsence(agent);
  }

  /** The ids of `agent`'s deliveries accepted here and not completed: its absent queue's (decision 2157). */
  pendingIds(agent: string): string[] {
    return this.mailboxes.pendingIdsOf(agent);
  }

  /** Deliveries waiting in `agent`'s mailbox (not handed out). */
  queued(agent: string): number {
    return this.mailboxes.queued(agent);
  }

  /** Put back a delivery `forget` returned (e.g. dead-lettering it failed): it waits in its mailbox again. */
  putBack(delivery: Delivery): void {
    this.mailboxes.putBack(delivery);
  }

  /** Put deliveries taken by `forget` back at the front of their mailboxes, in the order given. */
  restore(deliveries: readonly Delivery[]): void {
    this.mailboxes.restore(deliveries);
  }

  /**
   * Send a message. Resolves once the deliveries are durable. An outside sender gets typed errors
   * (unknown receiver, full mailbox); an agent gets `failure` messages back instead, because it
   * cannot catch an exception thrown after its handler returned.
   */
  send(message: AclMessage, origin: Origin, messageId?: string): Promise<SendResult> {
    const port = this.port;
    if (port === undefined) return Promise.reject(new BusNotOpenError('send'));
    // Not an async function: it would adopt `appendRouted`'s promise, two more microtasks per send.
    // Everything it throws before that promise is a rejection, as an async function's would be.
    try {
      const msg = this.prepare(message, origin);
      const id = messageId ?? this.ids.next();
      // A topic is resolved to its subscribers before the protocol gate sees the message (decision
      // 1961): a cfp to `topic:jobs` opens a conversation whose participants are the subscribers it
      // reaches, so their proposals are in sequence; the delivered message keeps the topic address.
      // Resolving is a registry read only: a refusal below still leaves no trace.
      // A topic's receivers come with their local names (the registry's own strings, decision 2098):
      // not rebuilt as `name@platform` and parsed back per subscriber.
      if (msg.receivers.some((r) => r.name.startsWith(TOPIC_PREFIX))) {
        return this.resolveTopics(msg, port).then((resolved) => this.appendRouted(port, this.route(port, msg, origin, id, resolved)));
      }
      return this.appendRouted(port, this.route(port, msg, origin, id, undefined));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * `OutboxSender.sendInOrder` (decision 2118): an agent's send whose whole outcome is its append
   * returns undefined, its deliveries queued in the log's call order (`MessageLog.appendInOrder`)
   * and what `send` does after its append run from the log's callback, which then calls `done`
   * with the append's outcome — no promise, no async resumption per message. Anything else (no
   * such log, a topic to resolve, a refusal with a failure reply owed, a receiver on another
   * platform, nothing to append) is `send`'s promise, as if `send` had been called.
   */
  sendInOrder(
    message: AclMessage,
    origin: Extract<Origin, { agent: string }>,
    messageId: string | undefined,
    done: (error: unknown, agent: string) => void,
  ): Promise<SendResult> | undefined {
    const port = this.port;
    const log = this.opts.log;
    if (port === undefined || log.appendInOrder === undefined) return this.send(message, origin, messageId);
    let routing: Routing;
    try {
      const msg = this.prepare(message, origin);
      // The topic's resolution is awaited: `send`'s path.
      if (msg.receivers.some((r) => r.name.startsWith(TOPIC_PREFIX))) return this.send(message, origin, messageId);
      routing = this.route(port, msg, origin, messageId ?? this.ids.next(), undefined);
    } catch (err) {
      return Promise.reject(err);
    }
    if (
      routing.rejected !== undefined ||
      routing.refused.length > 0 ||
      routing.remote !== undefined ||
      routing.deliveries.length === 0 ||
      routing.shared !== undefined
    ) {
      return this.appendRouted(port, routing);
    }
    try {
      log.appendInOrder(routing.deliveries, (error) => {
        this.appendEnded(routing, error === undefined);
        if (error === undefined) {
          try {
            this.acceptedEnd(routing);
          } catch (err) {
            // A throwing `accepted` listener: the deliveries are durable, the send is done.
            this.opts.events.emit({ type: 'dropped', message: routing.msg, reason: `accepted listener threw: ${(err as Error).message}` });
          }
        }
        done(error, origin.agent);
      });
    } catch (err) {
      // Refused before anything was queued (an invalid delivery, a stopped log).
      this.appendEnded(routing, false);
      return Promise.reject(err);
    }
    return undefined;
  }

  /** `send` from its routing on: the append awaited, then what the send owes after it. */
  private async appendRouted(port: BusPort, r: Routing): Promise<SendResult> {
    const { msg, id, refused } = r;
    if (r.rejected !== undefined) {
      await this.sendPlatformReplies([r.rejected]);
      return { messageId: id, accepted: [], refused };
    }
    let appended = false;
    try {
      if (r.shared !== undefined) await this.takeShared(port, r, r.shared);
      if (r.deliveries.length > 0) await this.opts.log.append(r.deliveries);
      appended = true;
    } finally {
      this.appendEnded(r, appended);
    }
    // Durable before the send counts as done (the MTP outbox, decision 1910): the completion waits for it.
    if (r.remote !== undefined && 'agent' in r.origin)
      await port.sending.transport!.forward({ messageId: id, message: msg, receivers: r.remote, agent: r.origin.agent });
    this.acceptedEnd(r);
    if ('agent' in r.origin && refused.length > 0) await this.sendPlatformReplies(this.refusalReplies(port, r));
    const accepted = receiversOf(r.deliveries);
    return {
      messageId: id,
      accepted: r.duplicates === undefined ? accepted : [...accepted, ...r.duplicates],
      refused: r.passedOver === undefined ? refused : [...refused, ...r.passedOver],
    };
  }

  /**
   * A send's synchronous part: edge admission, the protocol gate, and each receiver routed, checked
   * and given a reserved mailbox slot (and share). An outside sender's refusal throws, leaving no
   * trace; an agent's is listed. A protocol violation by an agent is `rejected` (its reply).
   */
  private route(port: BusPort, msg: AclMessage, origin: Origin, id: string, resolved: ResolvedReceivers | undefined): Routing {
    const fromAgent = 'agent' in origin;
    // Platform messages (failures on an agent's behalf) are not policed: they end conversations.
    const isPlatform = !fromAgent && origin.external.name === this.platformId.name;
    // Outside clients are admitted at the edge first (decision 1810): a refusal must leave no
    // trace — no protocol step observed, no slot reserved, nothing appended.
    // A send admitted ahead of the bus (admitOutside) is held in flight by its ticket already.
    const admittedAhead = 'external' in origin && origin.admitted === true;
    const edge = fromAgent || isPlatform || admittedAhead ? undefined : this.mailboxes.edge;
    const receivers = resolved?.ids ?? msg.receivers;
    // Admitted with the deliveries the send makes, not the names it carries: a topic with N
    // subscribers is N deliveries in flight. A send admitted ahead holds a ticket for its names;
    // the subscribers beyond them must fit as well.
    const beyondTicket = admittedAhead ? receivers.length - msg.receivers.length : 0;
    if (edge !== undefined || beyondTicket > 0) {
      const lane: EdgeLane = 'external' in origin ? (origin.lane ?? 'client') : 'client';
      const admitted = this.mailboxes.edge.admit(lane, edge !== undefined ? receivers.length : beyondTicket, this.now());
      if (!admitted.admitted) throw new BusOverloadedError(admitted, { messageId: id });
    }
    // The lists start empty and shared; `added` sizes them to what they hold (lists.ts, decision 2125).
    const r: Routing = { msg, id, origin, edge, refused: [], deliveries: NO_ITEMS, reservations: NO_ITEMS, reservedShares: NO_ITEMS };
    const refused = r.refused;
    const verdict = isPlatform
      ? undefined
      : port.sending.gate?.observe(receivers === msg.receivers ? msg : { ...msg, receivers }, this.now());
    if (verdict?.kind === 'reject') {
      if (!fromAgent)
        throw new InvalidSendError(
          `${verdict.label ?? 'protocol violation'}: ${verdict.reason}`,
          { messageId: id, conversationId: msg.conversationId },
          ...(verdict.hint !== undefined ? [verdict.hint] : []),
        );
      r.rejected = verdict.reply;
      refused.push({ receiver: '*', reason: verdict.reason });
      return r;
    }
    const senderName = msg.sender?.name ?? '';
    const acceptedAt = this.now();
    // Each delivery holds the message's text until it finishes (decision 2195): measured once per
    // send, and charged to the node once (its deliveries share it), to the sender's class.
    const units = messageTextUnits(msg);
    const textClass: TextClass = fromAgent
      ? 'agent'
      : 'external' in origin && this.platformSenders.has(origin.external.name)
        ? 'platform'
        : 'outside';
    const operatorLane = 'external' in origin && origin.lane === 'operator';
    // A throw past a reservation (a port's answer, the log's completed check) gives back what this
    // send reserved so far: slots, shares and text are held only for deliveries that will append.
    try {
      for (let i = 0; i < receivers.length; i++) {
        const receiver = receivers[i]!;
        if (fromAgent && port.sending.transport?.reaches(receiver) === true) {
          (r.remote ??= []).push(receiver);
          continue;
        }
        const local = resolved === undefined ? this.agentName(receiver) : resolved.names[i]!;
        const resolution = port.resolve(local, msg, id, 'external' in origin && origin.toActivation === true);
        if (typeof resolution !== 'string') {
          // A receiver resolved to an activation (below) gets a delivery or is listed `unreached`.
          if (resolution.kind === 'external') {
            this.opts.events.emit({ type: 'external', messageId: id, to: receiver.name, message: msg });
          } else if (resolution.kind === 'activation-limit') {
            refused.push({ receiver: receiver.name, reason: 'activation-limit' });
            if (r.activationLimit === undefined) {
              r.activationLimit = resolution;
              r.kindCap = port.sending.kindCapReached?.(local);
            }
          } else {
            refused.push({ receiver: receiver.name, reason: 'unknown-receiver' });
            if (resolved === undefined) this.tellUnknown(port, origin, msg.receivers[i]!.name, receiver.name);
          }
          continue;
        }
        const name = resolution;
        // Created if missing: an agent with nothing delivered yet (e.g. idle since a restart) must
        // count reservations too, or a burst of concurrent sends would all pass the capacity check.
        const box = this.mailboxes.of(name);
        if (!box.hasRoom()) {
          refused.push({ receiver: receiver.name, reason: 'mailbox-full' });
          (r.unreached ??= []).push(name);
          continue;
        }
        // An agent takes at most its share of a mailbox, and agents together leave the operator's
        // reserve free (issue 25): one agent's send storm cannot own a neighbour's mailbox. While the
        // receiver is absent (decision 1990) the shares and the reserve are of its absent queue. The
        // same shares bound the text the mailbox and the node's mailboxes hold, for every sender
        // (decision 2195).
        const absent = port.sending.absence?.(name);
        // One handle per (receiver, sender): admitted, reserved and released without looking it up again.
        const share = this.mailboxes.shares.senderSlot(name, senderName);
        const admitted = this.mailboxes.shares.admitSlot(
          share,
          1,
          absent === undefined ? undefined : shareLimits(absent.queue),
          units,
          fromAgent,
        );
        if (admitted !== 'ok') {
          const reason = this.shareRefusal(admitted, absent !== undefined);
          refused.push({ receiver: receiver.name, reason });
          if (admitted === 'mailbox-text' || admitted === 'agents-text') (r.textFull ??= []).push(receiver.name);
          // Its failure (an agent's) or typed error (an outside sender's) says the absent queue's bound.
          if (reason === 'absent-queue-full' && absent !== undefined)
            (r.absentFull ??= []).push(absentFullOf(name, absent.queue, absent.partitionBudget));
          (r.unreached ??= []).push(name);
          continue;
        }
        // A receiver whose deliveries keep failing is refused fast for a cool-down (decision 1921).
        // The platform's own messages (failures it owes a sender) are not: they end conversations.
        if (!isPlatform) {
          const breaker = this.breakers.admit(name, acceptedAt);
          if (!breaker.admitted) {
            refused.push({ receiver: receiver.name, reason: 'circuit-open' });
            (r.circuitOpen ??= []).push({ agent: name, ...breaker });
            (r.unreached ??= []).push(name);
            continue;
          }
        }
        const did = deliveryId(id, name);
        if (this.mailboxes.isPending(did) || this.opts.log.hasCompleted?.(did) === true) {
          // A duplicate: accepted already, by the send this one repeats (a retried idempotent send).
          (r.duplicates ??= []).push(name);
          (r.unreached ??= []).push(name);
          continue;
        }
        // An absent agent (decision 1990) keeps at most its absent queue; the rest is refused, typed
        // (after the duplicate check: a repeat of a message it keeps is that message, not one more).
        if (absent !== undefined && box.occupied >= absent.queue) {
          // Reached through a topic (not named outright) and not routed to a replica unit.
          if (resolved !== undefined && i >= resolved.named && name === local) {
            // A publish is not refused for one absent subscriber (decision 2050): that subscriber
            // misses it — listed in the result, typed, and reported as dropped — and the rest get it.
            (r.passedOver ??= []).push({ receiver: receiver.name, reason: 'absent-queue-full' });
            this.opts.events.emit({
              type: 'dropped',
              message: msg,
              reason: `${name} is absent and its queue is full (${absent.queue} messages): this publish is not queued for it`,
            });
            (r.unreached ??= []).push(name);
            continue;
          }
          refused.push({ receiver: receiver.name, reason: 'absent-queue-full' });
          (r.absentFull ??= []).push(absentFullOf(name, absent.queue, absent.partitionBudget));
          (r.unreached ??= []).push(name);
          continue;
        }
        // The node's mailboxes' text, once per send (decision 2195): checked last, so a charge is
        // always for a delivery made, and given back when the append ends.
        if (r.text === undefined) {
          // An agent's text counts against its share; what the platform sends one agent (its failures,
          // its HTTP answers) against that agent's part of the platform's.
          const agentText = fromAgent
            ? this.mailboxes.text.agentOf(senderName)
            : textClass === 'platform'
              ? this.mailboxes.text.agentOf(NodeText.platformKey(name))
              : undefined;
          const nodeText = this.mailboxes.text.admit(textClass, agentText, units, operatorLane);
          if (nodeText !== 'ok') {
            refused.push({ receiver: receiver.name, reason: NODE_MAILBOXES_FULL });
            r.nodeText = nodeText;
            (r.unreached ??= []).push(name);
            continue;
          }
          r.text = this.mailboxes.text.reserve(textClass, agentText, units);
        }
        box.reserve(1);
        r.reservations = added(r.reservations, box);
        this.mailboxes.shares.reserveSlot(share, senderName, units, fromAgent);
        r.reservedShares = added(r.reservedShares, share);
        r.deliveries = added(r.deliveries, { id: did, messageId: id, receiver: name, message: msg, acceptedAt });
        // Absent somewhere in the cluster: its place in the shared count is taken before the append (decision 2157).
        if (port.sending.sharedAbsent?.counts(name) === true)
          (r.shared ??= []).push({
            delivery: r.deliveries.length - 1,
            receiver: receiver.name,
            viaTopic: resolved !== undefined && i >= resolved.named && name === local,
          });
      }
    } catch (err) {
      this.unroute(port, r, false);
      this.releaseReserved(r);
      throw err;
    }

    if (refusedOutright(r)) {
      this.unroute(port, r, false);
      throw this.refusalOf(r);
    }
    edge?.appendStarted(r.deliveries.length);
    return r;
  }

  /** The refusal reason of a share verdict (decision 2195 adds the text's). */
  private shareRefusal(verdict: Exclude<ShareVerdict, 'ok'>, absent: boolean): string {
    if (verdict === 'sender-share' || verdict === 'sender-text') return 'mailbox-share';
    return absent && verdict === 'agents-full' ? 'absent-queue-full' : 'mailbox-full';
  }

  /** The typed error an outside sender gets for a send refused outright (`refusedOutright`): its first receiver's refusal. */
  private refusalOf(r: Routing): Error {
    const { id, msg } = r;
    const first = r.refused[0]!;
    if (first.reason === 'mailbox-full') {
      const text = r.textFull?.includes(first.receiver) === true ? this.mailboxes.shares.text.mailbox : undefined;
      return new MailboxFullError(first.receiver, this.opts.mailboxCapacity, { messageId: id }, text);
    }
    if (first.reason === NODE_MAILBOXES_FULL) {
      const limits = this.mailboxes.text.limits;
      const part = r.nodeText === 'outside-part' ? limits.outside : r.nodeText === 'platform-part' ? limits.platform : limits.node;
      return new NodeMailboxesFullError(part, { messageId: id }, r.nodeText === 'outside-part' ? 'outside clients together' : undefined);
    }
    if (first.reason === 'circuit-open') return new CircuitOpenError(r.circuitOpen![0]!, { messageId: id });
    if (first.reason === 'absent-queue-full')
      return new AbsentQueueFullError(
        r.absentFull![0]!.agent,
        r.absentFull![0]!.limit,
        { messageId: id },
        r.absentFull![0]!.partitionBudget,
      );
    if (first.reason === 'activation-limit') {
      const { limit, retryAfterMs } = r.activationLimit!;
      return new ActivationLimitError({ agent: first.receiver, limit, retryAfterMs, kindCap: r.kindCap }, { messageId: id });
    }
    return new UnknownReceiverError(first.receiver, { messageId: id, conversationId: msg.conversationId });
  }

  /**
   * Cluster (decision 2157): the deliveries to agents absent somewhere take their places in the
   * shared count, before the append. One refused leaves the send as the claim holder's own check
   * would have refused it: listed `absent-queue-full` (an agent is sent a failure), passed over
   * when a topic reached it, and what routing reserved for it given back; an outside sender left
   * with nothing to append is refused typed, as in `route`. A rejection of `take` fails the send.
   */
  private async takeShared(port: BusPort, r: Routing, shared: NonNullable<Routing['shared']>): Promise<void> {
    const refusals = await port.sending.sharedAbsent!.take(shared.map((s) => r.deliveries[s.delivery]!));
    if (refusals.size === 0) return;
    const gone = new Set<number>();
    for (const s of shared) {
      const d = r.deliveries[s.delivery]!;
      const bound = refusals.get(d.id);
      if (bound === undefined) continue;
      gone.add(s.delivery);
      (r.unreached ??= []).push(d.receiver);
      if (s.viaTopic) {
        // As in `route`: a publish is not refused for one absent subscriber (decision 2050).
        (r.passedOver ??= []).push({ receiver: s.receiver, reason: 'absent-queue-full' });
        this.opts.events.emit({
          type: 'dropped',
          message: r.msg,
          reason: `${d.receiver} is absent and its queue is full (${bound.limit} messages): this publish is not queued for it`,
        });
        continue;
      }
      r.refused.push({ receiver: s.receiver, reason: 'absent-queue-full' });
      (r.absentFull ??= []).push(absentFullOf(d.receiver, bound.limit, bound.partitionBudget));
    }
    const deliveries: Delivery[] = [];
    const reservations: Mailbox[] = [];
    const kept: SenderShare[] = [];
    for (let i = 0; i < r.deliveries.length; i++) {
      if (!gone.has(i)) {
        deliveries.push(r.deliveries[i]!);
        reservations.push(r.reservations[i]!);
        kept.push(r.reservedShares[i]!);
        continue;
      }
      r.reservations[i]!.release(1);
      this.mailboxes.shares.releaseSlot(r.reservedShares[i]!);
    }
    r.edge?.appendEnded(gone.size);
    r.deliveries = deliveries;
    r.reservations = reservations;
    r.reservedShares = kept;
    if (refusedOutright(r)) throw this.refusalOf(r);
  }

  /** Receivers routed as agents that end with nothing appended give back what routing reserved. */
  private unroute(port: BusPort, r: Routing, appended: boolean): void {
    if (port.sending.unrouted === undefined) return;
    // Every delivery is to a receiver routed as an agent: none was appended, each gives back.
    if (!appended) for (const d of r.deliveries) port.sending.unrouted(d.receiver);
    const unreached = r.unreached;
    if (unreached === undefined) return;
    const kept = appended ? r.deliveries : NO_ITEMS;
    // A name also given a delivery (named twice) keeps what routing reserved while that is kept.
    // Usually a pass over the two short lists, no Set.
    if (kept.length <= 8) {
      for (const name of unreached) if (!kept.some((d) => d.receiver === name)) port.sending.unrouted(name);
      return;
    }
    const names = new Set(kept.map((d) => d.receiver));
    for (const name of unreached) if (!names.has(name)) port.sending.unrouted(name);
  }

  /** The append ended (durable or not): what routing reserved is given back. */
  private appendEnded(r: Routing, appended: boolean): void {
    const port = this.port;
    if (port !== undefined) this.unroute(port, r, appended);
    r.edge?.appendEnded(r.deliveries.length);
    this.releaseReserved(r);
  }

  /** What routing reserved for a send: each delivery's mailbox slot, share and text, and the node's text once. */
  private releaseReserved(r: Routing): void {
    // Indexed loops: this runs for every message sent, and its iterators showed in allocation profiles.
    const boxes = r.reservations;
    for (let i = 0; i < boxes.length; i++) boxes[i]!.release(1);
    const shares = r.reservedShares;
    for (let i = 0; i < shares.length; i++) this.mailboxes.shares.releaseSlot(shares[i]!);
    if (r.text !== undefined) this.mailboxes.text.release(r.text);
  }

  /** The deliveries are durable (and forwarded): `accepted` is told; the receivers that got one. */
  private acceptedEnd(r: Routing): void {
    if (this.opts.events.wants('accepted'))
      this.opts.events.emit({
        type: 'accepted',
        messageId: r.id,
        message: r.msg,
        receivers: receiversOf(r.deliveries),
        refused: r.refused,
      });
    this.scheduleDeadlines();
  }

  /** The failures an agent is sent for the receivers its send was refused: one per reason. */
  private refusalReplies(_port: BusPort, r: Routing): AclMessage[] {
    const { msg, refused, circuitOpen, absentFull } = r;
    const replies: AclMessage[] = [];
    // One failure per reason, to the sender alone, however many receivers were refused.
    const unknown = refused.filter((x) => x.reason === 'unknown-receiver').map((x) => x.receiver);
    const full = refused.filter((x) => x.reason === 'mailbox-full').map((x) => x.receiver);
    const share = refused.filter((x) => x.reason === 'mailbox-share').map((x) => x.receiver);
    const activation = refused.filter((x) => x.reason === 'activation-limit').map((x) => x.receiver);
    if (activation.length > 0) {
      const why = `${receiverList(activation)} cannot be activated now (the shard holds all the instances it may); retry after ${r.activationLimit!.retryAfterMs} ms`;
      replies.push(failureReply(msg, this.platformId, why, 'activation-limit'));
    }
    if (share.length > 0) {
      const text = this.mailboxes.shares.text;
      const why = `this agent already holds its share (${this.mailboxes.shares.limits.perSender} messages) of the mailbox of ${receiverList(share)}, or of its text (${text.perSender} code units); retry once the receiver has handled some`;
      replies.push(failureReply(msg, this.platformId, why, 'mailbox-share'));
    }
    const nodeFull = refused.filter((x) => x.reason === NODE_MAILBOXES_FULL).map((x) => x.receiver);
    if (nodeFull.length > 0) {
      const limits = this.mailboxes.text.limits;
      const held =
        r.nodeText === 'agent-share'
          ? `this agent already holds its share of the message text this node's mailboxes may hold (${limits.perAgent} code units)`
          : r.nodeText === 'agents-part'
            ? `agents together hold their part of the message text this node's mailboxes may hold (${limits.agents} code units)`
            : nodeMailboxesFullReason(limits.node);
      const why = `${held}; not sent to ${receiverList(nodeFull)}, retry once receivers have handled some`;
      replies.push(failureReply(msg, this.platformId, why, NODE_MAILBOXES_FULL));
    }
    if (circuitOpen !== undefined) {
      const retry = Math.max(...circuitOpen.map((c) => c.retryAfterMs));
      const why = `deliveries to ${receiverList(circuitOpen.map((c) => c.agent))} keep failing, so the node refuses new messages to ${circuitOpen.length === 1 ? 'it' : 'them'} for now; retry after ${retry} ms`;
      replies.push(failureReply(msg, this.platformId, why, 'circuit-open'));
    }
    if (absentFull !== undefined) {
      const why = `${receiverList(absentFull.map((a) => a.agent))} ${absentFull.length === 1 ? 'is' : 'are'} absent (stopped or suspended) and already ${absentFull.length === 1 ? 'has' : 'have'} as many messages waiting as ${absentFull.length === 1 ? 'it keeps' : 'they keep'}; retry once ${absentFull.length === 1 ? 'it is' : 'they are'} back`;
      replies.push(failureReply(msg, this.platformId, why, 'absent-queue-full'));
    }
    // An agent answering one of the platform's own messages (an echo answering a failure) is not
    // told that `ams@<platform>` is no agent: that failure would be answered again, for ever.
    const unknownAgents = unknown.filter((name) => name !== this.platformId.name);
    if (unknownAgents.length < unknown.length)
      this.opts.events.emit({ type: 'dropped', message: msg, reason: `${this.platformId.name} takes no messages` });
    if (unknownAgents.length > 0)
      replies.push(failureReply(msg, this.platformId, `no agent named ${receiverList(unknownAgents)}`, 'unknown-receiver'));
    if (full.length > 0) {
      const why =
        full.length === 1
          ? `mailbox of ${full[0]} is full (of messages or of their text); retry later`
          : `mailboxes of ${receiverList(full)} are full (of messages or of their text); retry later`;
      replies.push(failureReply(msg, this.platformId, why, 'mailbox-full'));
    }
    return replies;
  }

  /**
   * An agent's receiver refused as unknown is told to its shard (decision 2123), `written` as the
   * agent wrote it (not through a topic: the caller checks), with the routing epoch read now: the
   * epoch is bumped only on this thread, so it is the one the receiver was just routed in. The
   * platform's own name is not refused to the agent (`send` drops that failure): not told either.
   */
  private tellUnknown(port: BusPort, origin: Origin, written: string, qualified: string): void {
    const sink = port.sending.unknownReceivers;
    if (sink === undefined || !('agent' in origin) || qualified === this.platformId.name) return;
    sink.refused(origin.agent, written, sink.epoch());
  }

  /**
   * Edge admission at the node's very edge (decision 1810), for a send that does work before it
   * reaches the bus (the audit trail's intent): refused `bus.overloaded` at once, cheaply, or
   * admitted with a ticket that holds its place until the send releases it. The send then passes
   * `{ external, admitted: true }` and is not admitted twice.
   */
  admitOutside(lane: EdgeLane, receivers: number): EdgeTicket {
    const { verdict, ticket } = this.mailboxes.edge.acquire(lane, receivers, this.now(), this.now);
    if (ticket === undefined) throw new BusOverloadedError(verdict as Extract<typeof verdict, { admitted: false }>);
    return ticket;
  }

  /**
   * Messages the platform sends (failures, not-understood, deadline failures). `messageIds` (same
   * index as `replies`), where given, are stable ids: a reply sent again under the same id (its
   * cause handled again) is accepted once (the log's dedup by delivery id). With `throwIfNotDurable`,
   * a reply the log could not take (not a refusal: the append failed) rejects instead of being
   * dropped, so a caller whose work is done only once its reply is durable can run it again.
   */
  async sendPlatformReplies(
    replies: AclMessage[],
    messageIds?: readonly (string | undefined)[],
    opts: { throwIfNotDurable?: boolean } = {},
  ): Promise<void> {
    for (const [i, reply] of replies.entries()) {
      if (reply.receivers.length === 0) continue;
      // A failure owed to an agent whose mailbox is full is dropped before any of the send's work
      // (decision 2071): a send flood to unknown receivers is refused once per send, and each
      // refusal's failure to the flooding agent, whose own mailbox these failures filled, would
      // otherwise be validated, given an id and refused by constructing and throwing an error — the
      // largest share of what the flood cost the bus thread.
      const full = this.fullAgentReceiver(reply);
      if (full !== undefined) {
        if (this.opts.events.wants('dropped'))
          this.opts.events.emit({ type: 'dropped', message: reply, reason: mailboxFullReason(full, this.opts.mailboxCapacity) });
        continue;
      }
      // A platform message to an unknown or full receiver is dropped with an event: replying to a
      // failure with another failure would loop.
      await this.send(reply, { external: this.platformId }, messageIds?.[i]).catch((err: unknown) => {
        if (opts.throwIfNotDurable === true && !isSendRefusal(err)) throw err;
        this.opts.events.emit({ type: 'dropped', message: reply, reason: String((err as Error).message) });
      });
    }
  }

  /**
   * The one receiver of a platform message when it is a local agent whose mailbox has no room: the
   * send would refuse it `bus.mailbox-full` (platform messages take no share and skip the breaker),
   * so the caller can drop it without doing the send. Asked without side effects (`isAgent`, not
   * `route`, which may activate an instance); undefined when that cannot be told cheaply.
   */
  private fullAgentReceiver(reply: AclMessage): string | undefined {
    if (reply.receivers.length !== 1) return undefined;
    const port = this.port;
    if (port?.isAgent === undefined) return undefined;
    const receiver = this.qualify(reply.receivers[0]!).name;
    const name = this.agentName(receiver);
    if (!port.isAgent(name) || this.mailboxes.of(name).hasRoom()) return undefined;
    return receiver;
  }

  /** Build the failure the platform sends when handling `delivery` failed for good. */
  failureFor(delivery: Delivery, reason: string, kind: string): AclMessage {
    return failureReply(delivery.message, this.platformId, reason, kind);
  }

  /** The failure an agent gets when the bus refused a message from its outbox. */
  refusalFor(agent: string, message: AclMessage, reason: string): AclMessage {
    return failureReply({ ...message, sender: { name: agent } }, this.platformId, reason, 'refused');
  }

  notUnderstoodFor(delivery: Delivery, reason: string): AclMessage {
    return notUnderstoodReply(delivery.message, this.platformId, reason);
  }

  private enqueue(batch: readonly Delivery[]): void {
    for (const agent of this.mailboxes.accept(batch)) {
      this.port!.mailArrived(agent);
      this.loop!.wake(agent);
    }
  }

  /** `echo` → `echo@<platform>` (agent-names.ts): one spelling per agent; topics and other platforms' names as they are. */
  qualify(id: AgentId): AgentId {
    return this.names.qualify(id);
  }

  /**
   * The receivers a send reaches (decision 1960): each `topic:<name>` is replaced by the agents
   * subscribed to it now whose filter the message passes (each filter evaluated once), the rest are
   * kept; every agent once, however many of its topics or names the message carries, so the send
   * stays one multi-receiver append with one delivery per agent (decision 1202). `names[i]` is
   * `ids[i]`'s local name (for a subscriber, the registry's own string: no per-subscriber parse,
   * and a string whose hash the maps keyed by agent already know, decision 2098); the first `named`
   * are the receivers named outright, the rest were reached through a topic.
   */
  private async resolveTopics(msg: AclMessage, port: BusPort): Promise<ResolvedReceivers> {
    const ids: AgentId[] = [];
    const names: string[] = [];
    const seen = new Set<string>();
    // A message never comes back to its sender (or its reply-to) through a topic it subscribes
    // to: with the initiator among the receivers the protocol gate would let the conversation
    // pass unpoliced, and every answer to it would then be refused as out of sequence.
    const initiatorSide = new Set<string>();
    if (msg.sender !== undefined) initiatorSide.add(this.agentName(msg.sender));
    for (const r of msg.replyTo ?? []) initiatorSide.add(this.agentName(r));
    const topics: string[] = [];
    for (const receiver of msg.receivers) {
      const topic = topicOfReceiver(receiver.name);
      if (topic === undefined) {
        const name = this.agentName(receiver);
        if (seen.has(name)) continue;
        seen.add(name);
        ids.push(receiver);
        names.push(name);
      } else if (!topics.includes(topic)) topics.push(topic);
    }
    const named = ids.length;
    for (const topic of topics) {
      for (const sub of (await port.sending.subscriptions?.(topic)) ?? []) {
        const name = sub.agent;
        if (seen.has(name) || initiatorSide.has(name) || !matchesTopicFilter(sub.filter, msg)) continue;
        seen.add(name);
        ids.push(this.agentId(name));
        names.push(name);
      }
    }
    if (ids.length === named || port.sending.gate?.nonParticipants === undefined) return { ids, names, named };
    // A follow-up sent to the topic goes to the conversation's participants among the
    // subscribers: one who subscribed since the conversation opened is left out, rather than the
    // whole follow-up being refused (a receiver named outright is still judged by the gate).
    const strangers = new Set(port.sending.gate.nonParticipants({ ...msg, receivers: ids }));
    if (strangers.size === 0) return { ids, names, named };
    const keptIds: AgentId[] = [];
    const keptNames: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      if (i >= named && strangers.has(ids[i]!.name)) continue;
      keptIds.push(ids[i]!);
      keptNames.push(names[i]!);
    }
    return { ids: keptIds, names: keptNames, named };
  }

  private prepare(message: AclMessage, origin: Origin): AclMessage {
    // One copy per message, no temporary objects spread into it (this runs for every message sent).
    const stamped: AclMessage = {
      ...message,
      sender: 'agent' in origin ? this.names.qualifiedId(replicaOwner(origin.agent)) : this.qualify(origin.external),
      receivers: qualifyAll(message.receivers, this),
    };
    if (message.replyTo) stamped.replyTo = qualifyAll(message.replyTo, this);
    if ('agent' in origin && origin.checked === true) {
      // Qualifying names adds `@<platform>`: only those fields can have changed since the check.
      validateAclMessage({
        performative: stamped.performative,
        sender: stamped.sender,
        receivers: stamped.receivers,
        replyTo: stamped.replyTo,
      });
    } else {
      validateAclMessage(stamped);
    }
    const msg = stamped;
    for (const receiver of msg.receivers) {
      try {
        topicOfReceiver(receiver.name, 'receivers');
      } catch (err) {
        throw err instanceof CaxtonError ? new InvalidTopicAddressError(err, { agent: 'agent' in origin ? origin.agent : undefined }) : err;
      }
    }
    if (msg.receivers.length === 0)
      throw new InvalidSendError('message has no receivers', { agent: 'agent' in origin ? origin.agent : undefined });
    return msg;
  }

  /**
   * The injected clock (`busClock`) jumped forward (`caxton test`'s `advance`): the protocol
   * deadlines it passed expire now, not at their timer's next real-time wake, and the messages they
   * ask for (failure to the initiator, the call closed) are injected before this resolves.
   */
  async clockMoved(): Promise<void> {
    const gate = this.port?.sending.gate;
    if (gate === undefined) return;
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    try {
      await this.sendPlatformReplies(gate.expire(this.now()));
    } finally {
      this.scheduleDeadlines();
    }
  }

  /** The earliest pending protocol deadline (reply-by, idle timeout) on the bus's clock, if any. */
  nextDeadline(): number | undefined {
    return this.port?.sending.gate?.nextDeadline();
  }

  /**
   * One timer for the earliest protocol deadline; expiry injects the messages the protocols ask for.
   * Runs after every send, so the timer is only replaced when the earliest deadline moved earlier
   * (replacing it on every message cost a clearTimeout + setTimeout per message whenever any
   * deadline was pending). A timer that fires for a deadline that went away just re-arms.
   */
  private scheduleDeadlines(): void {
    const gate = this.port?.sending.gate;
    if (gate === undefined) return;
    const next = gate.nextDeadline();
    if (next === undefined) return;
    if (this.deadlineTimer !== undefined) {
      if (next >= this.deadlineAt) return;
      clearTimeout(this.deadlineTimer);
    }
    this.deadlineAt = next;
    this.deadlineTimer = setTimeout(
      () => {
        this.deadlineTimer = undefined;
        const due = gate.expire(this.now());
        void this.sendPlatformReplies(due).finally(() => this.scheduleDeadlines());
      },
      Math.max(0, next - this.now()),
    );
    this.deadlineTimer.unref();
  }
}

/** A send routed (`Bus.route`): what it appends, what it reserved, and what it owes its sender after. */
/** An absent receiver refused for its bound: the bound its refusal names. */
interface AbsentFull {
  agent: string;
  limit: number;
  partitionBudget?: number;
}

interface Routing {
  msg: AclMessage;
  id: string;
  origin: Origin;
  /** Edge admission, for an outside client's send (released when the append ends). */
  edge: EdgeAdmission | undefined;
  /** An agent's send the protocol gate rejected: the failure it is sent instead. */
  rejected?: AclMessage;
  refused: { receiver: string; reason: string }[];
  /** Made by `added` (shared and empty until the first). */
  deliveries: readonly Delivery[];
  /** The mailbox each delivery reserved a slot of (same index as `deliveries`). */
  reservations: readonly Mailbox[];
  /** The share (slot and text) each delivery reserved (same index as `deliveries`). */
  reservedShares: readonly SenderShare[];
  /** Receivers refused `mailbox-full` for their mailbox's text, not its count (decision 2195). */
  textFull?: string[];
  /** The send's message's text reserved on the node, once (decision 2195); or why it was refused. */
  text?: TextCharge;
  nodeText?: Exclude<NodeTextVerdict, 'ok'>;
  /**
   * Receivers routed as agents that got no delivery (refused after routing, duplicates); with the
   * deliveries' receivers, every receiver routed as an agent: those that end with nothing appended
   * give back what routing reserved.
   */
  unreached?: string[];
  duplicates?: string[];
  absentFull?: AbsentFull[];
  passedOver?: { receiver: string; reason: string }[];
  circuitOpen?: { agent: string; state: 'open' | 'half-open'; retryAfterMs: number; failures: number }[];
  /** The port's answer for a receiver refused `activation-limit` (its limit and retry-after). */
  activationLimit?: Extract<NoActivation, { kind: 'activation-limit' }>;
  /** The first such receiver's kind's own cap, when that (not its shard) is what is full. */
  kindCap?: number | undefined;
  /** Agents of other platforms, forwarded once the local deliveries are durable (decision 1910). */
  remote?: AgentId[];
  /**
   * Deliveries (by index) to agents absent somewhere in the cluster, whose places in the shared
   * count are taken before the append (decision 2157); the receiver as the send named it, and
   * whether a topic reached it.
   */
  shared?: { delivery: number; receiver: string; viaTopic: boolean }[];
}

/** An absent receiver's bound as its refusal names it (an agent's failure, an outside sender's typed error). */
function absentFullOf(agent: string, limit: number, partitionBudget: number | undefined): AbsentFull {
  return partitionBudget !== undefined ? { agent, limit, partitionBudget } : { agent, limit };
}

/** An outside sender's send that has nothing left to append and no duplicate to answer for: refused, typed. */
function refusedOutright(r: Routing): boolean {
  return r.refused.length > 0 && !('agent' in r.origin) && r.deliveries.length === 0 && r.duplicates === undefined;
}

/** A send's receivers after its topics were resolved, with their local names (same order). */
interface ResolvedReceivers {
  ids: AgentId[];
  names: string[];
  /** How many of them, from the first, were named outright (the rest were reached through a topic). */
  named: number;
}

function receiversOf(deliveries: readonly Delivery[]): string[] {
  const names = new Array<string>(deliveries.length);
  for (let i = 0; i < deliveries.length; i++) names[i] = deliveries[i]!.receiver;
  return names;
}

function qualifyAll(ids: readonly AgentId[], bus: Bus): AgentId[] {
  const out = new Array<AgentId>(ids.length);
  for (let i = 0; i < ids.length; i++) out[i] = bus.qualify(ids[i]!);
  return out;
}
