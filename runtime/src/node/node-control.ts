/**
 * The node's side of the management API: NodeControl implemented over the agent manager, the bus,
 * the registry and the logs. Validation of wire input happened in the API layer; here requests
 * meet the node's state.
 */
import type { FreezeResult, FreezeScope } from '@caxton/core';
import { AgentSuspendedError, FrozenError, parseInstanceName } from '@caxton/core';
import type { KillSwitch } from './kill-switch/kill-switch.js';
import { ForbiddenSenderError, senderRefusal } from './sender-policy.js';
import { IdempotentSends, type IdempotentSendsOptions } from './idempotent-sends.js';
import { RESERVED_AGENT_NAMES } from './lifecycle/index.js';
import type {
  AclMessage,
  AgentStatus,
  ConversationCostsQuery,
  ConversationCostsView,
  ConversationReplay,
  DeploySpec,
  EdgeTicket,
  LogEntry,
  LogQuery,
  MessageEvent,
  NodeControl,
  NodeHealth,
  SendOptions,
  NodeStatus,
  SendResult,
  Sink,
  TailFilter,
  Unsubscribe,
  UpgradeResult,
  UpgradeSpec,
  VerifiedArtifact,
  DfAgentDescription,
  DfSearchTemplate,
  TopicSubscription,
} from '@caxton/core';
import { NotFoundError, UnavailableError } from '@caxton/core';
import type { AgentStateStore, DirectoryStore } from '../storage/ports.js';
import type { StateEntry, StateImport, StateImportResult, StateListQuery, StatePage } from '@caxton/core';
import { NodeStateControl } from './state-control.js';
import { DeadLetterOperations } from './dead-letter-operations.js';
import type { DeadLetterQuery, DeadLetterSelection, DeadLetterView, PurgeResult, RedriveRequest, RedriveResult } from '@caxton/core';
import type { MessageLog } from '../log/message-log.js';
import type { Bus } from '../bus/bus.js';
import { startSendSpan, endSpan, injectMessageContext, sendIsTraced } from '../telemetry/trace-context.js';
import type { AgentLifecycle } from './lifecycle/index.js';
import type { AgentLogs } from './agent-logs.js';
import type { TailHub } from './tail-hub.js';
import type { ExternalIdentities } from './external-identities.js';

export interface NodeControlDeps {
  nodeId: string;
  /** The platform name, shown in the node's status. */
  platform: string;
  version: string;
  startedAt: number;
  agents: AgentLifecycle;
  bus: Bus;
  directory: DirectoryStore;
  /** Topic subscriptions (decision 1960). */
  topics: { list(topic?: string): Promise<TopicSubscription[]> };
  logs: AgentLogs;
  tail: TailHub;
  externals: ExternalIdentities;
  status: () => Promise<Pick<NodeStatus, 'nodes' | 'storage' | 'replay'>>;
  isStopping: () => boolean;
  /** Why the message log stopped for good, if it did. */
  logStoppedBy: () => Error | undefined;
  /** Whether the node can take work (node-health.ts: phase, message log, cluster membership). */
  health: () => NodeHealth;
  /** Agents' durable state (decision 1600). */
  state: AgentStateStore;
  /** The bus's message log, for its dead letters (decision 1860). */
  log: MessageLog;
  /** Freeze/thaw, suspend/resume (decision 1403). */
  killSwitch: KillSwitch;
  /** How long and how many idempotency keys of sends are remembered (decision 1700); defaults otherwise. */
  idempotency?: IdempotentSendsOptions;
  /** Is this a configured FIPA MTP peer platform (decision 1910)? Its agents are sent as only through the ACC. */
  isPeerPlatform?: (platform: string) => boolean;
}

export class LocalNodeControl implements NodeControl {
  private readonly stateControl: NodeStateControl;
  private readonly deadLetterOps: DeadLetterOperations;

  /** Recent idempotency keys of sends (decision 1700). */
  private readonly idempotentSends: IdempotentSends;

