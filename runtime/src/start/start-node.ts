/**
 * One Caxton node: a topology (embedded or cluster: storage adapters, where agents run, start-up
 * order), the sandbox, the bus and the API, composed. Nothing here depends on which topology it is.
 * `startNode` is what `caxton serve` runs; tests and the main job use it in-process too.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { propagation } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { Bus } from '../bus/bus.js';
import { BusEvents } from '../bus/events.js';
import { edgeAdmissionLimits } from '../bus/edge-admission.js';
import { fairnessIgnoredWarning, nodeFairness } from '../bus/shard-fairness.js';
import { failureReply } from '../bus/replies.js';
import { loadTracker, PersistedTracker } from '../node/tracker-persistence.js';
import { startApiServer, DEFAULT_MAX_ARTIFACT_BYTES, type ApiServer } from '../api/server.js';
import { startHealthServer } from '../api/health-server.js';
import {
  isInstanceName,
  isReplicaUnitName,
  replicaOwner,
  KIND_LIMITS,
  parseReplicaInstanceCap,
  resolveTrafficLimits,
  ROLLOUT_BOUNDS,
  type LogEntry,
  type NodeControl,
  type NodeHealth,
} from '@caxton/core';
import { AuditedControl, IN_PROCESS_CALLER, auditArgs } from '../audit/audited-control.js';
import { endedByRestart, findUnendedRollouts, RESTART_REASON, type UnendedScan } from '../audit/unended-rollouts.js';
import { AnchoredAuditTrail } from '../audit/anchored-audit-trail.js';
import type { AuditTrail } from '../audit/audit-trail.js';
import { ensureAuditKey } from '../audit/audit-key.js';
import { nodeHealth, type NodePhase } from '../node/node-health.js';
import { checkConsoleBinding, CONSOLE_CERT_FLAGS, consoleFailure, startConsoleServer, type ConsoleServer } from '../console/server.js';
import { LISTENER_CERT_FLAGS, readListenerTls } from '../listener/index.js';
import { checkMcpBinding, McpConfigError, startMcpServer, type McpEndpoint } from '../mcp/index.js';
import { A2A_TASK_FILE_NAME, A2aConfigError, checkA2aBinding, startA2aServer, type A2aEndpoint } from '../a2a/index.js';
import {
  checkAccAdvertise,
  checkAccBinding,
  checkPlatformName,
  MtpConfigError,
  MtpPeerTable,
  MtpSender,
  startAccServer,
  type AccEndpoint,
} from '../mtp/index.js';
import { AgentLifecycle } from '../node/lifecycle/index.js';
import { parseCandidateKey, type RolloutAudit } from '../node/rollouts/index.js';
import type { AgentMessaging } from '../node/agent-messaging.js';
import { AgentLogs } from '../node/agent-logs.js';
import { TailHub } from '../node/tail-hub.js';
import { ExternalIdentities } from '../node/external-identities.js';
import { LocalNodeControl } from '../node/node-control.js';
import { DirectorySync } from '../node/directory-sync.js';
import { servicesByType } from '../registry/services-by-type.js';
import { UpgradeGate } from '../replay/upgrade-gate.js';
import { Engine, type EngineOptions } from '@caxton/sandbox';
import { AgentTimers } from '../node/timers.js';
import { installNodeMetrics } from './node-metrics.js';
import { AbsentQueueSweeper } from '../node/absent-queues.js';
import { keepPlatformName } from '../mtp/index.js';
import { checkNodeLimits } from './node-limits.js';
import {
  DEFAULT_ABSENT_SWEEP_MS,
  DEFAULT_LIMITS,
  DEFAULT_MAILBOX_CAPACITY,
  MAX_LIMITS,
  resolveNodeId,
  type StartNodeOptions,
} from './options.js';
import { openTopology } from '../topology/open-topology.js';
import type { Topology, TopologyStatus } from '../topology/topology.js';
import { SandboxAgentHost } from '../node/sandbox-host.js';
import { AgentEffects } from '../node/agent-effects.js';
import { NodeTopics } from '../node/topics.js';
import { NodeBusPort } from '../node/bus-port.js';
import { HttpGateway } from '../http/gateway.js';
import { checkPem } from '../http/policy.js';
import type { EgressHold } from '../http/egress-hold.js';
import { HttpEffects } from '../node/http-effects.js';
import { startNodeTelemetry } from './node-telemetry.js';
import { printAgentLogsAsJson } from '../node/agent-log-printer.js';
import { emitLogRecord, type LogTraceIds } from '../telemetry/otlp-log-records.js';
import type { Logger } from '@opentelemetry/api-logs';
import type { RunningTelemetry } from '../telemetry/start-telemetry.js';
import { KillSwitch } from '../node/kill-switch/kill-switch.js';
import { NodeSwitchFile } from '../node/kill-switch/node-switch-file.js';
import { trustPolicyFor } from './trust-option.js';
import type { TrustPolicy, TrustMode } from '../signing/trust.js';

export const CAXTON_VERSION = '0.1.0';

export interface RunningNode {
  nodeId: string;
  apiPort: number;
  /** Where `health` (serve --health-addr) listens, when asked for. */
  healthPort?: number;
  /**
   * The node's control surface for in-process use: the same audited surface the API and the console
   * use (decision 1701), its changes recorded as `in-process` calls.
   */
  control: NodeControl;
  /** Topic subscriptions (decision 1960): what agents subscribe to, for embedders and tests. */
  topics: NodeTopics;
  events: BusEvents;
  /** The web console's address (`http://127.0.0.1:8080/`), when it was asked for. */
  consoleUrl?: string;
  /** http://host:port/mcp when started with `mcp` (decision 1900). */
  mcpUrl?: string;
  /** http://host:port when started with `a2a` (decision 1950); an agent is at `<a2aUrl>/a2a/<name>`. */
  a2aUrl?: string;
  /** http://host:port/acc when started with `mtp` (decision 1910): a peer posts to `<mtpUrl>/<its secret>`. */
  mtpUrl?: string;
  /** The ACC address peers are given (`mtp.advertise`, else `mtpUrl`): in envelopes and the agents' `:addresses`. */
  mtpAdvertised?: string;
  /** The node's platform name: its agents are `<name>@<platform>`. */
  platform: string;
  /** The OpenTelemetry SDK this node registered (options.telemetry), if any. */
  telemetry?: RunningTelemetry;
  /** Which signatures the node requires and whose it trusts (decision 1400). */
  trust: { mode: TrustMode; keyIds: string[] };
  /**
   * The injected clock (`busClock`) jumped forward: protocol deadlines it passed expire (their
   * messages injected), and agent timers now due fire at once instead of after their real-time
   * wait. Resolves when those timers' handlings are done (`caxton test`'s `advance`).
   */
  clockMoved(): Promise<void>;
  /** The earliest time on the injected clock when something waits to happen: an agent timer or a protocol deadline. */
  nextTimerDue(): number | undefined;
  stop(): Promise<void>;
}

