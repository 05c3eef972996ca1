/**
 * The one small interface behind which Caxton keeps its registry: deployed agents, cluster nodes and
 * the directory of advertised services (FIPA DF, SC00023). Embedded (`registry/embedded/`, durable
 * on local disk) by default; etcd (`registry/etcd/`) in a cluster.
 */
import type { AgentId } from '../acl/message.js';

export interface AgentLimitsSpec {
  /** Fuel per handled message (and for init). */
  fuelPerMessage: number;
  /** Memory cap in 64 KiB wasm pages. */
  memoryPages: number;
}

/** A deployment: what to run, under which limits. The artifact lives in the artifact store. */
export interface AgentRecord {
  name: string;
  /** sha256 hex of the component artifact. */
  artifactDigest: string;
  limits: AgentLimitsSpec;
  config: Record<string, string>;
  /** Monotonic version, bumped by upgrades. */
  version: number;
  createdAt: number;
  updatedAt: number;
}

export interface NodeRecord {
  id: string;
  /** gRPC address operators and peers reach this node at. */
  address: string;
  startedAt: number;
  /** Last heartbeat seen (embedded) or lease state (etcd). */
  lastSeen: number;
}

/** FIPA DF service-description. */
export interface ServiceDescription {
  name: string;
  type: string;
  ownership?: string;
  protocols: string[];
  ontologies: string[];
  languages: string[];
  properties: Record<string, string>;
}

/** FIPA DF df-agent-description. */
export interface DfAgentDescription {
  name: AgentId;
  services: ServiceDescription[];
  protocols: string[];
  ontologies: string[];
  languages: string[];
  /** Lease expiry, ms since epoch; absent = until deregistered. */
  leaseUntil?: number;
}

/** A DF search template: every given field must match (lists: all listed values present). */
export interface DfSearchTemplate {
  agentName?: string;
  serviceName?: string;
  serviceType?: string;
  protocols?: string[];
  ontologies?: string[];
  languages?: string[];
  properties?: Record<string, string>;
}

export type RegistryEvent =
  | { kind: 'agent-put'; agent: AgentRecord }
  | { kind: 'agent-deleted'; name: string }
  | { kind: 'service-changed'; agentName: string; description: DfAgentDescription | undefined };

export interface RegistryStore {
  open(): Promise<void>;
  close(): Promise<void>;

  putAgent(agent: AgentRecord): Promise<void>;
  getAgent(name: string): Promise<AgentRecord | undefined>;
  listAgents(): Promise<AgentRecord[]>;
  deleteAgent(name: string): Promise<void>;

  /** DF register (replaces an existing description of the same agent = modify). */
  registerDf(description: DfAgentDescription): Promise<void>;
  deregisterDf(agentName: string): Promise<void>;
  searchDf(template: DfSearchTemplate, limit?: number): Promise<DfAgentDescription[]>;

  /** Changes made by any node (embedded: this node only). Returns an unsubscribe function. */
  watch(listener: (event: RegistryEvent) => void): () => void;
}
