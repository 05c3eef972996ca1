/**
 * Chooses and opens the node's storage: embedded (on-disk log, registry and artifacts under the
 * data directory) unless Kafka/etcd are configured. One interface, so the rest of the node does not
 * care which.
 */
import path from 'node:path';
import type { MessageLog } from '../bus/message-log.js';
import type { Bus, ProtocolGate } from '../bus/bus.js';
import type { ConversationGate } from './tracker-persistence.js';
import type { RegistryStore } from '../registry/registry-store.js';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { ClusterNodeStatus, StorageBackendStatus } from '@caxton/core';
import { EmbeddedMessageLog } from '../bus/embedded/index.js';
import { MemoryMessageLog } from '../bus/memory/memory-message-log.js';
import { EmbeddedRegistry } from '../registry/embedded/embedded-registry.js';
import { FileArtifactStore } from '../artifacts/file-artifact-store.js';
import { AgentManager, type AgentManagerOptions } from './agent-manager.js';
import type { StartNodeOptions } from './options.js';
import { openClusterStorage } from './cluster-storage.js';

export interface NodeStorage {
  /**
   * `embedded`: agents are restored before the log replays. `cluster`: the node joins placement
   * only once its API listens (it announces the real address), and agents start as placement
   * activates them; deliveries consumed before that wait in their mailboxes.
   */
  mode: 'embedded' | 'cluster';
  registry: RegistryStore;
  artifacts: ArtifactStore;
  log: MessageLog;
  /** Deployed in the cluster but active on another node (embedded: never). */
  isRemoteAgent(name: string): boolean;
  /** The agent manager for this storage (cluster: deploys through the registry, runs what placement gives it). */
  createAgents(options: AgentManagerOptions): AgentManager;
  /**
   * The protocol gate the bus calls on every send (embedded: the tracker itself; cluster: one that
   * tracks each conversation on its initiator's node, see cluster-protocols.ts).
   */
  protocolGate(tracker: ConversationGate, context: ProtocolContext): ProtocolGate;
  /** Bring up the agents this node should run (embedded: all of them; cluster: placement). */
  startAgents(agents: AgentManager, context: { apiAddress: string }): Promise<void>;
  stopAgents(): Promise<void>;
  status(agents: AgentManager): Promise<{ nodes: ClusterNodeStatus[]; storage: StorageBackendStatus[] }>;
  close(): Promise<void>;
}

/** What a protocol gate may ask of the node; functions, because the node builds them after storage. */
export interface ProtocolContext {
  platform: string;
  bus: () => Bus | undefined;
  isLocal: (agent: string) => boolean;
}

export async function openStorage(options: StartNodeOptions, dataDir: string, nodeId: string): Promise<NodeStorage> {
  if (options.kafka || options.etcd) return openClusterStorage(options, dataDir, nodeId);
  const logDir = path.join(dataDir, 'log');
  const registryDir = path.join(dataDir, 'registry');
  const artifactDir = path.join(dataDir, 'artifacts');
  const registry = new EmbeddedRegistry({ dir: registryDir });
  await registry.open();
  const log = options.persistence === 'memory' ? new MemoryMessageLog() : new EmbeddedMessageLog({
    dir: logDir,
    ...(options.fsync ? { fsync: options.fsync } : {}),
    onWarning: (w) => process.stderr.write(`caxton: message log: ${w.message}\n`),
  });
  const artifacts = new FileArtifactStore({ dir: artifactDir });
  const startedAt = Date.now();
  return {
    mode: 'embedded',
    registry,
    artifacts,
    log,
    isRemoteAgent: () => false,
    createAgents: (agentOptions) => new AgentManager(agentOptions),
    protocolGate: (tracker) => tracker,
    startAgents: (agents) => agents.restore(),
    stopAgents: async () => {},
    async status(agents) {
      return {
        nodes: [{ id: nodeId, address: `${options.apiHost}:${options.apiPort}`, startedAt, lastSeen: Date.now(), agents: agents.names(), self: true }],
        storage: [
          options.persistence === 'memory' ? { role: 'bus', kind: 'memory', location: '(process memory)' } : { role: 'bus', kind: 'embedded', location: logDir },
          { role: 'registry', kind: 'embedded', location: registryDir },
          { role: 'artifacts', kind: 'embedded', location: artifactDir },
        ],
      };
    },
    close: () => registry.close(),
  };
}