export async function startNode(options: StartNodeOptions): Promise<RunningNode> {
  const dataDir = path.resolve(options.dataDir);
  if (options.console) checkConsoleBinding(options.console);
  // Every option a limit table's row bounds, refused before anything starts (decision 2149); read again where used.
  checkNodeLimits(options);
  if (options.maxReplicaInstances !== undefined) parseReplicaInstanceCap(options.maxReplicaInstances, 'startNode'); // likewise (decisions 2010, 2154)
  if (options.mcp) {
    checkMcpBinding(options.mcp);
    if (options.api === false)
      throw new McpConfigError(
        'the MCP endpoint needs the gRPC API: it checks the same tokens',
        'start the node with its API, or without --mcp',
      );
  }
  if (options.a2a) {
    checkA2aBinding(options.a2a);
    if (options.api === false)
      throw new A2aConfigError(
        'the A2A endpoint needs the gRPC API: it checks the same tokens',
        'start the node with its API, or without --a2a',
      );
  }
  // The platform name and the ACC address peers are given are checked before anything starts.
  if (options.platform !== undefined) checkPlatformName(options.platform);
  let accAdvertised: string | undefined;
  if (options.mtp) {
    checkAccBinding(options.mtp);
    accAdvertised = checkAccAdvertise(options.mtp);
    if (options.mtp.caPem !== undefined) {
      try {
        checkPem(options.mtp.caPem, 'mtp.caPem');
      } catch (err) {
        throw new MtpConfigError(
          `--mtp-ca: ${(err as Error).message}`,
          'give --mtp-ca a file of PEM certificates (-----BEGIN CERTIFICATE-----)',
        );
      }
    }
  }
  // Each listener's certificate and key read and checked as a pair now: a bad one is its typed error, not a node half started.
  if (options.mcp?.tls) await readListenerTls(options.mcp.tls, (m, h) => new McpConfigError(m, h), LISTENER_CERT_FLAGS);
  if (options.a2a?.tls) await readListenerTls(options.a2a.tls, (m, h) => new A2aConfigError(m, h), LISTENER_CERT_FLAGS);
  if (options.mtp?.tls) await readListenerTls(options.mtp.tls, (m, h) => new MtpConfigError(m, h), LISTENER_CERT_FLAGS);
  if (options.console?.tls) await readListenerTls(options.console.tls, consoleFailure, CONSOLE_CERT_FLAGS);
  // 0700 as decision 0800 says: the message log, logs and artifacts in here are the node's alone
  // (creating it with the default mode first would defeat ensureAuthToken's 0700).
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // Fixed at the data directory's first start: its records name its agents <name>@<platform>.
  const platform = keepPlatformName(dataDir, options.platform ?? 'caxton');
  const nodeId = resolveNodeId(dataDir, options.nodeId);
  const startedAt = Date.now();
  const trust = await trustPolicyFor(options);
  // Without a registered propagator @opentelemetry/api injects nothing; W3C is what we carry.
  if (propagation.fields().length === 0) propagation.setGlobalPropagator(new W3CTraceContextPropagator());

  // Before anything creates an instrument: a meter taken before the SDK is registered stays a no-op.
  const telemetry = await startNodeTelemetry(options, nodeId, CAXTON_VERSION);
  // What health reports (node-health.ts): filled in as start-up proceeds.
  const life: NodeLife = { phase: 'starting', topology: undefined };
  const health = (): NodeHealth =>
    nodeHealth({
      phase: life.phase,
      logStoppedBy: life.topology?.ports.log.stoppedBy?.(),
      topology: life.topology?.health() ?? { serving: false, reason: 'the node is starting' },
    });
  // Whatever start-up opened is closed again if a later step fails: a half-started node must not
  // keep the process alive (a cluster topology holds Kafka and etcd connections, the host worker threads).
  // Telemetry is undone last, so spans of a failed start still leave.
  const undo: (() => Promise<unknown>)[] = [async () => telemetry?.shutdown()];
  try {
    // The health port listens first, so the kubelet's startup probe sees NOT_SERVING while we join.
    const healthServer = options.health ? await startHealthServer({ ...options.health, health }) : undefined;
    if (healthServer) undo.push(() => healthServer.close());
    const topology = await openTopology(options, dataDir, nodeId, platform);
    life.topology = topology;
    undo.push(() => topology.close());
    const node = await startOnTopology(
      options,
      dataDir,
      nodeId,
      platform,
      startedAt,
      topology,
      undo,
      life,
      health,
      trust,
      telemetry?.logger,
      accAdvertised,
    );
    healthServer?.refresh();
    return {
      ...node,
      ...(healthServer ? { healthPort: healthServer.port } : {}),
      ...(telemetry ? { telemetry } : {}),
      async stop() {
        await node.stop();
        await healthServer?.close();
        // Flushes what is buffered (bounded wait), after the node's last spans have ended.
        await telemetry?.shutdown();
      },
    };
  } catch (err) {
    for (const step of undo.reverse()) await step().catch(() => {});
    throw err;
  }
}

