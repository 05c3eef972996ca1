/** What the bus needs of the node (decision 1101): one port over the agents, the protocols, the sandbox and the effects. */
import type { Bus } from '../bus/bus.js';
import type { AgentEffects } from '../node/agent-effects.js';
import type { AgentLogs } from '../node/agent-logs.js';
import { NodeBusPort } from '../node/bus-port.js';
import type { ExternalIdentities } from '../node/external-identities.js';
import type { AgentLifecycle } from '../node/lifecycle/index.js';
import type { SandboxAgentHost } from '../node/sandbox-host.js';
import type { AgentTimers } from '../node/timers.js';
import path from 'node:path';
import { loadTracker, PersistedTracker } from '../node/tracker-persistence.js';
import { OntologyGate } from '../ontology/index.js';
import type { NodeEgress } from './node-egress.js';
import type { StartContext } from './start-context.js';

export function createNodePort(
  ctx: StartContext,
  deps: {
    bus: Bus;
    agents: AgentLifecycle;
    externals: ExternalIdentities;
    tracker: PersistedTracker;
    host: SandboxAgentHost;
    effects: AgentEffects;
    timers: AgentTimers;
    egress: NodeEgress;
    logs: AgentLogs;
  },
): NodeBusPort {
  const { platform, topology } = ctx;
  const storage = topology.ports;
  const { bus, agents, externals, tracker, host, effects, timers, logs } = deps;
  const { http, httpEffects, mtpSender } = deps.egress;
  // Declared ontologies are checked before the tracker sees the message (decision 2183): content a
  // receiver does not understand advances no conversation.
  const protocols = new OntologyGate(
    topology.protocolGate(tracker, {
      platform,
      bus: () => bus,
      isLocal: (agent) => agents.isLocal(agent),
    }),
    { platform, ontologiesOf: (agent) => agents.ontologiesOf(agent) },
  );
  return new NodeBusPort({
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
}

/** The interaction protocols' conversations (decision 1110), kept in the node's data directory. */
export function openTracker(ctx: StartContext): PersistedTracker {
  const { dataDir, platform, undo } = ctx;
  const trackerFile = path.join(dataDir, 'protocols.json');
  const tracker = new PersistedTracker(
    loadTracker(trackerFile, { platformAgent: { name: `ams@${platform}` } }, (m) => process.stderr.write(`caxton: ${m}\n`)),
    trackerFile,
  );
  undo.push(async () => tracker.close());
  return tracker;
}
