/**
 * Deployed agents on this node: deploy, upgrade (drain → swap → resume), stop, restore after a
 * restart. The registry holds what should run; the AgentHost runs it; the bus holds its messages.
 * Invariant: an agent whose state is not `running` gets no new work (the dispatcher asks
 * `isRunnable`), so its accepted messages wait, durable, in its mailbox.
 */
import type { AgentRecord, AgentLimitsSpec, RegistryStore } from '../registry/registry-store.js';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { AgentHost } from './agent-host.js';
import type { ExecutionResult } from '../bus/executor.js';
import type { Bus } from '../bus/bus.js';
import type { DispatchOwnership } from '../bus/port.js';
import type { MessageLog } from '../bus/message-log.js';
import type { AgentId, AgentState, AgentStatus, DeploySpec, UpgradeSpec, VerifiedArtifact } from '@caxton/core';
import { AGENT_NAME, AGENT_NAME_HINT } from '../api/request-parsing.js';
import { AlreadyExistsError, ConflictError, InvalidArgumentError, NotFoundError } from '../api/errors.js';
import { CaxtonError } from '@caxton/core';


export interface AgentManagerOptions {
  nodeId: string;
  registry: RegistryStore;
  artifacts: ArtifactStore;
  host: AgentHost;
  bus: Bus;
  log: MessageLog;
  defaults: AgentLimitsSpec;
  maxLimits: AgentLimitsSpec;
  onLog: (agent: string, level: 'info' | 'warn' | 'error', message: string) => void;
  /** Apply what init() did (services registered, timers set, messages sent). */
  onStarted: (init: ExecutionResult) => Promise<void>;
  /**
   * The agent no longer runs on this node: undeployed (its pending timers go), or, in a cluster,
   * moved or stopped here only (they stay for whichever node runs it next).
   */
  onStopped?: (agent: string, undeployed: boolean) => Promise<void>;
}

export interface Local {
  record: AgentRecord;
  state: AgentState;
  artifactSize: number;
  lastError?: { message: string; code?: string; at: number };
}

export class AgentManager {
  /** Agents this node runs (or is starting, stopping…). Cluster mode: the ones placed here. */
  protected readonly agents = new Map<string, Local>();

  constructor(protected readonly opts: AgentManagerOptions) {}

  /** Fencing for the dispatcher: none here (every agent is local); cluster mode overrides it. */
  ownership(): DispatchOwnership | undefined {
    return undefined;
  }

  /** Deliveries arrived for `agent` (called by the bus's consumer). Embedded: nothing to do. */
  noticeMail(_agent: string): void {}

  has(name: string): boolean {
    return this.agents.has(name);
  }

  /** Runs (or starts, or stops) on this node. Embedded: the same as has(). */
  isLocal(name: string): boolean {
    return this.agents.has(name);
  }

  /** Work is handed out only to running agents; a crash-looped (failed) one answers not-running. */
  isRunnable(name: string): boolean {
    return this.agents.get(name)?.state === 'running';
  }

  names(): string[] {
    return [...this.agents.keys()];
  }

  /** Start every agent the registry says should run (node start-up). Failures are reported, not fatal. */
  async restore(): Promise<void> {
    const records = await this.opts.registry.listAgents();
    // Every agent is known before any init runs: what one init sends to another is routed, not
    // refused as addressed to an unknown agent (it waits in the mailbox until that one runs).
    const locals = records.map((record): Local => ({ record, state: 'starting', artifactSize: 0 }));
    for (const local of locals) this.agents.set(local.record.name, local);
    for (const local of locals) {
      const record = local.record;
      try {
        const bytes = await this.opts.artifacts.get(record.artifactDigest);
        local.artifactSize = bytes.byteLength;
        await this.opts.host.prepare(bytes);
        await this.startInstance(record);
        local.state = 'running';
      } catch (err) {
        this.fail(local, err);
      }
    }
  }

