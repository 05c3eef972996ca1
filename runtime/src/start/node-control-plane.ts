/**
 * The node's control and its audit (decision 1701): every way in that changes the node goes through
 * one audited object; a rollout's automatic steps and the node's own scale-backs are recorded too.
 * Built before the log is consumed: a rollout the restart ended is closed through it while the
 * agents are restored, before anything is handled.
 */
import { AuditedControl, IN_PROCESS_CALLER, auditArgs } from '../audit/audited-control.js';
import type { AuditTrail } from '../audit/audit-trail.js';
import type { Bus } from '../bus/bus.js';
import type { BusEvents } from '../bus/events.js';
import type { HttpGateway } from '../http/gateway.js';
import type { MtpPeerTable } from '../mtp/index.js';
import type { AgentLogs } from '../node/agent-logs.js';
import type { DirectorySync } from '../node/directory-sync.js';
import type { ExternalIdentities } from '../node/external-identities.js';
import type { KillSwitch } from '../node/kill-switch/kill-switch.js';
import type { AgentLifecycle } from '../node/lifecycle/index.js';
import { LocalNodeControl } from '../node/node-control.js';
import type { RolloutAudit } from '../node/rollouts/index.js';
import { TailHub } from '../node/tail-hub.js';
import type { NodeTopics } from '../node/topics.js';
import type { TopologyStatus } from '../topology/topology.js';
import { CAXTON_VERSION } from './version.js';
import { AnchoredAuditTrail } from '../audit/anchored-audit-trail.js';
import { ensureAuditKey } from '../audit/audit-key.js';
import type { UnendedScan } from '../audit/unended-rollouts.js';
import { scanUnendedRollouts } from './unended-rollouts-at-start.js';
import type { StartContext } from './start-context.js';

export async function createControlPlane(
  ctx: StartContext,
  deps: {
    agents: AgentLifecycle;
    bus: Bus;
    topics: NodeTopics;
    logs: AgentLogs;
    events: BusEvents;
    http: HttpGateway;
    externals: ExternalIdentities;
    killSwitch: KillSwitch;
    directory: DirectorySync;
    auditTrail: AuditTrail;
    mtpPeers: MtpPeerTable | undefined;
    /** The topology's status, this node's entry with the address its API really listens on. */
    status: () => Promise<TopologyStatus>;
    isStopping: () => boolean;
  },
): Promise<{ control: LocalNodeControl; audited: AuditedControl }> {
  const { options, nodeId, platform, startedAt, undo, health } = ctx;
  const storage = ctx.topology.ports;
  const { agents, bus, topics, logs, events, http, externals, killSwitch, directory, auditTrail, mtpPeers } = deps;
  // The control and its audit before the log is consumed: a rollout the restart ended is closed
  // through it while the agents are restored, before anything is handled.
  const control = new LocalNodeControl({
    nodeId,
    platform,
    version: CAXTON_VERSION,
    startedAt,
    agents,
    bus,
    directory: storage.directory,
    topics,
    logs,
    tail: new TailHub(events, http.events, platform),
    externals,
    status: deps.status,
    isStopping: deps.isStopping,
    logStoppedBy: () => storage.log.stoppedBy?.(),
    health,
    state: storage.state,
    log: storage.log,
    killSwitch,
    ...(options.idempotency ? { idempotency: options.idempotency } : {}),
    ...(mtpPeers ? { isPeerPlatform: (p: string) => mtpPeers.byName(p) !== undefined } : {}),
  });
  // Every way in that changes the node goes through this one object, which writes each change
  // ahead to the audit trail (decision 1701): the API, the console and `RunningNode.control`.
  const audited = new AuditedControl({
    control,
    trail: auditTrail,
    nodeId,
    report: (err, what) => console.error(`caxton: audit trail: ${what}:`, err),
    // Outside sends are admitted before their intent is written (decision 1810).
    admitSend: (message, lane) => control.admitSend(message, lane),
  });
  // A start that fails later still writes the refusal summaries owed (undo runs before the trail closes).
  undo.push(() => audited.close());
  // A rollout's automatic steps (promote, roll back) are recorded like an operator's change (decision 1871).
  const rolloutAudit: RolloutAudit = (method, agent, fields, effect) =>
    audited.change(
      { ...IN_PROCESS_CALLER, peer: 'rollout-controller' },
      { method, args: auditArgs({ agent, ...fields }, { agent, ...fields }) },
      effect,
    );
  agents.rollouts.auditWith(rolloutAudit);
  agents.kinds.rollouts.auditWith(rolloutAudit); // a kind's rollout by key (decision 2175)
  await directory.start();
  undo.push(async () => directory.stop());
  // Scaling an agent back to one replica by itself (it wrote durable state, a replica failed, or it
  // could not be restored at start-up) is recorded the same way (decision 2010). Wired before the
  // topology restores and consumes: restored replicas take work at once, and what they trigger is audited.
  agents.replicas.auditWith((agent, fields, effect) =>
    audited.change(
      { ...IN_PROCESS_CALLER, peer: 'replicas' },
      { method: 'ScaleAgent', args: auditArgs({ agent, ...fields }, { agent, ...fields }) },
      effect,
    ),
  );
  return { control, audited };
}

/** The node's audit trail, and the rollouts it shows open (read before anything runs). */
export async function openAuditTrail(ctx: StartContext): Promise<{ auditTrail: AnchoredAuditTrail; unendedScan: UnendedScan | undefined }> {
  const { options, dataDir, nodeId } = ctx;
  const storage = ctx.topology.ports;
  // Before anything runs: a trail that lost records since its anchor is not continued silently
  // (decision 1750); every later record is anchored in the registry once durable.
  const auditTrail = await AnchoredAuditTrail.open({
    trail: storage.audit,
    anchors: storage.auditAnchors,
    key: await ensureAuditKey(dataDir),
    nodeId,
    acceptTruncation: options.audit?.acceptTruncation ?? false,
    report: (err, what) => console.error(`caxton: audit trail: ${what}:`, err),
  });
  // Rollouts this node started that the trail shows with no end (decision 1871), read now, before
  // anything runs: nothing may await the trail once the log is consumed and before this returns,
  // or what is handled meanwhile goes by before the embedder can listen (issue 28). Cluster nodes
  // refuse rollouts, so they have none to close; a failed scan is reported, not fatal.
  const unendedScan = options.kafka || options.etcd ? undefined : await scanUnendedRollouts(auditTrail);
  return { auditTrail, unendedScan };
}
