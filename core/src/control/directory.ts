/**
 * The FIPA directory (DF, SC00023) as every layer sees it: what an agent advertises and how it is
 * searched. One definition: the sandbox's register-service effect, the registry and the API use it.
 */
import type { AgentId } from '../acl/message.js';

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