/** The node's phase and topology, as health needs them. */
interface NodeLife {
  phase: NodePhase;
  topology: Topology | undefined;
}

async function startOnTopology(
  options: StartNodeOptions,
  dataDir: string,
  nodeId: string,
  platform: string,
  startedAt: number,
  topology: Topology,
  undo: (() => Promise<unknown>)[],
  life: NodeLife,
  health: () => NodeHealth,
  trust: TrustPolicy,
  otlpLogger: Logger | undefined,
  /** `mtp.advertise`, checked: the ACC address given to peers instead of the bound one. */
  accAdvertised: string | undefined,
): Promise<RunningNode> {
  const storage = topology.ports;
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
  const events = new BusEvents();
  // With OTLP log export every line of the node's agent logs also leaves as a log record (decision 1850).
  const logs = new AgentLogs({
    nodeId,
    linesPerAgent: 1000,
    directory: path.join(dataDir, 'logs'),
    ...(otlpLogger ? { onAppend: (entry: LogEntry, ids: LogTraceIds | undefined) => emitLogRecord(otlpLogger, entry, ids) } : {}),
  });
  // The node's engine settings: its shards' and the upgrade gate's engines (issue 57) are built alike.
  const engineOptions: EngineOptions = {
    ...(options.prepare?.deadlineMs !== undefined ? { prepareDeadlineMs: options.prepare.deadlineMs } : {}),
    ...(options.prepare?.maxHeapMb !== undefined ? { prepareMaxHeapMb: options.prepare.maxHeapMb } : {}),
    ...(options.prepare?.componentLimits !== undefined ? { componentLimits: options.prepare.componentLimits } : {}),
    ...(options.maxArtifactBytes !== undefined ? { maxComponentBytes: options.maxArtifactBytes } : {}),
    // A cached entry that failed its check is prepared again; the operator should know (decision 2135).
    onCacheEntryRefused: (err) => process.stderr.write(`caxton: prepare cache: ${err.message}. ${err.hint ?? ''}\n`),
    // Past its bound the cache drops the least recently used (decision 2141): said, so a cache too small to hold the node's components shows.
    ...(options.prepare?.cacheMaxBytes !== undefined ? { cacheMaxBytes: options.prepare.cacheMaxBytes } : {}),
    onCacheEvicted: (r) =>
      process.stderr.write(
        `caxton: prepare cache: evicted ${r.entries} prepared components and ${r.modules} instrumented modules (${mib(r.bytes)} MiB, least recently used): it held ${mib(r.totalBytes)} MiB, its bound is ${mib(r.maxBytes)} MiB (--prepare-cache-max-mib)\n`,
      ),
  };
  const host = await SandboxAgentHost.create({
    cacheDir: options.prepare?.cacheDir ?? path.join(dataDir, 'cache'),
    shards: options.shards,
    state: storage.state,
    engine: engineOptions,
  });
  undo.push(() => host.close());
  // A new outside sender's name routes from now on (decision 2123).
  const externals = new ExternalIdentities(`operator@${platform}`, undefined, () => host.routing.changed());
  const trackerFile = path.join(dataDir, 'protocols.json');
  const tracker = new PersistedTracker(
    loadTracker(trackerFile, { platformAgent: { name: `ams@${platform}` } }, (m) => process.stderr.write(`caxton: ${m}\n`)),
    trackerFile,
  );
  undo.push(async () => tracker.close());
  // The bus comes first: the agent lifecycle and the timers only call it later, and what the bus
  // needs of them it gets through the port given to open() below (decision 1101).
  const traffic = resolveTrafficLimits(options.traffic);
  // Fairness limits the operator set but several shards turn off: said once, not ignored silently.
  const fairnessIgnored = fairnessIgnoredWarning(options.traffic, host.shardCount);
  if (fairnessIgnored !== undefined) console.warn(`caxton: ${fairnessIgnored}`);
  const bus = new Bus({
    log: storage.log,
    state: storage.state,
    nodeId,
    platform,
    mailboxCapacity: options.mailboxCapacity ?? DEFAULT_MAILBOX_CAPACITY,
    events,
    edgeAdmission: edgeAdmissionLimits(options.edgeAdmission),
    ...(options.busClock ? { now: options.busClock } : {}),
    priorityAgingDispatches: traffic.priorityAgingDispatches,
    breaker: { failures: traffic.breakerFailures, coolDownMs: traffic.breakerCoolDownMs },
    // Small batches, several in flight: the bus thread applies one batch's results while the
    // shards run the next, instead of each waiting for the other (512 × 2 left both threads idle
    // half the time; 64 × 8 doubled throughput in memory mode, decision 1201).
    // Fuel-fair sharing (decision 2136) keeps its accounting per dispatch loop, so it is on only
    // with one shard: with several, a debtor would yield on behalf of agents on other shards.
    // Its limits are the node's traffic limits (serve --fair-*, decision 2140).
    dispatch: {
      maxAttempts: options.maxAttempts ?? 3,
      maxBatch: 64,
      maxPerAgent: 16,
      maxInFlight: 8,
      sendsPerTurn: traffic.sendsPerTurn,
      fairness: nodeFairness(traffic, host.shardCount),
    },
  });
  // The kill switch is read before any agent starts: a node that was frozen restarts frozen, and
  // one joining a frozen cluster starts frozen (decision 1403).
  const killSwitch = new KillSwitch({
    node: new NodeSwitchFile(dataDir),
    ...(topology.sharedSwitch ? { cluster: topology.sharedSwitch } : {}),
    bus: {
      freezeDispatch: () => bus.freezeDispatch(),
      thawDispatch: () => bus.thawDispatch(),
      wake: (a) => bus.wake(a),
      idle: (a) => bus.idle(a),
    },
    say: (line) => process.stderr.write(`caxton: kill switch: ${line}\n`),
  });
  await killSwitch.start();
  undo.push(async () => killSwitch.close());
  const timers = new AgentTimers({
    store: storage.timers,
    state: storage.state,
    maxPerAgent: 1000,
    maxPerInstance: KIND_LIMITS.maxTimersPerInstance,
    // Due times read the node's clock: a test that moves it (clockMoved) moves the timers with it.
    ...(options.busClock ? { now: options.busClock } : {}),
    fire: (agent, token, id, dueAt) => bus.fireTimer(agent, token, id, dueAt),
    warn: (agent, message) => logs.append(agent, { level: 'warn', message: `[caxton] ${message}`, at: Date.now() }),
  });
  const directory = new DirectorySync(storage.directory, host);
  const effects = new AgentEffects(
    timers,
    directory,
    (name) => bus.agentId(name),
    () => topics,
  );
  // What the agent lifecycle needs of the bus (decision 1103): one small interface.
  const messaging: AgentMessaging = {
    wake: (agent) => bus.wake(agent),
    idle: (agent) => bus.idle(agent),
    forget: (agent) => bus.forget(agent),
    deadLetter: (letter) => bus.deadLetter(letter), // written, then told as a `dead-lettered` event (decision 2070)
    refuseNewest: (agent, keep, reason, kind) => bus.refuseNewest(agent, keep, reason, kind),
    agentId: (name) => bus.agentId(name),
    mailboxDepth: (name) => bus.mailboxDepth(name),
    replaced: (name) => bus.resetBreaker(name),
    breaker: (name) => {
      const b = bus.breakerOf(name);
      if (b.state === 'closed') return undefined;
      return { state: b.state, failures: b.failures, ...(b.retryAfterMs !== undefined ? { retryAfterMs: b.retryAfterMs } : {}) };
    },
  };
  // Egress is held per agent; an instance of a kind (decision 1980) is held by its kind's suspension too.
  const egressHold: EgressHold = {
    // A replica unit `X#r<k>` (decision 2093) is held by X's freeze or suspension (review fix 2).
    isHeld: (agent) =>
      killSwitch.isHeld(agent) ||
      (isInstanceName(agent) && killSwitch.isHeld(agent.slice(0, agent.indexOf('/')))) ||
      (isReplicaUnitName(agent) && killSwitch.isHeld(replicaOwner(agent))),
    onChange: (listener) => killSwitch.onChange(listener),
  };
  // Outbound HTTP (decision 1601): answers enter the bus from `http@<platform>`, addressed to the
  // activation that called (a worker's `X#r<k>` too, decision 2163); pending-call records live in
  // the agents' state store (decision 1600).
  const http = new HttpGateway({
    platform,
    send: async (message, messageId) => {
      await bus.send(message, { external: { name: `http@${platform}` }, toActivation: true }, messageId);
    },
    policyOf: (agent) => agents.httpPolicyOf(agent),
    state: storage.state,
    log: (agent, level, message) => logs.append(agent, { level, message, at: Date.now() }),
    // Freeze and suspend hold outbound calls too, not only the dispatch loop (decision 1710).
    hold: egressHold,
  });
  // The FIPA HTTP MTP (decision 1910): agents' messages to peer platforms leave under the same
  // egress rules as their HTTP calls; the return address is known once the ACC listens (below),
  // or is the operator's --mtp-advertise (an ACC behind a wildcard bind, NAT or a proxy).
  let accEndpoint: AccEndpoint | undefined;
  const mtpPeers = options.mtp ? new MtpPeerTable(options.mtp.peers) : undefined;
  const mtpSender =
    options.mtp && mtpPeers
      ? new MtpSender({
          platform,
          peers: mtpPeers,
          accUrl: () => accEndpoint && (accAdvertised ?? accEndpoint.url),
          policyOf: (agent) => agents.httpPolicyOf(agent),
          // Owned here, not "in memory": a passivated instance's posts keep their attempts (review of outboxfix4, round 2).
          isLocal: (agent) => agents.ownsHere(agent),
          // Rejects when the log could not take the failure (only a refusal — the sender gone, its
          // mailbox full — is dropped): the send fails and its handling runs again (review of outboxfix2).
          fail: (original, reason, kind, failureId) =>
            bus.sendPlatformReplies([failureReply(original, bus.platformId, reason, kind)], [failureId], { throwIfNotDurable: true }),
          log: (agent, level, message) => logs.append(agent, { level, message, at: Date.now() }),
          hold: egressHold,
          // Outbox records (durable forwarding) live where pending HTTP calls' records do: the agents' state.
          state: storage.state,
          ...(options.mtp.retry ? { retry: options.mtp.retry } : {}),
          ...(options.mtp.caPem !== undefined ? { caPem: options.mtp.caPem } : {}),
        })
      : undefined;
  const httpEffects = new HttpEffects(http, (agent, message) => logs.append(agent, { level: 'warn', message, at: Date.now() }));
  // Subscriptions are the registry's; `agents` is read only when an agent subscribes.
  const topics: NodeTopics = new NodeTopics({
    store: storage.topics,
    isAgent: (agent) => agents.has(agent),
    patternsOf: (agent) => agents.topicPatternsOf(agent),
  });
  const agents = new AgentLifecycle({
    nodeId,
    artifacts: storage.artifacts,
    host,
    messaging,
    bus,
    log: storage.log,
    state: storage.state,
    residency: topology.residency,
    trust,
    defaults: { ...DEFAULT_LIMITS, ...options.defaultLimits },
    maxLimits: MAX_LIMITS,
    killSwitch,
    ...(options.maxReplicaInstances !== undefined ? { maxReplicaInstances: options.maxReplicaInstances } : {}),
    busEvents: events,
    ...(topology.kinds !== undefined ? { kindStore: topology.kinds } : {}),
    ...(options.kinds !== undefined ? { kindLimits: options.kinds } : {}),
    ...(options.kinds?.onResidency !== undefined ? { onKindResidency: options.kinds.onResidency } : {}),
    // `upgrade --replay` (issue 57): where the topology's log can be read back, and its own engine on the node's prepare cache.
    ...(topology.recordedLogDir !== undefined
      ? {
          replayGate: new UpgradeGate({
            engine: new Engine({ ...engineOptions, cacheDir: options.prepare?.cacheDir ?? path.join(dataDir, 'cache') }),
            logDir: topology.recordedLogDir,
            platform,
            servicesByType: async () => servicesByType(await storage.directory.searchDf({}, 100_000)),
            localAgents: async () => new Set((await storage.agents.listAgents()).map((a) => a.name)),
          }),
        }
      : {}),
    kindTimers: {
      nextDue: (name) => timers.nextDue(name),
      ...(storage.timers.nextDuePerAgent !== undefined
        ? { pending: (matches: (name: string) => boolean) => storage.timers.nextDuePerAgent!(matches) }
        : {}),
      // A stopped kind's passivated instances: their timers go with them (found by the same walk).
      ...(storage.timers.nextDuePerAgent !== undefined
        ? {
            deleteWhere: async (matches: (name: string) => boolean) => {
              for (const e of await storage.timers.nextDuePerAgent!(matches)) await storage.timers.deleteTimers(e.name);
            },
          }
        : {}),
      // The etcd registry: one prefix delete of the kind's instance timers (decision 2060).
      ...(storage.timers.deleteKindTimers !== undefined ? { deleteKind: (kind: string) => storage.timers.deleteKindTimers!(kind) } : {}),
      deleteOf: (name: string) => storage.timers.deleteTimers(name),
      // The etcd registry: a kind's instance timers page by page (a partition assigned here, decision 2060).
      ...(storage.timers.kindTimersDue !== undefined
        ? { ofKind: (kind: string, pageSize: number) => storage.timers.kindTimersDue!(kind, pageSize) }
        : {}),
      // Its wake index, a partition at a time, once complete (decision 2060, *Wake index*).
      ...(storage.timers.partitionWakesDue !== undefined && storage.timers.wakesReady !== undefined
        ? {
            ofPartition: (partition: number, kind: string, pageSize: number) =>
              storage.timers.partitionWakesDue!(partition, kind, pageSize),
            indexed: () => storage.timers.wakesReady!(),
          }
        : {}),
    },
    // What init produced goes through the bus's applier like any handling (issue 24).
    onStarted: (init) => bus.applyInit(init),
    pruneTopics: (agent, patterns) => topics.prune(agent, patterns),
    onStopped: async (agent, undeployed, keepsQueue) => {
      bus.forgetTimers(agent);
      // Stopped with its queue kept, it keeps its subscriptions: a publish while it is absent waits
      // for it in its queue like a named send (decision 2050). A plain stop, later, drops them.
      if (undeployed) await Promise.all([timers.drop(agent), keepsQueue === true ? Promise.resolve() : topics.drop(agent)]);
      else timers.forget(agent);
    },
  });
  // Restart backoff (decision 1720): the dispatcher skips an agent waiting out its delay
  // (isRunnable); this wakes it when the delay is over, so its waiting messages go on.
  // Not unref'd: the waiting messages are work the node has to do; cleared when the node stops.
  const backoffWakes = new Set<NodeJS.Timeout>();
  const removeBackoffWake = host.onRestartDelayed?.((agent, delayMs) => {
    // A rollout's new instance (`X#<version>`) is X's work: X is what waits (decision 2170).
    const waiting = parseCandidateKey(agent)?.agent ?? agent;
    const t = setTimeout(() => {
      backoffWakes.delete(t);
      bus.wake(waiting);
    }, delayMs + 1);
    backoffWakes.add(t);
  });
  if (removeBackoffWake) {
    undo.push(async () => {
      removeBackoffWake();
      for (const t of backoffWakes) clearTimeout(t);
    });
  }
  // Caxton's own lines about an agent (deployed, stopped, could not start, …) go to its log.
  agents.events.onType('agent-log', (e) => logs.append(e.agent, { level: e.level, message: `[caxton] ${e.message}`, at: Date.now() }));
  // --log-format json: agent log lines also go to stdout, as JSON with the handling's trace ids.
  if (options.telemetry?.logFormat === 'json') printAgentLogsAsJson(events, agents.events, nodeId);
  const protocols = topology.protocolGate(tracker, {
    platform,
    bus: () => bus,
    isLocal: (agent) => agents.isLocal(agent),
  });
  const port = new NodeBusPort({
    agents,
    externals,
    gate: protocols,
    executor: host,
    effects,
    timers,
    http: httpEffects,
    topics: storage.topics,
    // Sends the bus refused as unknown are refused on the sender's shard next time (decision 2123).
    unknownReceivers: {
      epoch: () => host.routing.current,
      refused: (agent, receiver, epoch) => host.noteUnknownReceiver(agent, receiver, epoch),
    },
    ...(mtpSender ? { transport: mtpSender } : {}),
    reloadState: (agent) => agents.reloadState(agent),
    // Timers set before a restart, an upgrade or a move fire here from now on; calls this agent
    // made where it ran before (a crash, a failover) lost their answers.
    resumeAgent: async (agent) => {
      await timers.resume(agent);
      void http.recover(agent).catch((err: unknown) => {
        logs.append(agent, {
          level: 'warn',
          message: `[caxton] pending http calls could not be read: ${(err as Error).message}`,
          at: Date.now(),
        });
      });
      // MTP posts the agent's sends left unanswered when a node stopped are posted again (decision 1910).
      void mtpSender?.recover(agent).catch((err: unknown) => {
        logs.append(agent, { level: 'warn', message: `[caxton] mtp outbox could not be read: ${(err as Error).message}`, at: Date.now() });
      });
    },
  });
  events.on(
    (e) => {
      if (e.type === 'log') logs.append(e.agent, e.line, e.trace);
      else if (e.type === 'dead-lettered')
        logs.append(e.agent, { level: 'error', message: `[caxton] message ${e.deliveryId} dead-lettered: ${e.reason}`, at: Date.now() });
      else if (e.type === 'handled' && e.outcome.status === 'crashed') {
        logs.append(e.agent, {
          level: 'error',
          message: `[caxton] crashed handling ${e.messageId} (attempt ${e.attempt}): ${e.outcome.kind}: ${e.outcome.message}`,
          at: Date.now(),
        });
      } else if (e.type === 'breaker') {
        logs.append(e.agent, {
          level: e.to === 'closed' ? 'info' : 'warn',
          message: `[caxton] circuit breaker ${e.from} -> ${e.to} (${breakerReason(e.reason, e.failures)})`,
          at: e.at,
        });
      }
    },
    ['log', 'dead-lettered', 'handled', 'breaker'],
  ); // only these: the bus skips building events nobody wants

  // Metrics (decision 1301): nothing is installed unless the process registered a MeterProvider.
  const removeMetrics = installNodeMetrics({
    events,
    topology,
    runSamples: host.runSamples ? () => host.runSamples() : undefined,
    mailboxDepth: (agent) => bus.mailboxDepth(agent),
    mailboxCapacity: options.mailboxCapacity ?? DEFAULT_MAILBOX_CAPACITY,
    timersPending: (agent) => timers.pending(agent),
    breakersOpen: () => bus.breakersOpen(),
    absentQueued: () => agents.names().reduce((n, agent) => (agents.absence(agent) === undefined ? n : n + bus.mailboxDepth(agent)), 0),
  });
  undo.push(async () => removeMetrics());

  // The control and its audit before the log is consumed: a rollout the restart ended is closed
  // through it while the agents are restored, before anything is handled.
  let stopping = false;
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
    status: () => selfAddressed(topology.status(agents)),
    isStopping: () => stopping,
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
  // The log opens first (what agents' init sends must be accepted); the topology orders the rest.
  await topology.beforeApi({
    openLog: () => bus.open(port),
    restoreAgents: async () => {
      await agents.restore();
      // Its closing record, and it is shown ended (decision 1871: a rollout does not survive a restart).
      if (unendedScan !== undefined && unendedScan.unended.length > 0) {
        // Not fatal: a rollout not closed is reported, the node still starts (as a failed scan).
        await closeUnendedRollouts(unendedScan, agents, audited).catch((err: unknown) =>
          console.error('caxton: audit trail: closing rollouts the restart ended:', err),
        );
      }
    },
    consume: async () => {
      await bus.open(port);
      await bus.start();
    },
  });
  timers.start(); // only now can what a timer's handling sends be accepted
  await agents.startTimerWakes(); // and passivated instances be woken for theirs
  // Absent agents' queues (decision 1990): messages past their TTL are dead-lettered `absent-ttl`.
  const absentSweeper = new AbsentQueueSweeper({
    agents,
    expire: async (agent, ttlMs, since) => {
      // Asked before each letter: still absent here (not deployed again meanwhile) and, in a
      // cluster, still this node's to hold (the claim with its margin: the fence of a completion).
      const held = (): boolean => agents.absence(agent) !== undefined && agents.holdsQueue(agent);
      // Expiry first: what it takes out makes room before anything is trimmed past the bound.
      const expired = await bus.expireAbsent(agent, ttlMs, since, held);
      // In a cluster, sends through other nodes reach this (the holding) node's queue unbounded: trimmed here.
      const limit = agents.absence(agent)?.queue;
      const trimmed = limit === undefined || agents.ownership() === undefined || !held() ? 0 : await bus.trimAbsent(agent, limit, held);
      return expired + trimmed;
    },
    noteAbsence: (agent) => bus.noteAbsence(agent),
    intervalMs: options.absentSweepMs ?? DEFAULT_ABSENT_SWEEP_MS,
    // A cluster's shared count (decision 2157): the deliveries held here replace the places their sends took.
    publish: () => agents.publishAbsentQueues((agent) => bus.pendingIds(agent)),
    warn: (agent, message) => logs.append(agent, { level: 'warn', message: `[caxton] ${message}`, at: Date.now() }),
  });
  absentSweeper.start();
  undo.push(() => absentSweeper.stop());
  undo.push(() => bus.stop());
  undo.push(async () => agents.close()); // runs before the bus stops: no passivation starts on a stopping node

  // The log is open and consumed: from here health is the topology's (cluster: membership) and the log's.
  life.phase = 'running';

  let api: ApiServer | undefined;
  // The topology knows only the configured port; with --api-port 0 that is `:0`, which nobody can
  // dial. This node's entry shows where its API really listens.
  const selfAddressed = async (s: Promise<TopologyStatus>): Promise<TopologyStatus> => {
    const status = await s;
    if (!api) return status;
    const address = `${options.apiHost}:${api.port}`;
    return { ...status, nodes: status.nodes.map((n) => (n.self ? { ...n, address } : n)) };
  };
  if (options.api !== false) {
    api = await startApiServer({
      node: control,
      host: options.apiHost,
      port: options.apiPort,
      dataDir,
      auth: options.auth,
      ...(options.tls ? { tls: options.tls } : {}),
      ...(options.maxArtifactBytes !== undefined ? { maxArtifactBytes: options.maxArtifactBytes } : {}),
      audit: { trail: auditTrail, nodeId, recordReads: options.audit?.recordReads ?? false, control: audited },
    });
    const started = api;
    undo.push(() => started.close(2000));
  }
  let consoleServer: ConsoleServer | undefined;
  if (options.console) {
    consoleServer = await startConsoleServer({
      ...options.console,
      control,
      audited,
      events,
      log: storage.log,
      dataDir,
      auth: options.auth,
      platform,
      ...(api ? { resolvePrincipal: api.resolvePrincipal } : {}),
      conversations: (initiator, conversationId) => tracker.inspect(initiator, conversationId),
      maxArtifactBytes: options.maxArtifactBytes ?? DEFAULT_MAX_ARTIFACT_BYTES,
      ...(options.kafka ? { cluster: options.cluster?.name ?? 'default' } : {}),
    });
    const started = consoleServer;
    undo.push(() => started.close());
  }
  let mcpEndpoint: McpEndpoint | undefined;
  if (options.mcp) {
    if (!api)
      throw new McpConfigError(
        'the MCP endpoint needs the gRPC API: it checks the same tokens',
        'start the node with its API, or without --mcp',
      );
    mcpEndpoint = await startMcpServer({
      ...options.mcp,
      control,
      audited,
      resolvePrincipal: api.resolvePrincipal,
      version: CAXTON_VERSION,
    });
    const started = mcpEndpoint;
    undo.push(() => started.close());
  }
  let a2aEndpoint: A2aEndpoint | undefined;
  if (options.a2a) {
    if (!api)
      throw new A2aConfigError(
        'the A2A endpoint needs the gRPC API: it checks the same tokens',
        'start the node with its API, or without --a2a',
      );
    a2aEndpoint = await startA2aServer({
      ...options.a2a,
      control,
      audited,
      resolvePrincipal: api.resolvePrincipal,
      // Tasks outlive a restart (decision 2040): the node's own data directory, like its protocol state.
      taskFile: path.join(dataDir, A2A_TASK_FILE_NAME),
      warn: (m) => process.stderr.write(`caxton: ${m}\n`),
    });
    const started = a2aEndpoint;
    undo.push(() => started.close());
  }
  if (options.mtp && mtpPeers) {
    accEndpoint = await startAccServer({
      host: options.mtp.host,
      port: options.mtp.port,
      platform,
      peers: mtpPeers,
      control,
      audited,
      ...(options.mtp.tls ? { tls: options.mtp.tls } : {}),
      ...(options.mtp.insecure ? { insecure: true } : {}),
      ...(options.mtp.maxBodyBytes !== undefined ? { maxBodyBytes: options.mtp.maxBodyBytes } : {}),
    });
    const started = accEndpoint;
    undo.push(() => started.close());
    mtpSender?.listening(); // posts waiting for a return address (replayed at start) go on
  }
  // A cluster joins placement here: it announces the API address peers show in `caxton status`,
  // the real port, so after listen.
  undo.push(() => topology.stopAgents());
  await topology.afterApi({ apiAddress: `${options.apiHost}:${api?.port ?? options.apiPort}` });
  api?.refreshHealth();

  return {
    nodeId,
    platform,
    apiPort: api?.port ?? 0,
    control: audited.as(IN_PROCESS_CALLER),
    topics,
    events,
    ...(consoleServer ? { consoleUrl: consoleServer.url } : {}),
    ...(mcpEndpoint ? { mcpUrl: mcpEndpoint.url } : {}),
    ...(a2aEndpoint ? { a2aUrl: a2aEndpoint.origin } : {}),
    ...(accEndpoint ? { mtpUrl: accEndpoint.url, mtpAdvertised: accAdvertised ?? accEndpoint.url } : {}),
    trust: { mode: trust.mode, keyIds: trust.keyIds },
    clockMoved: async () => {
      await bus.clockMoved();
      await timers.clockMoved();
    },
    nextTimerDue: () => {
      const timer = timers.nextWaitingDue();
      const deadline = bus.nextDeadline();
      return timer === undefined ? deadline : deadline === undefined ? timer : Math.min(timer, deadline);
    },
    async stop(): Promise<void> {
      if (stopping) return;
      stopping = true;
      life.phase = 'stopping';
      // First: no instance activates, passivates or dead-letters its mail on a stopping node (the
      // kill switch and the sandbox close below fail what is in flight; the log keeps the mail).
      agents.close();
      agents.rollouts.close(); // a rollout ends with the node: the registry record names the running version (decision 1871)
      await consoleServer?.close();
      await mcpEndpoint?.close();
      await a2aEndpoint?.close();
      await accEndpoint?.close();
      await api?.close(2000);
      await bus.stopDispatching();
      await absentSweeper.stop();
      killSwitch.close();
      httpEffects.close();
      await mtpSender?.close();
      await http.close(); // calls cut here keep their records: the next activation answers them
      timers.clearAll();
      directory.stop();
      await topology.stopAgents();
      removeMetrics(); // before the sandbox closes: a collection must not ask a closed pool
      await host.close();
      await bus.stop();
      life.phase = 'stopped';
      tracker.close();
      await topology.close();
      logs.flush();
    },
  };
}

