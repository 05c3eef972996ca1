/** `caxton status`: the node, its cluster and storage. */
import type { NodeStatusView } from '@caxton/runtime';
import { renderFields, renderTable, truncate } from './table.js';
import { formatAge, formatDuration } from './units.js';

export function formatStatus(s: NodeStatusView, now: number): string {
  const fields: [string, string][] = [
    ['node', `${s.nodeId} (caxton ${s.version})`],
    ['uptime', formatDuration(s.uptimeMs)],
    ['agents', `${s.agentsTotal} deployed, ${s.agentsRunning} running`],
    ...s.storage.map((b): [string, string] => [b.role, `${b.kind} ${b.location}`]),
  ];
  const nodes = renderTable(
    [
      { header: 'NODE', value: (n: NodeStatusView['nodes'][number]) => (n.self ? `${n.id} *` : n.id) },
      { header: 'ADDRESS', value: (n) => n.address },
      { header: 'UP', value: (n) => formatAge(n.startedAt, now).replace(/ ago$/, '') },
      { header: 'SEEN', value: (n) => formatAge(n.lastSeen, now) },
      { header: 'AGENTS', value: (n) => truncate(n.agents.length === 0 ? '-' : `${n.agents.length}: ${n.agents.join(', ')}`, 80) },
    ],
    s.nodes,
  );
  return `${renderFields(fields)}\ncluster (* = this node)\n${nodes}`;
}