  async deploy(spec: DeploySpec, artifact: VerifiedArtifact): Promise<AgentStatus> {
    this.checkName(spec.name);
    if (this.agents.has(spec.name)) throw new AlreadyExistsError('agent', spec.name);
    const limits = this.limits(spec.limits, this.opts.defaults);
    const { digest } = await this.opts.host.prepare(artifact.bytes); // validates before anything is stored
    await this.opts.artifacts.put(artifact.bytes);
    const now = Date.now();
    const record: AgentRecord = { name: spec.name, artifactDigest: digest, limits, config: spec.config, version: 1, createdAt: now, updatedAt: now };
    const local: Local = { record, state: 'starting', artifactSize: artifact.bytes.byteLength };
    this.agents.set(spec.name, local);
    try {
      await this.startInstance(record);
    } catch (err) {
      this.agents.delete(spec.name);
      throw err;
    }
    await this.opts.registry.putAgent(record);
    local.state = 'running';
    this.opts.onLog(spec.name, 'info', `deployed version 1 (${digest.slice(0, 12)}, fuel ${limits.fuelPerMessage}/message, ${limits.memoryPages} pages)`);
    this.opts.bus.wake(spec.name);
    return (await this.status(spec.name))!;
  }

  async upgrade(spec: UpgradeSpec, artifact: VerifiedArtifact): Promise<{ agent: AgentStatus; previousVersion: number }> {
    const local = this.require(spec.name);
    if (local.state !== 'running' && local.state !== 'failed') {
      throw new ConflictError(`agent ${spec.name} is ${local.state}`, { context: { agent: spec.name }, hint: 'wait for the current operation to finish, then retry' });
    }
    const { digest } = await this.opts.host.prepare(artifact.bytes); // a bad artifact leaves the old version running
    await this.opts.artifacts.put(artifact.bytes);
    const previous = local.record;
    const next: AgentRecord = {
      ...previous,
      artifactDigest: digest,
      limits: this.limits(spec.limits, previous.limits),
      config: spec.config ?? previous.config,
      version: previous.version + 1,
      updatedAt: Date.now(),
    };
    local.state = 'upgrading';
    // The state after the upgrade says what can run: the new version, the old one rolled back, or
    // nothing (`failed`, with the reason) when neither starts. Never `running` by default.
    let after: Local['state'] = 'running';
    try {
      await this.opts.bus.idle(spec.name); // drain: the message in hand finishes on the old version
      await this.opts.host.stop(spec.name, false);
      try {
        await this.startInstance(next);
      } catch (err) {
        try {
          await this.startInstance(previous); // roll back; the error below says why the upgrade failed
        } catch (rollbackError) {
          after = 'failed';
          this.fail(local, rollbackError);
          this.opts.onLog(spec.name, 'error', `upgrade to version ${next.version} failed and version ${previous.version} did not start again: the agent is failed`);
        }
        throw err;
      }
      await this.opts.registry.putAgent(next);
      local.record = next;
      local.artifactSize = artifact.bytes.byteLength;
      delete local.lastError;
      this.opts.onLog(spec.name, 'info', `upgraded to version ${next.version} (${digest.slice(0, 12)})`);
    } finally {
      local.state = after;
      this.opts.bus.wake(spec.name);
    }
    return { agent: (await this.status(spec.name))!, previousVersion: previous.version };
  }

  async stop(name: string, force: boolean): Promise<AgentStatus> {
    const local = this.require(name);
    if (local.state === 'stopping') throw new ConflictError(`agent ${name} is already stopping`, { context: { agent: name } });
    local.state = 'stopping';
    if (!force) await this.opts.bus.idle(name);
    await this.opts.host.stop(name, force);
    await this.opts.registry.deleteAgent(name);
    await this.opts.registry.deregisterDf(this.opts.bus.agentId(name).name).catch(() => {}); // not registered: fine
    // Accepted messages nobody will handle are dead-lettered, not silently dropped.
    for (const d of this.opts.bus.forget(name)) {
      await this.opts.log.deadLetter({ delivery: d, reason: `agent ${name} was stopped before handling it`, attempts: 0, at: Date.now() });
    }
    await this.opts.onStopped?.(name, true).catch((err: unknown) => this.opts.onLog(name, 'warn', `pending timers not removed: ${(err as Error).message}`));
    local.state = 'stopped';
    const status = (await this.status(name))!;
    this.agents.delete(name);
    this.opts.onLog(name, 'info', force ? 'stopped (forced)' : 'stopped');
    return status;
  }

