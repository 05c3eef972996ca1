/**
 * What a handling (or an agent's init) asked of the node besides sending: timers to set, directory
 * changes and topic subscriptions. Applied once the handling completed, by the bus (through the
 * node's port) and by the agent manager after init, so both go through this one object.
 *
 * Topic subscriptions (decision 1961) go through NodeTopics, the path the embedder's
 * `RunningNode.topics.subscribe` takes, so the registry's checks (the per-agent bound among them)
 * are the same. A refused one does not stop the others: every refusal is collected and reported
 * in one error (the applier writes it to the agent's log).
 *
 * A worker across nodes (`X#r<k>`, decision 2163): its timers are its own (kept and fired under
 * `X#r<k>`, where its partition is consumed); its topic subscriptions and service registrations are
 * the deployment's (X's), so a publication reaches one worker of the set, chosen as for any send to X.
 */
import type { AgentId } from '@caxton/core';
import { replicaOwner } from '@caxton/core';
import type { ExecutionResult, ServiceEffect, TopicEffect } from '../bus/executor.js';
import type { AgentTimers } from './timers.js';
import type { DirectorySync } from './directory-sync.js';

/** What AgentEffects needs of the node's topics (NodeTopics). */
export interface TopicSubscriber {
  subscribe(agent: string, topic: string, filter?: unknown): Promise<unknown>;
  unsubscribe(agent: string, topic: string): Promise<void>;
}

export class AgentEffects {
  constructor(
    private readonly timers: AgentTimers,
    private readonly directory: DirectorySync,
    /** The agent's full id (`echo@<platform>`), under which its services are registered. */
    private readonly agentId: (localName: string) => AgentId,
    /** The node's topics (read when an effect needs it: the node builds them after this object). */
    private readonly topics: () => TopicSubscriber,
  ) {}

  async apply(result: Pick<ExecutionResult, 'agent' | 'timers' | 'directory'>): Promise<void> {
    for (const t of result.timers) await this.timers.set(result.agent, t.delayMs, t.token, t.id);
    if (result.directory.length === 0) return;
    const services: ServiceEffect[] = [];
    const topics: TopicEffect[] = [];
    for (const e of result.directory) {
      if (e.kind === 'register' || e.kind === 'deregister-service') services.push(e);
      else topics.push(e);
    }
    const deployment = replicaOwner(result.agent);
    if (services.length > 0) await this.directory.apply(this.agentId(deployment), services);
    if (topics.length > 0) await this.applyTopics(deployment, topics);
  }

  private async applyTopics(agent: string, effects: readonly TopicEffect[]): Promise<void> {
    const node = this.topics();
    const refused: string[] = [];
    for (const e of effects) {
      try {
        if (e.kind === 'subscribe-topic') await node.subscribe(agent, e.topic, e.filter);
        else await node.unsubscribe(agent, e.topic);
      } catch (err) {
        refused.push(`${e.kind === 'subscribe-topic' ? 'subscribe' : 'unsubscribe'} ${e.topic}: ${(err as Error).message}`);
      }
    }
    if (refused.length > 0) throw new Error(`topic changes refused: ${refused.join('; ')}`);
  }
}
