/**
 * Which agents are deployed anywhere in the cluster, answered synchronously (the bus asks on every
 * send), kept from the registry's watched mirror. Also remembers which names were undeployed, so a
 * delivery for one of them can be dead-lettered at once instead of after a grace period.
 */
import type { OntologySchemas, TopicPatterns } from '@caxton/core';
import type { AgentStore, RegistryWatch } from '../../storage/ports.js';

export class ClusterDeployments {
  /** Each deployed name with its topic allow-list (decision 2050; undefined: every topic), for delivery. */
  private readonly names = new Map<string, TopicPatterns | undefined>();
  /** Each deployed agent that declares ontologies (decision 2183), with their schemas, for the bus's check at send. */
  private readonly ontologies = new Map<string, OntologySchemas>();
  private readonly undeployed = new Map<string, number>();
  /** Kinds (decision 2060): records in the same registry section, but no agents. */
  private readonly kinds = new Set<string>();
  /** Each scaled agent's recorded replica count (decision 2091; absent: one), for the senders' replica choice (decision 2093). */
  private readonly replicas = new Map<string, number>();
  /** Agents whose record says stopped with the queue kept (decision 1990). */
  private readonly absent = new Set<string>();
  /** Each deployed agent's own absent-queue bound (its record's `limits.absentQueue`; undefined: the node's default), read by every send to it while absent (decision 2157). */
  private readonly absentQueues = new Map<string, number | undefined>();
  /** Each agent's deployed version as `<version>:<createdAt>` (a redeploy restarts the version count), for its replica units. */
  private readonly versions = new Map<string, string>();
  private unwatch: (() => void) | undefined;
  /** Told after every change the watch applied (decision 2123: a name may route now that did not). */
  private readonly changeListeners: (() => void)[] = [];

  constructor(
    private readonly registry: AgentStore & RegistryWatch & { placementKeyOf?(name: string): string | undefined },
    private readonly now: () => number = Date.now,
  ) {}

  async start(): Promise<void> {
    // Watch first, then list: a change between the two is applied twice, never missed.
    this.unwatch = this.registry.watch((e) => {
      if (e.kind === 'agent-put' && e.agent.kind !== undefined) {
        this.kinds.add(e.agent.name); // a kind takes no mail itself and is placed by no claim (decision 2060)
      } else if (e.kind === 'agent-put') {
        this.names.set(e.agent.name, e.agent.topics);
        this.declare(e.agent.name, e.agent.ontologies);
        this.countReplicas(e.agent.name, e.agent.replicas, e.agent.absentSince, e.agent.writesState);
        this.versions.set(e.agent.name, `${e.agent.version}:${e.agent.createdAt}`);
        this.absentQueues.set(e.agent.name, e.agent.limits.absentQueue);
        this.undeployed.delete(e.agent.name);
      } else if (e.kind === 'agent-deleted' && this.kinds.delete(e.name)) {
        // a kind: its nodes stop their instances (AgentKinds.removed)
      } else if (e.kind === 'agent-deleted') {
        this.names.delete(e.name);
        this.ontologies.delete(e.name);
        this.replicas.delete(e.name);
        this.absent.delete(e.name);
        this.versions.delete(e.name);
        this.absentQueues.delete(e.name);
        this.undeployed.set(e.name, this.now());
        // Bounded: past this many, a forgotten name is still handled, after the orphan grace period.
        if (this.undeployed.size > 10_000) this.undeployed.delete(this.undeployed.keys().next().value!);
      }
      for (const listener of this.changeListeners) listener();
    });
    for (const a of await this.registry.listAgents()) {
      if (a.kind !== undefined) this.kinds.add(a.name);
      else if (!this.names.has(a.name)) {
        this.names.set(a.name, a.topics);
        this.declare(a.name, a.ontologies);
        this.countReplicas(a.name, a.replicas, a.absentSince, a.writesState);
        this.versions.set(a.name, `${a.version}:${a.createdAt}`);
        this.absentQueues.set(a.name, a.limits.absentQueue);
      }
    }
  }

  /**
   * The key `receiver`'s partition is computed from (decision 2189): the placement fixed at its
   * name's first deploy (etcd's `control/placement/`, kept after an undeploy), else its own name (a
   * kind's instance and a replica unit always). Asked on every append and completion: a map lookup.
   */
  placementKeyOf(receiver: string): string {
    return this.registry.placementKeyOf?.(receiver) ?? receiver;
  }

  /** `listener` is called after each registry change this mirror applies. */
  onChange(listener: () => void): void {
    this.changeListeners.push(listener);
  }

  private countReplicas(
    name: string,
    replicas: number | undefined,
    absentSince: number | undefined,
    writesState: boolean | undefined,
  ): void {
    // Stopped with its queue kept (review fix 3): senders treat it as unscaled, its mail waits in its own partition.
    if (absentSince !== undefined) this.absent.add(name);
    else this.absent.delete(name);
    // A component that writes state runs as one (decision 2168): a count recorded before workers
    // were always across nodes (its replicas took turns on the owner) spreads nothing; its owner
    // sets the record back to one.
    if (replicas !== undefined && replicas > 1 && absentSince === undefined && writesState !== true) this.replicas.set(name, replicas);
    else this.replicas.delete(name);
  }

  /** The agent's deployed version as the mirror knows it (`<version>:<createdAt>`); undefined: not deployed. */
  versionOf(name: string): string | undefined {
    return this.versions.get(name);
  }

  /** A deployed agent's own absent-queue bound as its record says: a number, `'default'` (the node's), or undefined when not deployed. */
  absentQueueOf(name: string): number | 'default' | undefined {
    if (!this.names.has(name)) return undefined;
    return this.absentQueues.get(name) ?? 'default';
  }

  /** Stopped with its queue kept (its record's `absentSince`): its replica units stop and do not start (decision 2093). */
  isAbsent(name: string): boolean {
    return this.absent.has(name);
  }

  /** The replica count the agent's record says (1 when not scaled or not deployed). */
  replicasOf(name: string): number {
    return this.replicas.get(name) ?? 1;
  }

  /** Agents scaled above one replica, with their counts (their units' partitions are walked at assignment, decision 2163). */
  scaled(): Array<[string, number]> {
    return [...this.replicas];
  }

  stop(): void {
    this.unwatch?.();
  }

  has(name: string): boolean {
    return this.names.has(name);
  }

  /** The allow-list of a deployed agent's current record; undefined for every topic or an unknown name. */
  topicsOf(name: string): TopicPatterns | undefined {
    return this.names.get(name);
  }

  /** The declared ontologies of a deployed agent's current record; undefined for none or an unknown name. */
  ontologiesOf(name: string): OntologySchemas | undefined {
    return this.ontologies.get(name);
  }

  private declare(name: string, ontologies: OntologySchemas | undefined): void {
    if (ontologies !== undefined) this.ontologies.set(name, ontologies);
    else this.ontologies.delete(name);
  }

  /** A deployed kind (decision 2060)? */
  isKind(name: string): boolean {
    return this.kinds.has(name);
  }

  /** An instance name (`<kind>/<key>`) of a deployed kind? (The key's rule is checked where mail enters.) */
  isInstanceOfKind(name: string): boolean {
    const slash = name.indexOf('/');
    return slash > 0 && this.kinds.has(name.slice(0, slash));
  }

  /** Seen undeployed by this node (and not deployed again since). */
  wasUndeployed(name: string): boolean {
    return this.undeployed.has(name);
  }
}
