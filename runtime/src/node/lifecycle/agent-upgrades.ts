/**
 * New versions of a deployed agent or kind: an upgrade (in place, or beside the running version as
 * a blue-green or canary rollout: decisions 1870, 1871, 2171, 2175), `upgrade --replay` first where
 * asked (issue 57), a rollback to the version the last upgrade replaced, a rollout's abort, and a
 * rollout's promotion through the ordinary drain and swap.
 */
import type {
  AgentLimitsSpec,
  AgentStatus,
  ConversationReplay,
  RolloutStrategy,
  RolloutView,
  UpgradeSpec,
  VerifiedArtifact,
} from '@caxton/core';
import {
  ConflictError,
  NearKindError,
  NoPreviousVersionError,
  NotFoundError,
  ReplayGateUnsupportedError,
  ReplayStepsUnsupportedError,
  RolloutInProgressError,
  RolloutStatefulError,
  RolloutUnsupportedError,
  resolveRolloutThresholds,
} from '@caxton/core';
import { previousVersionOf, type AgentRecord, type RolloutRecord } from '../../storage/records.js';
import { KindUnsupportedError } from '../kinds/index.js';
import { agentLog } from '../local-agents.js';
import { recordedRolloutView, type RolloutBeside } from '../rollouts/index.js';
import type { AgentAbsence } from './agent-absence.js';
import type { AgentDeploys } from './agent-deploys.js';
import type { AgentScaling } from './agent-scaling.js';
import { refuseDuringRollout, type LifecycleParts } from './lifecycle-parts.js';
import { nextVersionRecord } from './version-records.js';
import { refuseNearChange } from './agent-near.js';

/** How long an operator's rollback through one node waits for the node running the agent to end its rollout (ms). */
const RECORDED_ROLLOUT_ABORT_WAIT_MS = 30_000;

export class AgentUpgrades {
  constructor(
    private readonly p: LifecycleParts,
    private readonly deploys: AgentDeploys,
    private readonly absence: AgentAbsence,
    private readonly scaling: AgentScaling,
  ) {}

  private async upgradeKind(spec: UpgradeSpec, artifact: VerifiedArtifact): Promise<{ agent: AgentStatus; previousVersion: number }> {
    const previous = this.p.kinds.record(spec.name)!;
    if (spec.near !== undefined) throw new NearKindError(spec.name, spec.near);
    if (previous.rollout !== undefined) throw new RolloutInProgressError(spec.name, previous.rollout.candidate.version);
    const trust = this.deploys.trust(spec.name, artifact);
    const limits = this.deploys.limits(spec.limits, previous.limits);
    const { digest } = await this.p.o.host.prepare(artifact.bytes);
    await this.p.o.artifacts.put(artifact.bytes);
    const next = nextVersionRecord(previous, spec, { digest, limits, signerKeyId: trust.signerKeyId });
    if (spec.strategy !== undefined) {
      // By key (decision 2175): the keys the split gives the new version run it from their next
      // activation, each with its own state; the record holds the rollout on both topologies.
      const rollout = recordedRollout(next, artifact, spec.strategy, spec);
      const agent = await this.p.kinds.startRollout(previous, rollout);
      this.deploys.logTrust(spec.name, trust);
      return { agent, previousVersion: previous.version };
    }
    await this.p.kinds.upgrade(next);
    this.deploys.logTrust(spec.name, trust);
    return { agent: this.p.kinds.status(spec.name)!, previousVersion: previous.version };
  }

  async upgrade(spec: UpgradeSpec, artifact: VerifiedArtifact): Promise<{ agent: AgentStatus; previousVersion: number }> {
    if (this.p.kinds.isKind(spec.name)) {
      if (spec.replay !== undefined)
        throw new ReplayGateUnsupportedError(
          spec.name,
          'a kind is replayed per instance: `caxton replay <kind>/<key> --with <new version>`',
        );
      return this.upgradeKind(spec, artifact);
    }
    // The agent's operation lock: no scale starts replicas of the old version meanwhile (decision 2010).
    return this.p.replicas.exclusive(spec.name, () => this.upgradeNamed(spec, artifact));
  }

