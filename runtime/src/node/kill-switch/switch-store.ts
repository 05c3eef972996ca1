/**
 * Where the kill switch is kept (decision 1403). A node keeps its own freeze in its data directory
 * (`NodeSwitchFile`); a cluster keeps the cluster-wide freeze and the suspended agents in etcd
 * (topology/cluster/etcd-switch-store.ts), watched by every node, so a node that joins later starts
 * frozen and a suspended agent stays held wherever placement moves it.
 */

/** What one store holds. */
export interface SwitchState {
  frozen: boolean;
  /** Suspended agents (local names), sorted. */
  suspended: string[];
}

export interface SwitchStore {
  /** What is kept now (read once at start; a shared store keeps a watched copy). */
  read(): Promise<SwitchState>;
  setFrozen(frozen: boolean): Promise<void>;
  setSuspended(agent: string, suspended: boolean): Promise<void>;
  /** Changes made by other nodes (shared stores only): called with the whole new state. */
  watch?(listener: (state: SwitchState) => void): () => void;
}

/** Parses a stored switch state; anything unreadable is an error, never "not frozen". */
export function parseSwitchState(text: string, where: string): SwitchState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`${where}: not JSON (${(err as Error).message})`);
  }
  const v = value as { frozen?: unknown; suspended?: unknown };
  if (
    typeof v !== 'object' ||
    v === null ||
    typeof v.frozen !== 'boolean' ||
    !Array.isArray(v.suspended) ||
    !v.suspended.every((s) => typeof s === 'string')
  ) {
    throw new Error(`${where}: expected {"frozen": boolean, "suspended": string[]}`);
  }
  return { frozen: v.frozen, suspended: [...new Set(v.suspended as string[])].sort() };
}