  constructor(private readonly d: NodeControlDeps) {
    this.idempotentSends = new IdempotentSends(d.idempotency);
    this.deadLetterOps = new DeadLetterOperations({
      log: d.log,
      agentName: (name) => d.bus.agentName(name),
      // As its original sender (replies go where they went the first time), on the operator's lane.
      send: (message, messageId) =>
        this.sendNow({ ...message, sender: message.sender ?? { name: d.externals.operator } }, 'operator', false, messageId),
    });
    this.stateControl = new NodeStateControl({
      state: d.state,
      changeState: (agent, commit) => d.agents.changeState(agent, commit),
      live: () => this.live(),
    });
  }

  getState(agent: string, key: string): Promise<string | undefined> {
    return this.stateControl.getState(agent, key);
  }

  listState(agent: string, query: StateListQuery): Promise<StatePage> {
    return this.stateControl.listState(agent, query);
  }

  exportState(agent: string, sink: Sink<StateEntry>): Unsubscribe {
    return this.stateControl.exportState(agent, sink);
  }

  listDeadLetters(query: DeadLetterQuery): Promise<DeadLetterView[]> {
    return this.deadLetterOps.listDeadLetters(query);
  }

  getDeadLetter(id: string): Promise<DeadLetterView> {
    return this.deadLetterOps.getDeadLetter(id);
  }

  redriveDeadLetters(request: RedriveRequest): Promise<RedriveResult> {
    this.live();
    return this.deadLetterOps.redriveDeadLetters(request);
  }

  purgeDeadLetters(select: DeadLetterSelection): Promise<PurgeResult> {
    this.live();
    return this.deadLetterOps.purgeDeadLetters(select);
  }

  importState(spec: StateImport): Promise<StateImportResult> {
    // An import restarts the agent's view (for some hosts, its instance: init runs).
    this.notFrozen('import state');
    if (this.d.killSwitch.isSuspended(spec.agent)) throw new AgentSuspendedError(spec.agent, 'import the state of');
    return this.stateControl.importState(spec);
  }

  async freeze(scope: FreezeScope): Promise<FreezeResult> {
    this.live();
    return this.d.killSwitch.freeze(scope);
  }

  async thaw(scope: FreezeScope): Promise<FreezeResult> {
    this.live();
    return this.d.killSwitch.thaw(scope);
  }

  async suspend(name: string): Promise<AgentStatus> {
    this.live();
    this.requireAgent(name);
    await this.d.killSwitch.suspend(name);
    return this.agentStatus(name);
  }

  async resume(name: string): Promise<AgentStatus> {
    this.live();
    this.requireAgent(name);
    await this.d.killSwitch.resume(name);
    return this.agentStatus(name);
  }

  async scale(name: string, replicas: number): Promise<AgentStatus> {
    this.live();
    // A new replica runs its init (agent code): not while held. Draining runs none, so a scale-down may.
    if (replicas > (await this.d.agents.replicaBaseline(name))) {
      this.notFrozen(`scale ${name} up`);
      if (this.d.killSwitch.isSuspended(name)) throw new AgentSuspendedError(name, 'scale up');
    }
    return this.shown(await this.d.agents.scale(name, replicas));
  }

  private requireAgent(name: string): void {
    if (!this.d.agents.has(name)) throw new NotFoundError('agent', name);
  }

  private async agentStatus(name: string): Promise<AgentStatus> {
    const status = await this.getAgent(name);
    if (!status) throw new NotFoundError('agent', name);
    return status;
  }

  /** Nothing that runs agent code (deploy, upgrade, an import) is accepted while frozen. */
  private notFrozen(action: string): void {
    const scope = this.d.killSwitch.frozenScope();
    if (scope !== undefined) throw new FrozenError(action, scope);
  }