  /**
   * A conversation, step by step (issue 57: the console's step view): the agent's deployed version
   * runs again on its recorded handlings, the conversation's reported. A kind is replayed per
   * instance (`<kind>/<key>`); a node on the memory log has nothing to replay.
   */
  async traceConversation(name: string, conversationId: string): Promise<ConversationReplay> {
    const gate = this.p.o.replayGate;
    if (gate === undefined)
      throw new ReplayStepsUnsupportedError(
        name,
        'this node keeps no log to replay from (a memory log)',
        'a node on its embedded log (the default) or in a cluster keeps one',
      );
    if (this.p.kinds.isKind(name))
      throw new ReplayStepsUnsupportedError(
        name,
        'it is a kind, whose instances have the conversations',
        'replay an instance: <kind>/<key>',
      );
    const record = await this.p.residency.upgradeBase(name); // unknown: not found
    return gate.trace(name, record, await this.p.o.artifacts.get(record.artifactDigest), conversationId);
  }

  /**
   * `upgrade --replay` (issue 57): the new version runs on the agent's recorded traffic first, under
   * its own limits and config and the running deployment's seed (an upgrade keeps it); a refusal
   * leaves the running version as it is (nothing was stored yet).
   */
  private async replayFirst(
    spec: UpgradeSpec,
    previous: AgentRecord,
    digest: string,
    limits: AgentLimitsSpec,
    bytes: Uint8Array,
  ): Promise<void> {
    const gate = this.p.o.replayGate;
    if (gate === undefined) throw new ReplayGateUnsupportedError(spec.name, 'this node keeps no log to replay from (a memory log)');
    const http = spec.http ?? previous.http;
    const topics = spec.topics ?? previous.topics;
    await gate.check(
      spec.name,
      previous.version,
      {
        name: previous.name,
        version: previous.version + 1,
        artifactDigest: digest,
        createdAt: previous.createdAt,
        limits: limits as unknown as Record<string, unknown>,
        config: spec.config ?? previous.config,
        ...(http !== undefined ? { http } : {}),
        ...(topics !== undefined ? { topics } : {}),
      },
      bytes,
      spec.replay!,
    );
    // The replay took a while: the upgrade goes on only from the deployment it was judged against
    // (a stop, a new deployment or another version meanwhile refuse it; nothing is stored yet).
    const now = await this.p.residency.upgradeBase(spec.name);
    if (now.version !== previous.version || now.createdAt !== previous.createdAt || now.absentSince !== previous.absentSince)
      throw new ConflictError(`agent ${spec.name} changed while its new version was being replayed (it is version ${now.version} now)`, {
        context: { agent: spec.name, version: now.version, replayedAgainst: previous.version },
        hint: 'upgrade again: the replay runs on what the agent is now',
      });
  }

