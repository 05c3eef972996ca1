/**
 * The embedded topology: one node, the on-disk message log (or an in-memory one), registry and
 * artifacts under the data directory; every deployed agent runs here (EveryAgentLocal).
 */
import path from 'node:path';
import { resolveAgentReplayHistory, resolveReplayHistory } from '@caxton/core';
import type { TopologyOptions } from '../topology-options.js';
import { EmbeddedMessageLog } from '../../log/embedded/index.js';
import { MemoryMessageLog } from '../../log/memory/memory-message-log.js';
import { EmbeddedRegistry } from '../../registry/embedded/embedded-registry.js';
import { FileArtifactStore } from '../../artifacts/file-artifact-store.js';
import type { Topology } from '../topology.js';
import { EveryAgentLocal } from './every-agent-local.js';
import { embeddedHistoryReader } from '../../replay/embedded-history.js';
import { installEmbeddedLogMetrics } from '../../log/log-metrics.js';
import { FileAuditTrail } from '../../audit/file-audit-trail.js';

export async function openEmbeddedTopology(options: TopologyOptions, dataDir: string, nodeId: string): Promise<Topology> {
  const logDir = path.join(dataDir, 'log');
  const registryDir = path.join(dataDir, 'registry');
  const artifactDir = path.join(dataDir, 'artifacts');
  const registry = new EmbeddedRegistry({ dir: registryDir });
  await registry.open();
  const log = options.persistence === 'memory' ? new MemoryMessageLog() : embeddedLog(logDir, options);
  const artifacts = new FileArtifactStore({ dir: artifactDir });
  let audit: FileAuditTrail;
  try {
    audit = await FileAuditTrail.open({
      dir: path.join(dataDir, 'audit'),
      ...options.auditSegments,
      onWarning: (m) => process.stderr.write(`caxton: ${m}\n`),
    });
  } catch (err) {
    await registry.close();
    throw err;
  }
  const startedAt = Date.now();
  return {
    ...(options.persistence === 'memory' ? {} : { recordedHistory: embeddedHistoryReader(logDir) }),
    // One store backs the agent, directory and timer ports.
    ports: {
      agents: registry,
      directory: registry,
      timers: registry,
      topics: registry,
      log,
      artifacts,
      state: log,
      audit,
      auditAnchors: registry,
    },
    kinds: registry,
    residency: (context) => new EveryAgentLocal(context, { agents: registry, directory: registry }),
    protocolGate: (tracker) => tracker,
    async beforeApi(steps) {
      await steps.openLog();
      await steps.restoreAgents();
      await steps.consume();
    },
    afterApi: async () => {},
    stopAgents: async () => {},
    health: () => ({ serving: true }),
    async status(local) {
      return {
        nodes: [
          {
            id: nodeId,
            address: `${options.apiHost}:${options.apiPort}`,
            startedAt,
            lastSeen: Date.now(),
            agents: local.names(),
            self: true,
          },
        ],
        storage: [
          options.persistence === 'memory'
            ? { role: 'bus', kind: 'memory', location: '(process memory)' }
            : { role: 'bus', kind: 'embedded', location: logDir },
          { role: 'registry', kind: 'embedded', location: registryDir },
          { role: 'artifacts', kind: 'embedded', location: artifactDir },
          { role: 'audit', kind: 'embedded', location: audit.location },
        ],
        replay: log.replayReach(),
      };
    },
    // The in-memory log has no group commit nor bytes on disk: nothing to report.
    installMetrics: (meter) => (log instanceof EmbeddedMessageLog ? installEmbeddedLogMetrics(meter, log) : () => {}),
    async close() {
      await audit.close();
      await registry.close();
    },
  };
}

/** The log's history settings from the node's `replayHistory` (checked by startNode; the table's defaults). */
function replayHistoryOf(options: TopologyOptions): {
  historyMs: number;
  historyBytes: number;
  agentHistory: Map<string, { ms: number; bytes: number }>;
} {
  const history = resolveReplayHistory(options.replayHistory ?? {}, 'replayHistory');
  const agents = resolveAgentReplayHistory(options.agentReplayHistory, 'agentReplayHistory');
  return {
    historyMs: history.seconds * 1000,
    historyBytes: history.bytes,
    agentHistory: new Map([...agents].map(([name, { seconds, bytes }]) => [name, { ms: seconds * 1000, bytes }])),
  };
}

/** The on-disk log; its warnings (decision 1106: the log's `events`) go to stderr. */
function embeddedLog(dir: string, options: TopologyOptions): EmbeddedMessageLog {
  const log = new EmbeddedMessageLog({
    dir,
    ...(options.fsync ? { fsync: options.fsync } : {}),
    ...(options.embeddedLog?.maxRecordBytes !== undefined ? { maxRecordBytes: options.embeddedLog.maxRecordBytes } : {}),
    ...(options.embeddedLog?.segmentBytes !== undefined ? { segmentBytes: options.embeddedLog.segmentBytes } : {}),
    ...replayHistoryOf(options),
  });
  log.events.onType('warning', ({ warning }) => process.stderr.write(`caxton: message log: ${warning.message}\n`));
  return log;
}
