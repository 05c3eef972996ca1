/**
 * The node's side of the management API: NodeControl implemented over the agent manager, the bus,
 * the registry and the logs. Validation of wire input happened in the API layer; here requests
 * meet the node's state.
 */
import { ForbiddenSenderError, senderRefusal } from './sender-policy.js';
import { RESERVED_AGENT_NAMES } from './agent-lifecycle.js';
import type { AclMessage, AgentStatus, DeploySpec, LogEntry, LogQuery, MessageEvent, NodeControl, NodeHealth, NodeStatus, SendResult, Sink, TailFilter, Unsubscribe, UpgradeResult, UpgradeSpec, VerifiedArtifact, DfAgentDescription, DfSearchTemplate } from '@caxton/core';
import { NotFoundError, UnavailableError } from '@caxton/core';
import type { AgentStateStore, DirectoryStore } from '../storage/ports.js';
import type { StateEntry, StateImport, StateImportResult, StateListQuery, StatePage } from '@caxton/core';
import { NodeStateControl } from './state-control.js';
import type { Bus } from '../bus/bus.js';
import { startSendSpan, endSpan, injectMessageContext } from '../telemetry/trace-context.js';
import type { AgentLifecycle } from './agent-lifecycle.js';
import type { AgentLogs } from './agent-logs.js';
import type { TailHub } from './tail-hub.js';
import type { ExternalIdentities } from './external-identities.js';

export interface NodeControlDeps {
  nodeId: string;
  version: string;
  startedAt: number;
  agents: AgentLifecycle;
  bus: Bus;
  directory: DirectoryStore;
  logs: AgentLogs;
  tail: TailHub;
  externals: ExternalIdentities;
  status: () => Promise<Pick<NodeStatus, 'nodes' | 'storage'>>;
  isStopping: () => boolean;
  /** Why the message log stopped for good, if it did. */
  logStoppedBy: () => Error | undefined;
  /** Agents' durable state (decision 1600). */
  state: AgentStateStore;
}

export class LocalNodeControl implements NodeControl {
  private readonly stateControl: NodeStateControl;

  constructor(private readonly d: NodeControlDeps) {
    this.stateControl = new NodeStateControl({ state: d.state, changeState: (agent, commit) => d.agents.changeState(agent, commit), live: () => this.live() });
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

  importState(spec: StateImport): Promise<StateImportResult> {
    return this.stateControl.importState(spec);
  }

  private live(): void {
    if (this.d.isStopping()) throw new UnavailableError('the node is shutting down', { hint: 'retry against another node, or after it restarts' });
    const stopped = this.d.logStoppedBy();
    if (stopped) {
      throw new UnavailableError(`this node's message log has stopped, so it accepts no work: ${stopped.message.slice(0, 300)}`, {
        hint: 'free the disk or fix the I/O error, then restart the node (it recovers what was durable); other nodes of a cluster keep serving',
      });
    }
  }

  health(): NodeHealth {
    const stopped = this.d.logStoppedBy();
    return stopped ? { serving: false, reason: `message log stopped: ${stopped.message.slice(0, 300)}` } : { serving: true };
  }

  async deploy(spec: DeploySpec, artifact: VerifiedArtifact): Promise<AgentStatus> {
    this.live();
    return this.d.agents.deploy(spec, artifact);
  }

  async upgrade(spec: UpgradeSpec, artifact: VerifiedArtifact): Promise<UpgradeResult> {
    this.live();
    return this.d.agents.upgrade(spec, artifact);
  }

  async stop(name: string, options: { force: boolean }): Promise<AgentStatus> {
    this.live();
    return this.d.agents.stop(name, options.force);
  }

  async listAgents(): Promise<AgentStatus[]> {
    return this.d.agents.list();
  }

  async getAgent(name: string): Promise<AgentStatus | undefined> {
    return this.d.agents.status(name);
  }

  async send(message: AclMessage): Promise<SendResult> {
    this.live();
    // The operator speaks as `operator@<platform>` unless it names a sender; either way replies to
    // that identity are shown on the tail instead of failing as "unknown receiver".
    const sender = message.sender ?? { name: this.d.externals.operator };
    if (message.sender !== undefined) {
      const local = this.d.bus.agentName(sender);
      const why = senderRefusal(sender.name, local, RESERVED_AGENT_NAMES, (name) => this.d.agents.has(name));
      if (why !== undefined) throw new ForbiddenSenderError(sender.name, why);
    }
    this.d.externals.remember(this.d.bus.agentName(sender));
    const msg: AclMessage = { ...message, sender };
    const { span, ctx } = startSendSpan(msg, 'api');
    injectMessageContext(msg, ctx);
    try {
      const result = await this.d.bus.send(msg, { external: sender });
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

  async status(): Promise<NodeStatus> {
    const agents = await this.d.agents.list();
    const rest = await this.d.status();
    return {
      nodeId: this.d.nodeId,
      version: this.d.version,
      startedAt: this.d.startedAt,
      agentsTotal: agents.length,
      agentsRunning: agents.filter((a) => a.state === 'running').length,
      ...rest,
    };
  }
}