  private async upgradeNamed(spec: UpgradeSpec, artifact: VerifiedArtifact): Promise<{ agent: AgentStatus; previousVersion: number }> {
    refuseDuringRollout(this.p.rollouts, spec.name);
    // A scaled agent is upgraded in place (decision 2176), and rolled out beside its replicas on one
    // node (decision 2177): the new version takes its share of conversations, the replicas the rest.
    const previous = await this.p.residency.upgradeBase(spec.name);
    refuseNearChange(previous, spec.near, this.p.residency.fixPlacement !== undefined); // its placement is fixed at the first deploy (decision 2189)
    // Recorded in a cluster's registry (decision 2171): refused through every node, not only the one running it.
    if (previous.rollout !== undefined) throw new RolloutInProgressError(spec.name, previous.rollout.candidate.version);
    if (spec.strategy !== undefined) this.p.clusterReplicas.refuseRecordedScaled(previous, 'roll out');
    const recordsRollouts = this.p.residency.startRollout !== undefined;
    if (spec.strategy !== undefined && !recordsRollouts && !this.p.local.isRunning(spec.name)) {
      // Nothing would compare the new version with a running one, and the mailbox would wait for the bake.
      throw new RolloutUnsupportedError(spec.name, `it is ${this.p.local.get(spec.name)?.state ?? 'not running here'}`);
    }
    const trust = this.deploys.trust(spec.name, artifact);
    const limits = this.deploys.limits(spec.limits, previous.limits);
    this.absence.refuseAbsentTtlPastRetention(limits.absentTtlMs ?? this.p.o.defaults.absentTtlMs);
    const { digest, writesState } = await this.p.o.host.prepare(artifact.bytes); // a bad artifact leaves the old version running
    if (writesState === true) this.scaling.refuseStatefulWhileScaled(spec.name, previous);
    if (spec.replay !== undefined) await this.replayFirst(spec, previous, digest, limits, artifact.bytes);
    await this.p.o.artifacts.put(artifact.bytes);
    const next = nextVersionRecord(previous, spec, { digest, limits, signerKeyId: trust.signerKeyId, writesState });
    if (spec.strategy !== undefined && recordsRollouts) {
      // A cluster (decision 2171): recorded beside the running version; the node running it follows.
      // A canary is refused here on what the components write; the state's entries, there.
      if (spec.strategy.kind !== 'blue-green' && (previous.writesState === true || next.writesState === true))
        throw new RolloutStatefulError(spec.name, 0);
      // Nothing would run it: the node running the agent follows the record only while it runs.
      const state = (await this.p.residency.status(spec.name))?.state;
      if (state !== 'running') throw new RolloutUnsupportedError(spec.name, `it is ${state ?? 'not running'} in the cluster`);
      const rollout = recordedRollout(next, artifact, spec.strategy, spec);
      const agent = await this.p.residency.startRollout!(previous, rollout);
      this.deploys.logTrust(spec.name, trust);
      return { agent, previousVersion: previous.version };
    }
    if (spec.strategy !== undefined) {
      // Beside the running version: the record changes only if and when the rollout promotes it.
      await this.p.rollouts.start(next, artifact.bytes.byteLength, spec.strategy, spec.thresholds);
      this.deploys.logTrust(spec.name, trust);
      return { agent: (await this.p.status(spec.name))!, previousVersion: previous.version };
    }
    const agent = await this.scaling.swapScaled(spec.name, () => this.p.residency.upgrade(previous, next, artifact.bytes.byteLength));
    this.p.o.messaging.replaced?.(spec.name);
    this.deploys.logTrust(spec.name, trust);
    if (spec.topics !== undefined) await this.deploys.pruneTopics(spec.name, spec.topics);
    return { agent, previousVersion: previous.version };
  }

  /**
   * Back to the version the last upgrade replaced: its artifact (read from the store, checked
   * against its digest), limits, config, HTTP policy, signer and language, as version n+1, through
   * the same drain-and-swap as an upgrade. The trust policy is asked again about the signer recorded
   * for that version — a key no longer trusted, or an unsigned artifact under `require`, is refused
   * as an upload would be. State is kept, as in an upgrade.
   */
  async rollback(name: string): Promise<{ agent: AgentStatus; previousVersion: number }> {
    if (this.p.kinds.isKind(name)) {
      const aborted = await this.abortKindRollout(name);
      if (aborted !== undefined) return aborted;
      throw new KindUnsupportedError(
        `rollback of kind ${name} is not available yet (decision 1980)`,
        'upgrade the kind to the previous artifact instead',
      );
    }
    // A rollout's abort first, outside the agent's operation lock: a promotion being carried out
    // takes that lock for its swap (decision 2177), and the abort waits for it.
    const aborted = await this.abortRollout(name);
    if (aborted !== undefined) return aborted;
    return this.p.replicas.exclusive(name, () => this.rollbackNamed(name));
  }

