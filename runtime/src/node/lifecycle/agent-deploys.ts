/**
 * A deploy (an agent, or a kind: decision 1980): the name, the limits and the trust policy checked
 * first, the component prepared and stored, then the record handed to the residency (or the kinds).
 * The checks an upgrade makes too (limits, trust, topics) are these.
 */
import type { AgentLimitsSpec, AgentStatus, DeploySpec, TopicPatterns, VerifiedArtifact } from '@caxton/core';
import {
  AGENT_NAME,
  AGENT_NAME_HINT,
  AlreadyExistsError,
  DEPLOYABLE_LIMITS,
  InvalidArgumentError,
  checkKindTable,
  checkLimits,
} from '@caxton/core';
import type { TrustDecision } from '../../signing/trust.js';
import { STATE_UNSUPPORTED } from '../../storage/state-store.js';
import { KindUnsupportedError } from '../kinds/index.js';
import { agentLog } from '../local-agents.js';
import { firstVersionRecord } from './version-records.js';
import { fixDeployNear, resolveDeployNear } from './agent-near.js';
import { RESERVED_AGENT_NAMES, ReservedAgentNameError } from './agent-lifecycle-options.js';
import type { AgentAbsence } from './agent-absence.js';
import type { LifecycleParts } from './lifecycle-parts.js';

export class AgentDeploys {
  constructor(
    private readonly p: LifecycleParts,
    private readonly absence: AgentAbsence,
  ) {}

  async deploy(spec: DeploySpec, artifact: VerifiedArtifact): Promise<AgentStatus> {
    this.checkName(spec.name);
    if (this.p.kinds.isKind(spec.name)) throw new AlreadyExistsError('agent', spec.name);
    await this.p.residency.refuseExisting(spec.name);
    // Resolved once, before anything is stored (decision 2189): a kind is refused.
    const asked = await resolveDeployNear(this.p, spec.name, spec.near, spec.kind !== undefined);
    if (spec.kind !== undefined) return this.deployKind(spec, artifact);
    const trust = this.trust(spec.name, artifact); // before anything is prepared or stored
    const limits = this.limits(spec.limits, this.p.o.defaults);
    this.absence.refuseAbsentTtlPastRetention(limits.absentTtlMs ?? this.p.o.defaults.absentTtlMs);
    const { digest, writesState } = await this.p.o.host.prepare(artifact.bytes); // validates before anything is stored
    await this.p.o.artifacts.put(artifact.bytes); // cluster: etcd first, every node can fetch it once this resolves
    // Fixed (cluster: for good) only once the artifact is known good: a refused upload fixes nothing.
    const near = await fixDeployNear(this.p, spec.name, asked, spec.keepState === true);
    const record = firstVersionRecord(spec, { digest, limits, signerKeyId: trust.signerKeyId, writesState });
    if (near !== undefined) record.near = near;
    // Undeploy keeps state so a redeploy can choose (decision 1600); cleared before the agent starts
    // and reads it. Upgrades never come here: they keep state.
    if (spec.keepState !== true) await this.clearState(spec.name);
    // An earlier deployment's rollout says nothing about this one; one not yet ended is ended first.
    await this.p.rollouts.abort(spec.name, 'the agent was deployed anew');
    this.p.rollouts.forget(spec.name);
    const status = await this.p.residency.deploy(record, artifact.bytes.byteLength);
    this.p.o.messaging.replaced?.(spec.name);
    this.logTrust(spec.name, trust);
    if (spec.topics !== undefined) await this.pruneTopics(spec.name, spec.topics);
    return status;
  }