  /** A suspended agent shows as `suspended` wherever it runs, unless it is failing or leaving. */
  private shown(status: AgentStatus): AgentStatus {
    const held =
      this.d.killSwitch.isSuspended(status.name) &&
      (status.state === 'running' || status.state === 'starting' || status.state === 'restarting');
    return held ? { ...status, state: 'suspended' } : status;
  }

  private live(): void {
    if (this.d.isStopping())
      throw new UnavailableError('the node is shutting down', { hint: 'retry against another node, or after it restarts' });
    const stopped = this.d.logStoppedBy();
    if (stopped) {
      throw new UnavailableError(`this node's message log has stopped, so it accepts no work: ${stopped.message.slice(0, 300)}`, {
        hint: 'free the disk or fix the I/O error, then restart the node (it recovers what was durable); other nodes of a cluster keep serving',
      });
    }
  }

  health(): NodeHealth {
    return this.d.health();
  }

  async deploy(spec: DeploySpec, artifact: VerifiedArtifact): Promise<AgentStatus> {
    this.live();
    this.notFrozen(`deploy ${spec.name}`);
    return this.d.agents.deploy(spec, artifact);
  }

  async upgrade(spec: UpgradeSpec, artifact: VerifiedArtifact): Promise<UpgradeResult> {
    this.live();
    this.notFrozen(`upgrade ${spec.name}`);
    if (this.d.killSwitch.isSuspended(spec.name)) throw new AgentSuspendedError(spec.name, 'upgrade');
    return this.d.agents.upgrade(spec, artifact);
  }

  async replayConversation(agent: string, conversationId: string): Promise<ConversationReplay> {
    this.live();
    // It runs the agent's code (offline, in a sandbox of its own): a frozen node runs none.
    this.notFrozen(`replay ${agent}`);
    return this.d.agents.traceConversation(agent, conversationId);
  }

  async rollback(name: string): Promise<UpgradeResult> {
    this.live();
    // Aborting a rollout runs no agent code: the emergency brake does not hold it (decision 1871).
    // It may run here or, in a cluster, be recorded for another node (decision 2171).
    const aborted = await this.d.agents.abortRollout(name);
    if (aborted !== undefined) return aborted;
    this.notFrozen(`roll back ${name}`);
    if (this.d.killSwitch.isSuspended(name)) throw new AgentSuspendedError(name, 'roll back');
    return this.d.agents.rollback(name);
  }

  async stop(name: string, options: { force: boolean; keepQueue?: boolean }): Promise<AgentStatus> {
    this.live();
    const stopped = await this.d.agents.stop(name, options.force, options.keepQueue === true);
    await this.d.killSwitch.forget(name); // a later deploy of the name starts unsuspended
    return stopped;
  }

  async listAgents(): Promise<AgentStatus[]> {
    return (await this.d.agents.list()).map((a) => this.shown(a));
  }

  async conversationCosts(query: ConversationCostsQuery): Promise<ConversationCostsView> {
    const ledger = this.d.agents.conversationCosts;
    const at = Date.now();
    if (query.conversationId === undefined) return ledger.read(query, at);
    // One conversation: its row alone, beside the same sums.
    const view = ledger.read({ limit: 0 }, at);
    const one = ledger.get(query.conversationId);
    return { ...view, conversations: one === undefined ? [] : [one] };
  }

  async getAgent(name: string): Promise<AgentStatus | undefined> {
    const status = await this.d.agents.status(name);
    return status && this.shown(status);
  }

  async send(message: AclMessage, options: SendOptions = {}): Promise<SendResult> {
    try {
      return await this.sendAdmitted(message, options);
    } finally {
      // Appended or refused: the send's place at the edge is free (decision 1810).
      options.admitted?.release();
    }
  }

  /**
   * Edge admission ahead of the work a caller does before the send (the audited control's intent
   * record): refused `bus.overloaded` at once, or a ticket `send` takes in `options.admitted`.
   */
  admitSend(message: AclMessage, lane: 'client' | 'operator'): EdgeTicket {
    return this.d.bus.admitOutside(lane, message.receivers.length);
  }

