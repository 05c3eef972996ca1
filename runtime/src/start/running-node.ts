/** A started node as its embedder holds it, and the order it stops in. */
import { IN_PROCESS_CALLER, type AuditedControl } from '../audit/audited-control.js';
import type { Bus } from '../bus/bus.js';
import type { BusEvents } from '../bus/events.js';
import type { NodeControl } from '@caxton/core';
import type { AbsentQueueSweeper } from '../node/absent-queues.js';
import type { AgentLogs } from '../node/agent-logs.js';
import type { DirectorySync } from '../node/directory-sync.js';
import type { KillSwitch } from '../node/kill-switch/kill-switch.js';
import type { AgentLifecycle } from '../node/lifecycle/index.js';
import type { SandboxAgentHost } from '../node/sandbox-host.js';
import type { AgentTimers } from '../node/timers.js';
import type { NodeTopics } from '../node/topics.js';
import type { PersistedTracker } from '../node/tracker-persistence.js';
import type { RunningTelemetry } from '../telemetry/start-telemetry.js';
import type { TrustMode } from '../signing/trust.js';
import type { NodeEgress } from './node-egress.js';
import type { NodeServers } from './node-servers.js';
import type { StartContext } from './start-context.js';

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
  /** The platform's MTP signing keys' ids and public keys (decision 2188), the signing one first: what peers list. */
  mtpSigningKeys?: readonly { id: string; publicKey: string }[];
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
  /** Every handling in flight finished and its effects (timers set) applied: see ClockedTimers.settle. */
  settle(): Promise<void>;
  /** The earliest time on the injected clock when something waits to happen: an agent timer or a protocol deadline. */
  nextTimerDue(): number | undefined;
  stop(): Promise<void>;
}

/** What a started node holds, to stop in order. */
export interface NodeParts {
  bus: Bus;
  events: BusEvents;
  agents: AgentLifecycle;
  topics: NodeTopics;
  timers: AgentTimers;
  host: SandboxAgentHost;
  killSwitch: KillSwitch;
  directory: DirectorySync;
  egress: NodeEgress;
  servers: NodeServers;
  audited: AuditedControl;
  absentSweeper: AbsentQueueSweeper;
  tracker: PersistedTracker;
  logs: AgentLogs;
  removeMetrics: () => void;
  /** Set once `stop` began (the control's `isStopping`). */
  stopping: { now: boolean };
}

export function runningNode(ctx: StartContext, p: NodeParts): RunningNode {
  const { nodeId, platform, trust, life, topology } = ctx;
  const { bus, agents, timers, host, killSwitch, directory, audited, absentSweeper, tracker, logs, removeMetrics, topics, events } = p;
  const { api, consoleServer, mcpEndpoint, a2aEndpoint, accEndpoint } = p.servers;
  const { http, httpEffects, mtpSender, mtpSigning } = p.egress;
  const accAdvertised = ctx.accAdvertised;
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
    ...(mtpSigning ? { mtpSigningKeys: mtpSigning.keys } : {}),
    trust: { mode: trust.mode, keyIds: trust.keyIds },
    clockMoved: async () => {
      await bus.clockMoved();
      await timers.clockMoved();
    },
    settle: () => bus.settled(),
    nextTimerDue: () => {
      const timer = timers.nextWaitingDue();
      const deadline = bus.nextDeadline();
      return timer === undefined ? deadline : deadline === undefined ? timer : Math.min(timer, deadline);
    },
    async stop(): Promise<void> {
      if (p.stopping.now) return;
      p.stopping.now = true;
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
      try {
        // Before the registry closes under it: anchors still being written behind sends (decision 2196).
        await audited.close(); // the refusal summaries still owed, while the trail is open
        await audited.trail.close();
      } finally {
        await topology.close();
        await logs.close();
      }
    },
  };
}
