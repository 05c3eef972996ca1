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
        const merged = mergeService(existing, agent, effect.service);
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

function mergeService(existing: DfAgentDescription | undefined, agent: AgentId, service: ServiceDescription): DfAgentDescription {
  const services = (existing?.services ?? []).filter((s) => s.name !== service.name).concat([service]);
  return {
    name: { name: agent.name },
    services,
    protocols: existing?.protocols ?? [],
    ontologies: existing?.ontologies ?? [],
    languages: existing?.languages ?? [],
  };
}
