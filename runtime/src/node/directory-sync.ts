/**
 * Applies agents' directory effects to the registry and keeps the sandbox's directory snapshot
 * (what `search-services` answers from, synchronously, inside a guest) current with the registry.
 */
import type { AgentId, DfAgentDescription, ServiceDescription } from '@caxton/core';
import type { ServiceEffect } from '../bus/executor.js';
import type { WatchedDirectory } from '../storage/ports.js';
import type { AgentHost } from './agent-host.js';
import { servicesByType } from '../registry/services-by-type.js';

export class DirectorySync {
  private refreshQueued = false;
  private unwatch: (() => void) | undefined;

  constructor(
    private readonly registry: WatchedDirectory,
    private readonly host: AgentHost,
    /** The names of the ontologies an agent (its full AgentId's name) declares (decision 2183); none: []. */
    private readonly declaredOntologies: (agent: string) => readonly string[] = () => [],
  ) {}

  async start(): Promise<void> {
    this.unwatch = this.registry.watch((e) => {
      if (e.kind === 'service-changed') this.queueRefresh();
    });
    await this.refresh();
  }

  stop(): void {
    this.unwatch?.();
  }

  /** Register/modify or withdraw services on behalf of `agent` (its full AgentId). */
  async apply(agent: AgentId, effects: readonly ServiceEffect[]): Promise<void> {
    for (const effect of effects) {
      const existing = (await this.registry.searchDf({ agentName: agent.name }, 1))[0];
      if (effect.kind === 'register') {
        const merged = mergeService(existing, agent, effect.service, this.declaredOntologies(agent.name));
        if (existing) await this.registry.modifyDf(merged);
        else await this.registry.registerDf(merged);
      } else if (existing) {
        const services = existing.services.filter((s) => s.name !== effect.serviceName);
        if (services.length === 0) await this.registry.deregisterDf(agent.name);
        else await this.registry.modifyDf({ ...existing, services });
      }
    }
    if (effects.length > 0) this.queueRefresh();
  }

  private queueRefresh(): void {
    if (this.refreshQueued) return;
    this.refreshQueued = true;
    setImmediate(() => {
      this.refreshQueued = false;
      void this.refresh().catch(() => {});
    });
  }

  private async refresh(): Promise<void> {
    this.host.setDirectory(servicesByType(await this.registry.searchDf({}, 100_000)));
  }
}

/**
 * The agent's entry with `service` added. Its ontologies are what its deployment declares
 * (decision 2183): the operator's word, not the agent's, so `search --ontology` finds what the
 * bus will check; written each time the agent registers (its init, after every upgrade).
 */
function mergeService(
  existing: DfAgentDescription | undefined,
  agent: AgentId,
  service: ServiceDescription,
  declared: readonly string[],
): DfAgentDescription {
  const services = (existing?.services ?? []).filter((s) => s.name !== service.name).concat([service]);
  return {
    name: { name: agent.name },
    services,
    protocols: existing?.protocols ?? [],
    ontologies: declared.length > 0 ? [...declared] : (existing?.ontologies ?? []),
    languages: existing?.languages ?? [],
  };
}
