/** Builders for registry records used across registry tests. */
import { createHash } from 'node:crypto';
import type { AgentRecord } from '../../src/storage/records.js';
import type { DfAgentDescription, ServiceDescription } from '@caxton/core';

export function agentRecord(name: string, version = 1): AgentRecord {
  return {
    name,
    artifactDigest: createHash('sha256').update(`component of ${name}`).digest('hex'),
    limits: { fuelPerMessage: 1_000_000, memoryPages: 16 },
    config: { greeting: `hello from ${name}` },
    version,
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_000 + version,
  };
}

export function service(name: string, type: string, extra: Partial<ServiceDescription> = {}): ServiceDescription {
  return { name, type, protocols: [], ontologies: [], languages: [], properties: {}, ...extra };
}

export function description(agent: string, services: ServiceDescription[], extra: Partial<DfAgentDescription> = {}): DfAgentDescription {
  return { name: { name: agent }, services, protocols: [], ontologies: [], languages: [], ...extra };
}