  private async rollbackNamed(name: string): Promise<{ agent: AgentStatus; previousVersion: number }> {
    refuseDuringRollout(this.p.rollouts, name); // one started between the abort and the lock
    const current = await this.p.residency.upgradeBase(name);
    const back = current.previous;
    if (back === undefined) throw new NoPreviousVersionError(name, current.version);
    const trust = this.p.o.trust?.recheck(name, back.artifactDigest, back.signerKeyId) ?? {};
    const bytes = await this.p.o.artifacts.get(back.artifactDigest);
    const { writesState } = await this.p.o.host.prepare(bytes); // cached by digest: the version ran here before
    if (writesState === true) this.scaling.refuseStatefulWhileScaled(name, current);
    const next: AgentRecord = {
      name: current.name,
      createdAt: current.createdAt,
      version: current.version + 1,
      updatedAt: Date.now(),
      ...(writesState === true ? { writesState } : {}),
      artifactDigest: back.artifactDigest,
      limits: back.limits,
      config: back.config,
      ...(back.http !== undefined ? { http: back.http } : {}),
      ...(trust.signerKeyId !== undefined ? { signerKeyId: trust.signerKeyId } : {}),
      ...(back.language !== undefined ? { language: back.language } : {}),
      // The card describes the deployment, not a version: a rollback keeps the current one.
      ...(current.a2aCard !== undefined ? { a2aCard: current.a2aCard } : {}),
      // And the topic allow-list: it is the operator's grant to the deployment (decision 2050).
      ...(current.topics !== undefined ? { topics: current.topics } : {}),
      // And the declared ontologies (decision 2183): what the deployment speaks, not a version.
      ...(current.ontologies !== undefined ? { ontologies: current.ontologies } : {}),
      // And the count it is scaled to (decision 2176).
      ...(current.replicas !== undefined ? { replicas: current.replicas } : {}),
      // And its placement, fixed for the deployment's life (decision 2189): its partition stays.
      ...(current.near !== undefined ? { near: current.near } : {}),
      previous: previousVersionOf(current),
    };
    const agent = await this.scaling.swapScaled(name, () => this.p.residency.upgrade(current, next, bytes.byteLength));
    this.p.o.messaging.replaced?.(name);
    agentLog(this.p.events, name, 'info', `rolled back to the artifact of version ${back.version} (now version ${next.version})`);
    this.deploys.logTrust(name, trust);
    return { agent, previousVersion: current.version };
  }

  /**
   * During a rollout, a rollback is its abort: the new version goes, the running one stays as it
   * is (a promotion still waiting for a held agent is cancelled). Only a promotion whose swap had
   * begun is not undone here (undefined: the caller rolls the promoted version back). Runs no agent
   * code, so the kill switch allows it. Undefined too when no rollout is in progress.
   */
  async abortRollout(name: string): Promise<{ agent: AgentStatus; previousVersion: number } | undefined> {
    if (this.p.kinds.isKind(name)) return this.abortKindRollout(name);
    const starting = this.p.rollouts.isStarting(name) ? this.p.rollouts.busy(name) : undefined;
    if (starting !== undefined) throw new RolloutInProgressError(name, starting);
    const rollout = this.p.rollouts.inProgress(name);
    if (rollout === undefined) return this.abortRecordedRollout(name);
    const ended = await this.p.rollouts.abort(name, 'rolled back by the operator');
    if (ended?.phase === 'promoted') return undefined;
    return { agent: (await this.p.status(name))!, previousVersion: rollout.candidateVersion };
  }

  /**
   * During a kind's rollout by key, its abort (decision 2175): written through this node on either
   * topology, every key goes back to the running version. Undefined when none is recorded.
   */
  private async abortKindRollout(name: string): Promise<{ agent: AgentStatus; previousVersion: number } | undefined> {
    const candidate = this.p.kinds.record(name)?.rollout?.candidate.version;
    const agent = await this.p.kinds.abortRollout(name, 'rolled back by the operator');
    return agent === undefined ? undefined : { agent, previousVersion: candidate ?? agent.version + 1 };
  }

  /**
   * A cluster's rollout running on another node (decision 2171): marked in the record, which that
   * node follows (it aborts it, audited, and removes it). Undefined when none is recorded.
   */
  private async abortRecordedRollout(name: string): Promise<{ agent: AgentStatus; previousVersion: number } | undefined> {
    const ended = await this.p.residency.abortRollout?.(name, 'rolled back by the operator', RECORDED_ROLLOUT_ABORT_WAIT_MS);
    if (ended === undefined) return undefined;
    const status = await this.p.status(name);
    if (status === undefined) throw new NotFoundError('agent', name);
    const view: RolloutView = {
      ...recordedRolloutView(ended),
      phase: 'aborted',
      reason: 'rolled back by the operator',
    };
    return { agent: { ...status, rollout: view }, previousVersion: ended.candidate.version };
  }

