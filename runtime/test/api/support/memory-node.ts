/**
 * A NodeControl kept in memory, for the API tests. It is not a mock: it implements the contract
 * in node-control.ts with real data structures (agents, messages, logs, directory, subscribers),
 * so the tests exercise what the API promises the node will do — and the real node must pass the
 * same scenarios. Nothing here runs wasm; artifacts are stored as given.
 */
import type {
  AclMessage,
  NodeHealth,
  AgentStatus,
  DeploySpec,
  LogEntry,
  LogQuery,
  MessageEvent,
  NodeControl,
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
import { AlreadyExistsError, NoPreviousVersionError, NotFoundError, ReplayStepsUnsupportedError, matchesTailFilter } from '@caxton/core';
import type { FreezeResult, FreezeScope, KillSwitchStatus } from '@caxton/core';
import type { StateEntry, StateImport, StateImportResult, StateListQuery, StatePage } from '@caxton/core';
import { MemoryMessageLog } from '../../../src/log/memory/memory-message-log.js';
import { NotClusteredError } from '../../../src/node/kill-switch/errors.js';
import { NodeStateControl } from '../../../src/node/state-control.js';
import { DeadLetterOperations } from '../../../src/node/dead-letter-operations.js';
import { ConversationCostLedger } from '../../../src/node/costs/conversation-costs.js';
import type { ConversationCostsQuery, ConversationCostsView } from '@caxton/core';
import type { DeadLetterQuery, DeadLetterSelection, DeadLetterView, PurgeResult, RedriveRequest, RedriveResult } from '@caxton/core';

export const DEFAULT_FUEL = 1_000_000;
export const DEFAULT_PAGES = 16;

interface Deployed {
  status: AgentStatus;
  artifact: Uint8Array;
  /** What the last upgrade replaced, as the real node keeps it for a rollback. */
  previous?: { status: AgentStatus; artifact: Uint8Array };
}

export class MemoryNode implements NodeControl {
  readonly nodeId = 'node-test';
  readonly startedAt = Date.now();
  readonly agents = new Map<string, Deployed>();
  /** Every message accepted, in order. */
  readonly accepted: MessageEvent[] = [];
  readonly logLines: LogEntry[] = [];
  readonly directory: DfAgentDescription[] = [];
  readonly subscriptions: TopicSubscription[] = [];
  private readonly tails = new Set<{ filter: TailFilter; sink: Sink<MessageEvent> }>();
  private readonly followers = new Set<{ query: LogQuery; sink: Sink<LogEntry> }>();
  private nextId = 1;

  /** Calls seen, so tests can check what reached the node (and what never did). */
  readonly calls: string[] = [];
  /** Agents' state: the memory log's real store, behind the node's real state control. */
  readonly stateStore = new MemoryMessageLog();
  private readonly stateControl = new NodeStateControl({
    state: this.stateStore,
    changeState: (_agent, commit) => commit(),
    live: () => {},
  });

  /** Dead letters: the same memory log's, behind the node's real dead-letter operations (decision 1860). */
  private readonly deadLetterOps = new DeadLetterOperations({
    log: this.stateStore,
    agentName: (name) => name.split('@')[0] ?? name,
    send: (message) => this.send(message),
  });

  listDeadLetters(query: DeadLetterQuery): Promise<DeadLetterView[]> {
    this.calls.push('listDeadLetters');
    return this.deadLetterOps.listDeadLetters(query);
  }

  getDeadLetter(id: string): Promise<DeadLetterView> {
    this.calls.push(`getDeadLetter ${id}`);
    return this.deadLetterOps.getDeadLetter(id);
  }

  redriveDeadLetters(request: RedriveRequest): Promise<RedriveResult> {
    this.calls.push('redriveDeadLetters');
    return this.deadLetterOps.redriveDeadLetters(request);
  }

  purgeDeadLetters(select: DeadLetterSelection): Promise<PurgeResult> {
    this.calls.push('purgeDeadLetters');
    return this.deadLetterOps.purgeDeadLetters(select);
  }

  getState(agent: string, key: string): Promise<string | undefined> {
    this.calls.push(`getState ${agent} ${key}`);
    return this.stateControl.getState(agent, key);
  }

  listState(agent: string, query: StateListQuery): Promise<StatePage> {
    this.calls.push(`listState ${agent}`);
    return this.stateControl.listState(agent, query);
  }

  exportState(agent: string, sink: Sink<StateEntry>): Unsubscribe {
    this.calls.push(`exportState ${agent}`);
    return this.stateControl.exportState(agent, sink);
  }

  importState(spec: StateImport): Promise<StateImportResult> {
    this.calls.push(`importState ${spec.agent} ${spec.writes.length}`);
    return this.stateControl.importState(spec);
  }

  /** The kill switch as the node keeps it (decision 1403); embedded-like: no cluster. */
  private frozen = false;
  private readonly suspended = new Set<string>();

  async freeze(scope: FreezeScope): Promise<FreezeResult> {
    this.calls.push(`freeze ${scope}`);
    if (scope === 'cluster') throw new NotClusteredError();
    this.frozen = true;
    return { scope, status: this.killSwitch(), drainedMs: 0 };
  }

  async thaw(scope: FreezeScope): Promise<FreezeResult> {
    this.calls.push(`thaw ${scope}`);
    this.frozen = false;
    return { scope, status: this.killSwitch(), drainedMs: 0 };
  }

  async suspend(name: string): Promise<AgentStatus> {
    this.calls.push(`suspend ${name}`);
    const a = this.agents.get(name);
    if (!a) throw new NotFoundError('agent', name);
    this.suspended.add(name);
    a.status.state = 'suspended';
    return structuredClone(a.status);
  }

  async resume(name: string): Promise<AgentStatus> {
    this.calls.push(`resume ${name}`);
    const a = this.agents.get(name);
    if (!a) throw new NotFoundError('agent', name);
    this.suspended.delete(name);
    a.status.state = 'running';
    return structuredClone(a.status);
  }

  async scale(name: string, replicas: number): Promise<AgentStatus> {
    this.calls.push(`scale ${name} ${replicas}`);
    const a = this.agents.get(name);
    if (!a) throw new NotFoundError('agent', name);
    if (replicas > 1) a.status.replicas = { replicas, draining: 0 };
    else delete a.status.replicas;
    return structuredClone(a.status);
  }

  killSwitch(): KillSwitchStatus {
    return { frozen: this.frozen, nodeFrozen: this.frozen, clusterFrozen: false, suspended: [...this.suspended].sort() };
  }

  get activeSubscriptions(): number {
    return this.tails.size + this.followers.size;
  }

  async deploy(spec: DeploySpec, artifact: VerifiedArtifact): Promise<AgentStatus> {
    this.calls.push(`deploy ${spec.name}${spec.keepState ? ' keep-state' : ''}`);
    if (this.agents.has(spec.name)) throw new AlreadyExistsError('agent', spec.name);
    const now = Date.now();
    const status: AgentStatus = {
      name: spec.name,
      state: 'running',
      nodeId: this.nodeId,
      version: 1,
      artifactDigest: artifact.sha256,
      artifactSize: artifact.bytes.length,
      limits: { fuelPerMessage: spec.limits.fuelPerMessage ?? DEFAULT_FUEL, memoryPages: spec.limits.memoryPages ?? DEFAULT_PAGES },
      config: { ...spec.config },
      restarts: 0,
      fuelUsed: 0,
      memoryPages: 1,
      mailboxDepth: 0,
      messagesHandled: 0,
      createdAt: now,
      updatedAt: now,
      ...(spec.http ? { http: spec.http } : {}),
      ...(spec.language !== undefined ? { language: spec.language } : {}),
    };
    this.agents.set(spec.name, { status, artifact: artifact.bytes });
    this.log(spec.name, 'info', `deployed version 1 (${artifact.sha256.slice(0, 12)})`);
    return structuredClone(status);
  }

  async upgrade(spec: UpgradeSpec, artifact: VerifiedArtifact): Promise<UpgradeResult> {
    this.calls.push(`upgrade ${spec.name}`);
    const agent = this.agents.get(spec.name);
    if (!agent) throw new NotFoundError('agent', spec.name);
    const previousVersion = agent.status.version;
    agent.previous = { status: structuredClone(agent.status), artifact: agent.artifact };
    const s = agent.status;
    s.version++;
    s.artifactDigest = artifact.sha256;
    s.artifactSize = artifact.bytes.length;
    s.limits = {
      fuelPerMessage: spec.limits.fuelPerMessage ?? s.limits.fuelPerMessage,
      memoryPages: spec.limits.memoryPages ?? s.limits.memoryPages,
    };
    if (spec.config) s.config = { ...spec.config };
    if (spec.http) s.http = spec.http;
    // Like the real node: the language belongs to the artifact, an upgrade without one clears it.
    delete s.language;
    if (spec.language !== undefined) s.language = spec.language;
    s.updatedAt = Date.now();
    agent.artifact = artifact.bytes;
    return { agent: structuredClone(s), previousVersion };
  }

  async rollback(name: string): Promise<UpgradeResult> {
    this.calls.push(`rollback ${name}`);
    const agent = this.agents.get(name);
    if (!agent) throw new NotFoundError('agent', name);
    if (!agent.previous) throw new NoPreviousVersionError(name, agent.status.version);
    const current = { status: structuredClone(agent.status), artifact: agent.artifact };
    const previousVersion = agent.status.version;
    agent.status = { ...structuredClone(agent.previous.status), version: previousVersion + 1, updatedAt: Date.now() };
    agent.artifact = agent.previous.artifact;
    agent.previous = current;
    return { agent: structuredClone(agent.status), previousVersion };
  }

  async stop(name: string, options: { force: boolean }): Promise<AgentStatus> {
    this.calls.push(`stop ${name}${options.force ? ' force' : ''}`);
    const agent = this.agents.get(name);
    if (!agent) throw new NotFoundError('agent', name);
    this.agents.delete(name);
    return { ...structuredClone(agent.status), state: 'stopped', updatedAt: Date.now() };
  }

  async listAgents(): Promise<AgentStatus[]> {
    return [...this.agents.values()].map((a) => structuredClone(a.status)).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** No log to read back here: refused as a node on the memory log refuses it. */
  async replayConversation(agent: string): Promise<never> {
    throw new ReplayStepsUnsupportedError(
      agent,
      'this node keeps no log to replay from (a memory log)',
      'a node on its embedded log (the default) or in a cluster keeps one',
    );
  }

  /** Runs no agent code: its ledger stays empty (tests of a real node's costs use a real node). */
  readonly costs = new ConversationCostLedger();

  async conversationCosts(query: ConversationCostsQuery): Promise<ConversationCostsView> {
    return this.costs.read(query, Date.now());
  }

  async getAgent(name: string): Promise<AgentStatus | undefined> {
    const agent = this.agents.get(name);
    return agent ? structuredClone(agent.status) : undefined;
  }

  async send(message: AclMessage): Promise<SendResult> {
    const messageId = `m-${this.nextId++}`;
    const accepted: string[] = [];
    const refused: { receiver: string; reason: string }[] = [];
    for (const r of message.receivers) {
      const local = r.name.split('@')[0] ?? r.name;
      const agent = this.agents.get(local);
      if (agent) {
        accepted.push(local);
        agent.status.mailboxDepth++;
      } else refused.push({ receiver: r.name, reason: 'unknown agent' });
    }
    const event: MessageEvent = { messageId, acceptedAt: Date.now(), message: { ...message, sender: { name: 'operator@test' } } };
    this.accepted.push(event);
    for (const t of [...this.tails]) if (matchesTailFilter(t.filter, event)) t.sink.next(structuredClone(event));
    return { messageId, accepted, refused };
  }

  tail(filter: TailFilter, sink: Sink<MessageEvent>): Unsubscribe {
    const entry = { filter, sink };
    this.tails.add(entry);
    return () => this.tails.delete(entry);
  }

  logs(query: LogQuery, sink: Sink<LogEntry>): Unsubscribe {
    if (!this.agents.has(query.agent) && !this.logLines.some((l) => l.agent === query.agent)) {
      sink.end(new NotFoundError('agent', query.agent));
      return () => {};
    }
    let history = this.logLines.filter((l) => l.agent === query.agent && (query.since === undefined || l.at >= query.since));
    if (query.limit !== undefined) history = history.slice(-query.limit);
    for (const line of history) sink.next({ ...line });
    if (!query.follow) {
      sink.end();
      return () => {};
    }
    const entry = { query, sink };
    this.followers.add(entry);
    return () => this.followers.delete(entry);
  }

  /** An agent writes a log line (what the sandbox would report). */
  log(agent: string, level: LogEntry['level'], message: string): void {
    const line: LogEntry = { agent, at: Date.now(), level, message, nodeId: this.nodeId };
    this.logLines.push(line);
    for (const f of [...this.followers]) if (f.query.agent === agent) f.sink.next({ ...line });
  }

  /** The node shuts down: every subscription ends with the given error. */
  endAllSubscriptions(error: Error): void {
    for (const t of [...this.tails]) t.sink.end(error);
    for (const f of [...this.followers]) f.sink.end(error);
    this.tails.clear();
    this.followers.clear();
  }

  async listSubscriptions(topic?: string): Promise<TopicSubscription[]> {
    this.calls.push('listSubscriptions');
    return this.subscriptions.filter((s) => topic === undefined || s.topic === topic);
  }

  async searchDirectory(template: DfSearchTemplate, limit: number): Promise<DfAgentDescription[]> {
    const hasAll = (have: string[], want: string[] | undefined): boolean => (want ?? []).every((w) => have.includes(w));
    return this.directory
      .filter((d) => template.agentName === undefined || d.name.name === template.agentName)
      .filter(
        (d) =>
          hasAll(d.protocols, template.protocols) && hasAll(d.ontologies, template.ontologies) && hasAll(d.languages, template.languages),
      )
      .filter(
        (d) =>
          (template.serviceName === undefined && template.serviceType === undefined && template.properties === undefined) ||
          d.services.some(
            (s) =>
              (template.serviceName === undefined || s.name === template.serviceName) &&
              (template.serviceType === undefined || s.type === template.serviceType) &&
              Object.entries(template.properties ?? {}).every(([k, v]) => s.properties[k] === v),
          ),
      )
      .slice(0, limit);
  }

  /** What health() answers; tests set it to see the API report it. */
  healthState: NodeHealth = { serving: true };

  health(): NodeHealth {
    return this.healthState;
  }

  async status(): Promise<NodeStatus> {
    const agents = [...this.agents.values()];
    return {
      nodeId: this.nodeId,
      version: '0.1.0-test',
      startedAt: this.startedAt,
      agentsTotal: agents.length,
      agentsRunning: agents.filter((a) => a.status.state === 'running').length,
      nodes: [
        {
          id: this.nodeId,
          address: '127.0.0.1:0',
          startedAt: this.startedAt,
          lastSeen: Date.now(),
          agents: agents.map((a) => a.status.name).sort(),
          self: true,
        },
      ],
      storage: [
        { role: 'bus', kind: 'embedded', location: '/tmp/test/bus' },
        { role: 'registry', kind: 'embedded', location: '/tmp/test/registry' },
      ],
      killSwitch: this.killSwitch(),
    };
  }
}
