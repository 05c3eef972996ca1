/**
 * The embedded registry's in-memory state and the mutations that change it. Pure: no I/O, no clock.
 *
 * Every mutation is ABSOLUTE (set a key to a whole value, or delete it), never relative. Replaying a
 * mutation twice, or replaying journal records the snapshot already contains, yields the same state;
 * compaction relies on this (see docs/decisions/0700-embedded-registry-journal.md).
 */
import type { AgentRecord, DfAgentDescription, RegistryEvent } from '../registry-store.js';
import { copyDescription, DfDirectory } from '../df-directory.js';

export type Mutation =
  | { op: 'agent-put'; agent: AgentRecord }
  | { op: 'agent-del'; name: string }
  | { op: 'df-put'; description: DfAgentDescription }
  | { op: 'df-del'; name: string };

export interface SnapshotBody {
  format: 'caxton-registry-snapshot';
  version: 1;
  /** The journal generation whose records apply on top of this snapshot. */
  generation: number;
  agents: AgentRecord[];
  df: DfAgentDescription[];
}

export class RegistryState {
  readonly agents = new Map<string, AgentRecord>();
  readonly df = new DfDirectory();

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
    }
  }

  toSnapshot(generation: number): SnapshotBody {
    return {
      format: 'caxton-registry-snapshot',
      version: 1,
      generation,
      agents: [...this.agents.values()],
      df: [...this.df.values()],
    };
  }

  static fromSnapshot(body: SnapshotBody): RegistryState {
    const s = new RegistryState();
    for (const a of body.agents) s.agents.set(a.name, a);
    for (const d of body.df) s.df.set(d);
    return s;
  }
}

/** Parses a journal frame payload (a JSON array of mutations) defensively. */
export function parseMutations(payload: Buffer): Mutation[] {
  const parsed: unknown = JSON.parse(payload.toString('utf8'));
  if (!Array.isArray(parsed)) throw new TypeError('journal frame is not a list of mutations');
  for (const m of parsed) {
    const op = (m as { op?: unknown })?.op;
    if (op !== 'agent-put' && op !== 'agent-del' && op !== 'df-put' && op !== 'df-del') {
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
  if (!Number.isInteger(body.generation) || !Array.isArray(body.agents) || !Array.isArray(body.df)) {
    throw new TypeError('registry snapshot is missing generation, agents or df');
  }
  return body as SnapshotBody;
}