  async status(name: string): Promise<AgentStatus | undefined> {
    const local = this.agents.get(name);
    if (!local) return undefined;
    const stats = await this.opts.host.stats(name);
    const r = local.record;
    let state: AgentState = local.state;
    if (state === 'running' && stats?.state === 'failed') state = 'failed';
    else if (state === 'running' && stats?.state === 'restarting') state = 'restarting';
    const lastError = stats?.lastError ?? local.lastError;
    return {
      name: r.name,
      state,
      nodeId: this.opts.nodeId,
      version: r.version,
      artifactDigest: r.artifactDigest,
      artifactSize: local.artifactSize,
      limits: r.limits,
      config: r.config,
      restarts: stats?.restarts ?? 0,
      fuelUsed: stats?.fuelUsed ?? 0,
      memoryPages: stats?.memoryPages ?? 0,
      mailboxDepth: this.opts.bus.mailboxDepth(name),
      messagesHandled: stats?.messagesHandled ?? 0,
      ...(lastError ? { lastError } : {}),
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
    };
  }

  async list(): Promise<AgentStatus[]> {
    const all = await Promise.all(this.names().sort().map((n) => this.status(n)));
    return all.filter((s): s is AgentStatus => s !== undefined);
  }

  protected checkName(name: string): void {
    if (!AGENT_NAME.test(name)) {
      // The domain names its own fields; the API layer names wire (proto) fields.
      throw new InvalidArgumentError('name', `"${name}" is not a valid agent name`, AGENT_NAME_HINT);
    }
  }

  /** The identity an instance starts with (cluster mode adds the node's address). */
  protected identity(name: string): AgentId {
    return this.opts.bus.agentId(name);
  }

  protected async startInstance(record: AgentRecord): Promise<void> {
    const init = await this.opts.host.start({ deployment: record, identity: this.identity(record.name) });
    await this.opts.onStarted(init);
  }

  protected require(name: string): Local {
    const local = this.agents.get(name);
    if (!local) throw new NotFoundError('agent', name);
    return local;
  }

  protected fail(local: Local, err: unknown): void {
    local.state = 'failed';
    const e = err as Error;
    local.lastError = { message: e.message, ...(err instanceof CaxtonError ? { code: err.code } : {}), at: Date.now() };
    this.opts.onLog(local.record.name, 'error', `could not start: ${err instanceof CaxtonError ? err.describe() : e.message}`);
  }

  protected limits(given: Partial<AgentLimitsSpec>, base: AgentLimitsSpec): AgentLimitsSpec {
    const out: AgentLimitsSpec = {
      fuelPerMessage: given.fuelPerMessage ?? base.fuelPerMessage,
      memoryPages: given.memoryPages ?? base.memoryPages,
    };
    const max = this.opts.maxLimits;
    if (!Number.isSafeInteger(out.fuelPerMessage) || out.fuelPerMessage <= 0 || out.fuelPerMessage > max.fuelPerMessage) {
      throw new InvalidArgumentError('limits.fuelPerMessage', `must be between 1 and ${max.fuelPerMessage}`, 'omit it to use the node default');
    }
    if (!Number.isInteger(out.memoryPages) || out.memoryPages <= 0 || out.memoryPages > max.memoryPages) {
      throw new InvalidArgumentError('limits.memoryPages', `must be between 1 and ${max.memoryPages} (64 KiB pages)`, 'omit it to use the node default');
    }
    return out;
  }
}