  /**
   * A kind (decision 1980): validated, prepared and stored like an agent, then ONE registry record;
   * no instance starts. A fresh kind keeps what instances of an earlier kind of the name left in
   * state (clearing every key would need a walk of the state store): `--keep-state` is implied.
   */
  private async deployKind(spec: DeploySpec, artifact: VerifiedArtifact): Promise<AgentStatus> {
    if (this.p.o.kindStore === undefined) {
      throw new KindUnsupportedError(
        'agent kinds are not available in cluster mode yet (decision 1980)',
        'deploy the kind on a node of the embedded topology, or deploy named agents',
      );
    }
    // The rows of core's KIND_LIMIT_TABLE (decision 2153), named by their wire fields (header.kind.idle_ms).
    const asked = checkKindTable({ idleMs: spec.kind?.idleMs, maxActive: spec.kind?.maxActive });
    const idleMs = asked.idleMs ?? this.p.kinds.defaultIdleMs;
    const maxActive = asked.maxActive;
    const trust = this.trust(spec.name, artifact);
    const limits = this.limits(spec.limits, this.p.o.defaults);
    const { digest } = await this.p.o.host.prepare(artifact.bytes); // every instance instantiates this prepared artifact
    await this.p.o.artifacts.put(artifact.bytes);
    const priorityClass = spec.kind?.priorityClass;
    const kind = { idleMs, ...(maxActive !== undefined ? { maxActive } : {}), ...(priorityClass !== undefined ? { priorityClass } : {}) };
    const record = firstVersionRecord(spec, { digest, limits, signerKeyId: trust.signerKeyId }, kind);
    await this.p.kinds.deploy(record);
    this.logTrust(spec.name, trust);
    return this.p.kinds.status(spec.name)!;
  }

  /**
   * Subscriptions outside a new allow-list go (decision 2050). The deployment is in place already:
   * a registry that fails here is reported on the agent's log, not as a failed deploy.
   */
  async pruneTopics(name: string, patterns: TopicPatterns): Promise<void> {
    if (this.p.o.pruneTopics === undefined) return;
    try {
      const removed = await this.p.o.pruneTopics(name, patterns);
      if (removed > 0)
        agentLog(
          this.p.events,
          name,
          'info',
          `${removed} topic subscription${removed === 1 ? '' : 's'} outside its allowed topics removed`,
        );
    } catch (err) {
      agentLog(this.p.events, name, 'warn', `subscriptions outside its allowed topics not removed: ${(err as Error).message}`);
    }
  }

  /** The trust policy's verdict on an upload; throws (refuses) under `require`. */
  trust(name: string, artifact: VerifiedArtifact): TrustDecision {
    return this.p.o.trust?.check(name, artifact.sha256, artifact.signature) ?? {};
  }

  /** Who vouched for the running version, or why nobody did, on the agent's own log. */
  logTrust(name: string, trust: TrustDecision): void {
    if (trust.warning !== undefined) agentLog(this.p.events, name, 'warn', `untrusted artifact: ${trust.warning}`);
    else if (trust.signerKeyId !== undefined) {
      const what = trust.statement ? ` (${trust.statement.name}${trust.statement.version ? ` ${trust.statement.version}` : ''})` : '';
      agentLog(this.p.events, name, 'info', `artifact signed by trusted key ${trust.signerKeyId}${what}`);
    }
  }

  private async clearState(name: string): Promise<void> {
    try {
      await this.p.o.state?.clearState(name);
    } catch (error) {
      if ((error as { code?: string }).code !== STATE_UNSUPPORTED) throw error; // nothing kept, nothing to clear
    }
  }

  private checkName(name: string): void {
    if (!AGENT_NAME.test(name)) {
      throw new InvalidArgumentError('header.name', `"${name}" is not a valid agent name`, AGENT_NAME_HINT);
    }
    if (RESERVED_AGENT_NAMES.has(name)) throw new ReservedAgentNameError(name);
  }

  /**
   * Every deployable limit: given, else the base's (upgrade: the current record's), else the node
   * default — so a record deployed before a limit existed gets the default on its next upgrade.
   * Checked by the table's one validation, under this node's maxima.
   */
  limits(given: Partial<AgentLimitsSpec>, base: AgentLimitsSpec): Required<AgentLimitsSpec> {
    const out = {} as Required<AgentLimitsSpec>;
    for (const name of DEPLOYABLE_LIMITS) out[name] = given[name] ?? base[name] ?? this.p.o.defaults[name];
    return checkLimits(out, { field: 'header', ceilings: this.p.o.maxLimits });
  }
}