/** Why a circuit breaker moved, for the agent's log (decision 1921). */
function breakerReason(reason: string, failures: number): string {
  switch (reason) {
    case 'failures':
      return `${failures} deliveries failed in a row: new sends are refused for the cool-down`;
    case 'cool-down':
      return 'cool-down over: the next message is let through as a probe';
    case 'probe-failed':
      return 'the probe failed: refusing again for another cool-down';
    case 'handled':
      return 'a delivery was handled: sends pass again';
    default:
      return 'the agent was replaced: sends pass again';
  }
}

/** The rollouts the trail shows open (decision 1871); undefined if the trail could not be read (reported). */
async function scanUnendedRollouts(auditTrail: AuditTrail): Promise<UnendedScan | undefined> {
  try {
    const scan = await findUnendedRollouts(auditTrail);
    if (!scan.reachedStart) {
      console.warn(
        `caxton: audit trail: looked for unended rollouts in the last ${ROLLOUT_BOUNDS.unendedScanRecords} records only (from record ${scan.from}): a rollout started before them is not closed, and shows no end in the trail`,
      );
    }
    return scan;
  } catch (err) {
    console.error('caxton: audit trail: looking for rollouts the restart ended (none closed):', err);
    return undefined;
  }
}

/** Writes the closing record of each rollout the scan found open, and shows it ended. */
async function closeUnendedRollouts(scan: UnendedScan, agents: AgentLifecycle, audited: AuditedControl): Promise<void> {
  for (const unended of scan.unended) {
    // A kind's rollout by key is in its record (decision 2175): it goes on after the restart, and its end is recorded when it ends.
    if (agents.kinds.record(unended.agent)?.rollout !== undefined) continue;
    const running = await agents.status(unended.agent).catch(() => undefined);
    const fields = {
      strategy: unended.strategy,
      outcome: 'aborted',
      reason: RESTART_REASON,
      ...(running !== undefined ? { version: String(running.version + 1) } : {}),
    };
    await audited
      .change(
        { ...IN_PROCESS_CALLER, peer: 'rollout-controller' },
        { method: 'AbortRollout', args: auditArgs({ agent: unended.agent, ...fields }, { agent: unended.agent, ...fields }) },
        async () => {
          if (running !== undefined) agents.rollouts.restore(unended.agent, endedByRestart(unended, running.version + 1));
        },
      )
      .catch((err: unknown) => console.error(`caxton: audit trail: closing the rollout of ${unended.agent} the restart ended:`, err));
  }
}

/** Bytes as MiB with one decimal, for the prepare cache's eviction line. */
function mib(bytes: number): string {
  return (bytes / 1024 ** 2).toFixed(1);
}
