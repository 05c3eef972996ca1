/**
 * Operators' access to agents' state (decision 1600) over the node's AgentStateStore: get, list in
 * pages, export, import. Reads go to the committed view (what agents read when they start); an
 * import is one commit, made while the agent takes no work, and then shown to its running instance.
 */
import type {
  Sink,
  StateControl,
  StateEntry,
  StateImport,
  StateImportResult,
  StateListQuery,
  StatePage,
  StateWrite,
  Unsubscribe,
} from '@caxton/core';
import type { AgentStateStore } from '../storage/ports.js';

export interface NodeStateControlDeps {
  state: AgentStateStore;
  /** Commit through the lifecycle, which pauses the agent and resets its view (AgentLifecycle.changeState). */
  changeState(agent: string, commit: () => Promise<void>): Promise<void>;
  /** Throws when the node accepts no work (shutting down, log stopped). */
  live(): void;
}

export class NodeStateControl implements StateControl {
  constructor(private readonly d: NodeStateControlDeps) {}

  async getState(agent: string, key: string): Promise<string | undefined> {
    return (await this.d.state.readState(agent)).get(key);
  }

  async listState(agent: string, query: StateListQuery): Promise<StatePage> {
    return pageOf(await this.d.state.readState(agent), query);
  }

  exportState(agent: string, sink: Sink<StateEntry>): Unsubscribe {
    let stopped = false;
    void this.d.state.readState(agent).then(
      (entries) => {
        for (const [key, value] of sorted(entries)) {
          if (stopped) return;
          sink.next({ key, value });
        }
        if (!stopped) sink.end();
      },
      (error: unknown) => {
        if (!stopped) sink.end(error as Error);
      },
    );
    return () => {
      stopped = true;
    };
  }

  async importState(spec: StateImport): Promise<StateImportResult> {
    this.d.live();
    let result: StateImportResult = { written: 0, deleted: 0 };
    await this.d.changeState(spec.agent, async () => {
      const writes = spec.replace ? withReplacement(await this.d.state.readState(spec.agent), spec.writes) : spec.writes;
      await this.d.state.commitState(spec.agent, writes);
      result = count(writes);
    });
    return result;
  }
}

/** One page of `entries` (pure). */
export function pageOf(entries: ReadonlyMap<string, string>, query: StateListQuery): StatePage {
  const page: StateEntry[] = [];
  let next: string | undefined;
  for (const [key, value] of sorted(entries)) {
    if (query.prefix !== undefined && !key.startsWith(query.prefix)) continue;
    if (query.after !== undefined && key <= query.after) continue;
    if (page.length === query.limit) {
      next = page[page.length - 1]!.key;
      break;
    }
    page.push({ key, value });
  }
  return next === undefined ? { entries: page } : { entries: page, next };
}

/** `writes` plus a delete for every current key they do not name (pure). */
export function withReplacement(current: ReadonlyMap<string, string>, writes: readonly StateWrite[]): StateWrite[] {
  const named = new Set(writes.map((w) => w.key));
  const drops: StateWrite[] = [...current.keys()].filter((key) => !named.has(key)).map((key) => ({ key, value: null }));
  return [...drops, ...writes];
}

function count(writes: readonly StateWrite[]): StateImportResult {
  const last = new Map(writes.map((w) => [w.key, w.value]));
  let written = 0;
  for (const value of last.values()) if (value !== null) written++;
  return { written, deleted: last.size - written };
}

function sorted(entries: ReadonlyMap<string, string>): [string, string][] {
  return [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