  private async sendAdmitted(message: AclMessage, options: SendOptions): Promise<SendResult> {
    this.live();
    // An instance of a kind (`counter/alice`, decision 1980) is parsed at this boundary: a bad key is
    // refused with the rule, not as an unknown agent.
    for (const r of message.receivers) {
      const local = this.d.bus.agentName(r);
      if (!local.includes('@') && !local.startsWith('topic:')) parseInstanceName(local, 'message.receivers');
    }
    // The operator speaks as `operator@<platform>` unless it names a sender; either way replies to
    // that identity are shown on the tail instead of failing as "unknown receiver".
    const sender = message.sender ?? { name: this.d.externals.operator };
    if (message.sender !== undefined) {
      const local = this.d.bus.agentName(sender);
      const why = senderRefusal(sender.name, local, RESERVED_AGENT_NAMES, (name) => this.d.agents.has(name), {
        isPeer: this.d.isPeerPlatform ?? (() => false),
        ...(options.viaAcc !== undefined ? { viaAcc: options.viaAcc } : {}),
      });
      if (why !== undefined) throw new ForbiddenSenderError(sender.name, why);
    }
    this.d.externals.remember(this.d.bus.agentName(sender));
    const idempotency = options.idempotency;
    const lane = options.lane ?? 'client';
    const admitted = options.admitted !== undefined;
    if (idempotency === undefined) return this.sendNow({ ...message, sender }, lane, admitted);
    // The digest is taken over the message as the client gave it, before trace context is stamped
    // into it: a retry carries a different traceparent but is the same message.
    return this.idempotentSends.run(
      idempotency.caller,
      idempotency.key,
      message,
      (messageId) => this.sendNow({ ...message, sender }, lane, admitted, messageId),
      idempotency.digest,
    );
  }

  private async sendNow(msg: AclMessage, lane: 'client' | 'operator', admitted: boolean, messageId?: string): Promise<SendResult> {
    // Nothing to record and no context to carry on: the span would be non-recording and stamp
    // nothing (as the handling's, decision 1201), so none is built.
    if (!sendIsTraced(msg)) return this.d.bus.send(msg, { external: msg.sender!, lane, admitted }, messageId);
    const { span, ctx } = startSendSpan(msg, 'api');
    injectMessageContext(msg, ctx);
    try {
      const result = await this.d.bus.send(msg, { external: msg.sender!, lane, admitted }, messageId);
      span.setAttribute('caxton.message_id', result.messageId);
      endSpan(span);
      return result;
    } catch (err) {
      endSpan(span, { kind: 'refused', message: (err as Error).message });
      throw err;
    }
  }

  tail(filter: TailFilter, sink: Sink<MessageEvent>): Unsubscribe {
    return this.d.tail.subscribe(filter, sink);
  }

  logs(query: LogQuery, sink: Sink<LogEntry>): Unsubscribe {
    const name = this.d.bus.agentName(query.agent);
    if (!this.d.agents.has(name)) {
      sink.end(new NotFoundError('agent', query.agent));
      return () => {};
    }
    return this.d.logs.query({ ...query, agent: name }, sink);
  }

  searchDirectory(template: DfSearchTemplate, limit: number): Promise<DfAgentDescription[]> {
    return this.d.directory.searchDf(template, limit);
  }

  listSubscriptions(topic?: string): Promise<readonly Readonly<TopicSubscription>[]> {
    return this.d.topics.list(topic);
  }

  async status(): Promise<NodeStatus> {
    const agents = await this.listAgents();
    const rest = await this.d.status();
    return {
      nodeId: this.d.nodeId,
      version: this.d.version,
      startedAt: this.d.startedAt,
      agentsTotal: agents.length,
      agentsRunning: agents.filter((a) => a.state === 'running').length,
      ...rest,
      killSwitch: this.d.killSwitch.status(),
      platform: this.d.platform,
    };
  }
}
