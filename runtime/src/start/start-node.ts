/**
 * One Caxton node: a topology (embedded or cluster: storage adapters, where agents run, start-up
 * order), the sandbox, the bus and the API, composed. Nothing here depends on which topology it is.
 * `startNode` is what `caxton serve` runs; tests and the main job use it in-process too. Each step
 * of the composition is its own function beside this file (node-*.ts), in the order below.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { propagation } from '@opentelemetry/api';
import type { NodeHealth } from '@caxton/core';
import { BusEvents } from '../bus/events.js';
import { startHealthServer } from '../api/health-server.js';
import { nodeHealth } from '../node/node-health.js';
import { keepPlatformName } from '../mtp/index.js';
import { AgentEffects } from '../node/agent-effects.js';
import { DirectorySync } from '../node/directory-sync.js';
import { ExternalIdentities } from '../node/external-identities.js';
import { NodeTopics } from '../node/topics.js';
import { openTopology } from '../topology/open-topology.js';
import type { TopologyStatus } from '../topology/topology.js';
import { startNodeTelemetry } from './node-telemetry.js';
import { NodeW3CPropagator } from '../telemetry/w3c-context.js';
import { resolveNodeId, type StartNodeOptions } from './options.js';
import { trustPolicyFor } from './trust-option.js';
import { checkStartOptions } from './start-checks.js';
import type { NodeLife, StartContext } from './start-context.js';
import { startSandbox } from './node-sandbox.js';
import { agentMessaging, createNodeBus, egressHoldOf, startKillSwitch } from './node-bus.js';
import { createEgress } from './node-egress.js';
import { createAgents, createTimers, installMetrics, openAndConsume, wakeAfterBackoff } from './node-agents.js';
import { createAgentLogs, routeNodeLogs } from './node-logs.js';
import { createNodePort, openTracker } from './node-port.js';
import { createControlPlane, openAuditTrail } from './node-control-plane.js';
import { startAbsentSweeper } from './node-absent-sweeper.js';
import { startServers } from './node-servers.js';
import type { ApiServer } from '../api/server.js';
import { runningNode, type RunningNode } from './running-node.js';
import { CAXTON_VERSION } from './version.js';

export { CAXTON_VERSION, type RunningNode };

export async function startNode(options: StartNodeOptions): Promise<RunningNode> {
  const dataDir = path.resolve(options.dataDir);
  const accAdvertised = await checkStartOptions(options);
  // 0700 as decision 0800 says: the message log, logs and artifacts in here are the node's alone
  // (creating it with the default mode first would defeat ensureAuthToken's 0700).
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // Fixed at the data directory's first start: its records name its agents <name>@<platform>.
  const platform = keepPlatformName(dataDir, options.platform ?? 'caxton');
  const nodeId = resolveNodeId(dataDir, options.nodeId);
  const startedAt = Date.now();
  const trust = await trustPolicyFor(options);
  // Without a registered propagator @opentelemetry/api injects nothing; W3C is what we carry.
  if (propagation.fields().length === 0) propagation.setGlobalPropagator(new NodeW3CPropagator());

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
    const node = await startOnTopology({
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
      otlpLogger: telemetry?.logger,
      accAdvertised,
    });
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

/** The node on its topology: each step in order, what it opens closed again by `undo` if a later one fails. */
async function startOnTopology(ctx: StartContext): Promise<RunningNode> {
  const { options, platform, topology, undo, life } = ctx;
  const storage = topology.ports;
  const { auditTrail, unendedScan } = await openAuditTrail(ctx);
  const events = new BusEvents();
  const logs = createAgentLogs(ctx);
  const { host, engineOptions } = await startSandbox(ctx);
  // A new outside sender's name routes from now on (decision 2123).
  const externals = new ExternalIdentities(`operator@${platform}`, undefined, () => host.routing.changed());
  const tracker = openTracker(ctx);
  const bus = createNodeBus(ctx, events, host);
  const killSwitch = await startKillSwitch(ctx, bus);
  const timers = createTimers(ctx, bus, logs);
  const directory = new DirectorySync(storage.directory, host, (agent) => Object.keys(agents.ontologiesOf(bus.agentName(agent)) ?? {}));
  const effects = new AgentEffects(
    timers,
    directory,
    (name) => bus.agentId(name),
    () => topics,
  );
  const messaging = agentMessaging(bus);
  const egress = createEgress(ctx, {
    bus,
    logs,
    egressHold: egressHoldOf(killSwitch),
    policyOf: (agent) => agents.httpPolicyOf(agent),
    // Owned here, not "in memory": a passivated instance's posts keep their attempts (review of outboxfix4, round 2).
    isLocal: (agent) => agents.ownsHere(agent),
  });
  // Subscriptions are the registry's; `agents` is read only when an agent subscribes.
  const topics: NodeTopics = new NodeTopics({
    store: storage.topics,
    isAgent: (agent) => agents.has(agent),
    patternsOf: (agent) => agents.topicPatternsOf(agent),
  });
  const agents = createAgents(ctx, { host, messaging, bus, killSwitch, events, timers, topics, engineOptions });
  wakeAfterBackoff(host, bus, undo);
  routeNodeLogs(ctx, events, agents, logs);
  const port = createNodePort(ctx, { bus, agents, externals, tracker, host, effects, timers, egress, logs });
  const removeMetrics = installMetrics(ctx, { events, host, bus, timers, agents });
  const stopping = { now: false };
  const listening: { api?: ApiServer } = {};
  const { control, audited } = await createControlPlane(ctx, {
    ...{ agents, bus, topics, logs, events, http: egress.http, externals, killSwitch, directory, auditTrail },
    mtpPeers: egress.mtpPeers,
    status: () => selfAddressed(topology.status(agents), options.apiHost, listening.api?.port),
    isStopping: () => stopping.now,
  });
  await openAndConsume(ctx, { bus, port, agents, timers, unendedScan, audited });
  const absentSweeper = startAbsentSweeper(ctx, agents, bus, logs);
  undo.push(() => bus.stop());
  undo.push(async () => agents.close()); // runs before the bus stops: no passivation starts on a stopping node

  // The log is open and consumed: from here health is the topology's (cluster: membership) and the log's.
  life.phase = 'running';
  const servers = await startServers(ctx, { control, audited, auditTrail, events, tracker, egress, listening });
  // A cluster joins placement here: it announces the API address peers show in `caxton status`,
  // the real port, so after listen.
  undo.push(() => topology.stopAgents());
  await topology.afterApi({ apiAddress: `${options.apiHost}:${servers.api?.port ?? options.apiPort}` });
  servers.api?.refreshHealth();
  const parts = { bus, events, agents, topics, timers, host, killSwitch, directory, egress, servers, audited, absentSweeper };
  return runningNode(ctx, { ...parts, tracker, logs, removeMetrics, stopping });
}

/**
 * The topology knows only the configured port; with --api-port 0 that is `:0`, which nobody can
 * dial. This node's entry shows where its API really listens.
 */
async function selfAddressed(s: Promise<TopologyStatus>, apiHost: string, apiPort: number | undefined): Promise<TopologyStatus> {
  const status = await s;
  if (apiPort === undefined) return status;
  const address = `${apiHost}:${apiPort}`;
  return { ...status, nodes: status.nodes.map((n) => (n.self ? { ...n, address } : n)) };
}