  /**
   * A rollout's verdict was promote: the new version becomes the agent's through the ordinary
   * drain and swap, recorded as version n+1 with the replaced one as its previous (decision 1870).
   */
  async promote(candidate: AgentRecord, artifactSize: number, beside: RolloutBeside, cancel: AbortSignal): Promise<void> {
    // The swap runs the new version's init: not while the node is frozen or the agent suspended
    // (decision 1403); an operator's abort meanwhile cancels it.
    // In the agent's operation lock, as an upgrade (decision 2177): a scaled agent's other replicas
    // drain, its own instance is swapped, and every replica runs the promoted version. Held again
    // while it waited for the lock (a freeze or a suspension meanwhile), it waits once more outside it.
    let next: AgentRecord | undefined;
    while (next === undefined) {
      await untilOrCancelled(this.p.o.killSwitch?.untilRunnable(candidate.name) ?? Promise.resolve(), cancel);
      cancel.throwIfAborted();
      next = await this.p.replicas.exclusive(candidate.name, () =>
        this.p.o.killSwitch?.isHeld(candidate.name) === true
          ? Promise.resolve(undefined)
          : this.promoteNow(candidate, artifactSize, beside, cancel),
      );
    }
    // The swap before the rollout's end hands the state back (decision 2171): never side by side.
    await this.p.residency.settle?.(candidate.name);
    this.p.o.messaging.replaced?.(candidate.name);
    // A promoted narrower list removes what it no longer allows, as an upgrade does (decision 2050).
    if (next.topics !== undefined) await this.deploys.pruneTopics(candidate.name, next.topics);
  }

  private async promoteNow(candidate: AgentRecord, artifactSize: number, beside: RolloutBeside, cancel: AbortSignal): Promise<AgentRecord> {
    cancel.throwIfAborted();
    const current = await this.p.residency.upgradeBase(candidate.name);
    // A cluster's rollout ended through another node meanwhile is not promoted (decision 2171).
    const unrecorded =
      this.p.residency.startRollout !== undefined &&
      (current.rollout?.candidate.version !== candidate.version || current.rollout.abort !== undefined);
    if (unrecorded || current.version !== beside.version || current.artifactDigest !== beside.digest) {
      throw new ConflictError(`agent ${candidate.name} is no longer the version ${beside.version} the rollout started beside`, {
        context: { agent: candidate.name, version: current.version, candidateVersion: candidate.version },
        hint: 'the agent was changed during the rollout; upgrade it again if the new version is still wanted',
      });
    }
    const next: AgentRecord = { ...candidate, version: current.version + 1, updatedAt: Date.now(), previous: previousVersionOf(current) };
    if (this.p.residency.promoteRollout !== undefined && beside.recordedAt !== undefined)
      await this.p.residency.promoteRollout(current, next, artifactSize, beside.recordedAt);
    else await this.scaling.swapScaled(candidate.name, () => this.p.residency.upgrade(current, next, artifactSize));
    return next;
  }
}

/** Resolves when `wait` does, or rejects as soon as `cancel` is aborted. */
function untilOrCancelled(wait: Promise<void>, cancel: AbortSignal): Promise<void> {
  if (cancel.aborted) return Promise.reject(cancel.reason as Error);
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => reject(cancel.reason as Error);
    cancel.addEventListener('abort', onAbort, { once: true });
    wait.then(resolve, reject).finally(() => cancel.removeEventListener('abort', onAbort));
  });
}

/** A rollout as the registry records it (decisions 2171, 2175): the next version beside the running one, its thresholds resolved. */
function recordedRollout(
  candidate: AgentRecord,
  artifact: VerifiedArtifact,
  strategy: RolloutStrategy,
  spec: Pick<UpgradeSpec, 'thresholds'>,
): RolloutRecord {
  return {
    candidate,
    artifactSize: artifact.bytes.byteLength,
    strategy,
    thresholds: resolveRolloutThresholds(spec.thresholds ?? {}, 'thresholds'),
    startedAt: Date.now(),
  };
}
