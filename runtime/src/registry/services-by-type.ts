/**
 * The directory as an agent's `search-services` reads it: service type → the agents advertising
 * it, sorted by name. One definition for the node (directory-sync.ts) and a replay beside it.
 */
import type { AgentId, DfAgentDescription } from '@caxton/core';

export function servicesByType(descriptions: Iterable<DfAgentDescription>): Map<string, AgentId[]> {
  const byType = new Map<string, AgentId[]>();
  for (const d of descriptions) {
    for (const s of d.services) {
      const list = byType.get(s.type) ?? [];
      list.push({ name: d.name.name });
      byType.set(s.type, list);
    }
  }
  for (const list of byType.values()) list.sort((a, b) => a.name.localeCompare(b.name));
  return byType;
}
