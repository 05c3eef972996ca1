/**
 * Which agents are deployed anywhere in the cluster, answered synchronously (the bus asks on every
 * send), kept from the registry's watched mirror. Also remembers which names were undeployed, so a
 * delivery for one of them can be dead-lettered at once instead of after a grace period.
 */
import type { AgentStore, RegistryWatch } from '../../storage/ports.js';

export class ClusterDeployments {
  private readonly names = new Set<string>();
  private readonly undeployed = new Map<string, number>();
  private unwatch: (() => void) | undefined;

  constructor(private readonly registry: AgentStore & RegistryWatch, private readonly now: () => number = Date.now) {}

  async start(): Promise<void> {
    // Watch first, then list: a change between the two is applied twice, never missed.
    this.unwatch = this.registry.watch((e) => {
      if (e.kind === 'agent-put') {
        this.names.add(e.agent.name);
        this.undeployed.delete(e.agent.name);
      } else if (e.kind === 'agent-deleted') {
        this.names.delete(e.name);
        this.undeployed.set(e.name, this.now());
        // Bounded: past this many, a forgotten name is still handled, after the orphan grace period.
        if (this.undeployed.size > 10_000) this.undeployed.delete(this.undeployed.keys().next().value!);
      }
    });
    for (const a of await this.registry.listAgents()) this.names.add(a.name);
  }

  stop(): void {
    this.unwatch?.();
  }

  has(name: string): boolean {
    return this.names.has(name);
  }

  /** Seen undeployed by this node (and not deployed again since). */
  wasUndeployed(name: string): boolean {
    return this.undeployed.has(name);
  }
}
