/**
 * The embedded registry's in-memory state and the mutations that change it. Pure: no I/O, no clock.
 *
 * Every mutation is ABSOLUTE (set a key to a whole value, or delete it), never relative. Replaying a
 * mutation twice, or replaying journal records the snapshot already contains, yields the same state;
 * compaction relies on this (see docs/decisions/0700-embedded-registry-journal.md).
 */
import type { AgentRecord, RegistryEvent, TimerRecord } from '../../storage/records.js';
import type { DfAgentDescription, TopicSubscription } from '@caxton/core';
import { copyDescription, DfDirectory } from '../df-directory.js';
import { TopicTable } from '../topic-table.js';

export type Mutation =
  | { op: 'agent-put'; agent: AgentRecord }
  | { op: 'agent-del'; name: string }
  | { op: 'df-put'; description: DfAgentDescription }
  | { op: 'df-del'; name: string }
  | { op: 'timer-put'; timer: TimerRecord }
  | { op: 'timer-del'; agent: string; id: string }
  | { op: 'timers-del'; agent: string }
  /** Topic subscriptions (decision 1960). */
  | { op: 'topic-put'; subscription: TopicSubscription }
  | { op: 'topic-del'; agent: string; topic: string }
  | { op: 'topics-del'; agent: string }
  /** The audit trail's signed anchor (decision 1750): kept here, outside the trail it vouches for. */
  | { op: 'audit-anchor-put'; anchor: string };

const OPS = new Set<string>([
  'agent-put',
  'agent-del',
  'df-put',
  'df-del',
  'timer-put',
  'timer-del',
  'timers-del',
  'topic-put',
  'topic-del',
  'topics-del',
  'audit-anchor-put',
]);

export interface SnapshotBody {
  format: 'caxton-registry-snapshot';
  version: 1;
  /** The journal generation whose records apply on top of this snapshot. */
  generation: number;
  agents: AgentRecord[];
  df: DfAgentDescription[];
  /** Pending agent timers (absent in snapshots written before timers were durable). */
  timers?: TimerRecord[];
  /** Topic subscriptions (absent in snapshots written before topics, decision 1960). */
  topics?: TopicSubscription[];
  /** The audit trail's signed anchor (absent before decision 1750, or before the first record). */
  auditAnchor?: string;
}

export class RegistryState {
  readonly agents = new Map<string, AgentRecord>();
  readonly df = new DfDirectory();
  /** agent → timer id → timer */
  readonly timers = new Map<string, Map<string, TimerRecord>>();
  readonly topics = new TopicTable();
  auditAnchor: string | undefined;

  /** Applies one mutation; returns the event it implies (none when nothing changed). */
  apply(m: Mutation): RegistryEvent | undefined {
    switch (m.op) {
      case 'agent-put':
        this.agents.set(m.agent.name, m.agent);
        return { kind: 'agent-put', agent: structuredClone(m.agent) };
      case 'agent-del':
        return this.agents.delete(m.name) ? { kind: 'agent-deleted', name: m.name } : undefined;
      case 'df-put':
        this.df.set(m.description);
        return { kind: 'service-changed', agentName: m.description.name.name, description: copyDescription(m.description) };
      case 'df-del':
        return this.df.delete(m.name) ? { kind: 'service-changed', agentName: m.name, description: undefined } : undefined;
      case 'timer-put': {
        let mine = this.timers.get(m.timer.agent);
        if (!mine) this.timers.set(m.timer.agent, (mine = new Map()));
        mine.set(m.timer.id, m.timer);
        return undefined; // timers are read by the node that runs the agent, never watched
      }
      case 'timer-del': {
        const mine = this.timers.get(m.agent);
        mine?.delete(m.id);
        if (mine?.size === 0) this.timers.delete(m.agent);
        return undefined;
      }
      case 'timers-del':
        this.timers.delete(m.agent);
        return undefined;
      // Subscriptions are read at send time by whichever node publishes, never watched.
      case 'topic-put':
        this.topics.set(m.subscription);
        return undefined;
      case 'topic-del':
        this.topics.delete(m.agent, m.topic);
        return undefined;
      case 'topics-del':
        this.topics.deleteAgent(m.agent);
        return undefined;
      case 'audit-anchor-put':
        this.auditAnchor = m.anchor;
        return undefined;
    }
  }

  toSnapshot(generation: number): SnapshotBody {
    return {
      format: 'caxton-registry-snapshot',
      version: 1,
      generation,
      agents: [...this.agents.values()],
      df: [...this.df.values()],
      timers: [...this.timers.values()].flatMap((mine) => [...mine.values()]),
      topics: this.topics.list(),
      ...(this.auditAnchor !== undefined ? { auditAnchor: this.auditAnchor } : {}),
    };
  }

  static fromSnapshot(body: SnapshotBody): RegistryState {
    const s = new RegistryState();
    for (const a of body.agents) s.agents.set(a.name, a);
    for (const d of body.df) s.df.set(d);
    for (const t of body.timers ?? []) s.apply({ op: 'timer-put', timer: t });
    for (const sub of body.topics ?? []) s.topics.set(sub);
    if (typeof body.auditAnchor === 'string') s.auditAnchor = body.auditAnchor;
    return s;
  }
}

/** Parses a journal frame payload (a JSON array of mutations) defensively. */
export function parseMutations(payload: Buffer): Mutation[] {
  const parsed: unknown = JSON.parse(payload.toString('utf8'));
  if (!Array.isArray(parsed)) throw new TypeError('journal frame is not a list of mutations');
  for (const m of parsed) {
    const op = (m as { op?: unknown })?.op;
    if (typeof op !== 'string' || !OPS.has(op)) {
      throw new TypeError(`unknown journal mutation ${JSON.stringify(op)}`);
    }
  }
  return parsed as Mutation[];
}

export function parseSnapshot(payload: Buffer): SnapshotBody {
  const body = JSON.parse(payload.toString('utf8')) as Partial<SnapshotBody>;
  if (body.format !== 'caxton-registry-snapshot' || body.version !== 1) {
    throw new TypeError(`not a version-1 registry snapshot (format=${String(body.format)}, version=${String(body.version)})`);
  }
  if (
    !Number.isInteger(body.generation) ||
    !Array.isArray(body.agents) ||
    !Array.isArray(body.df) ||
    (body.timers !== undefined && !Array.isArray(body.timers)) ||
    (body.topics !== undefined && !Array.isArray(body.topics))
  ) {
    throw new TypeError('registry snapshot is missing generation, agents or df');
  }
  return body as SnapshotBody;
}
