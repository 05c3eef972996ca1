/** `caxton status`: the node, its cluster and storage. */
import type { NodeStatusView } from '@caxton/client';
import type { AgentReplayReach, KillSwitchStatus, ReplayReach } from '@caxton/core';
import { renderFields, renderTable, truncate } from './table.js';
import { formatAge, formatBytes, formatCount, formatDuration, formatTime } from './units.js';

export function formatStatus(s: NodeStatusView, now: number): string {
  const fields: [string, string][] = [
    ['node', `${s.nodeId} (caxton ${s.version})`],
    ...(s.platform ? [['platform', `${s.platform} (agents are <name>@${s.platform})`] as [string, string]] : []),
    ['uptime', formatDuration(s.uptimeMs)],
    ['agents', `${s.agentsTotal} deployed, ${s.agentsRunning} running`],
    ...(s.killSwitch ? [killSwitchField(s.killSwitch)] : []),
    ...s.storage.map((b): [string, string] => [b.role, `${b.kind} ${b.location}`]),
    ...(s.replay ? [['replay', formatReplayReach(s.replay, now)] as [string, string]] : []),
    ...(s.replay?.agents ?? []).map((a): [string, string] => [`replay ${a.agent}`, formatAgentReplayReach(a, now)]),
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

/** One line for the kill switch (decision 1403): what holds, and who is suspended. */
export function formatKillSwitch(k: KillSwitchStatus): string {
  const [, value] = killSwitchField(k);
  return `kill switch: ${value}`;
}

function killSwitchField(k: KillSwitchStatus): [string, string] {
  const scopes = [k.nodeFrozen ? 'this node' : '', k.clusterFrozen ? 'cluster' : ''].filter(Boolean).join(' + ');
  const frozen = k.frozen ? `FROZEN (${scopes}): no agent code runs` : 'thawed';
  const suspended = k.suspended.length === 0 ? '' : `; suspended: ${truncate(k.suspended.join(', '), 80)}`;
  return ['kill switch', `${frozen}${suspended}`];
}

/**
 * How far back `caxton replay` reaches on the node (issue 57): from the oldest record its log holds
 * (absent: none held, or its time not known), what it holds and the history it keeps (decision
 * 2179; seconds as `serve --replay-history-seconds` takes them). A node that predates the field
 * shows no line.
 */
/**
 * One agent's own history (decision 2182): how far back its copies reach (the oldest copy's segment
 * closed then; its records are from before), what they hold, and its bounds.
 */
export function formatAgentReplayReach(a: AgentReplayReach, now: number): string {
  const from =
    a.oldestCopyClosedAt === undefined
      ? 'nothing copied yet: the log still holds all of it'
      : `copies from before ${formatTime(a.oldestCopyClosedAt)}, ${formatAge(a.oldestCopyClosedAt, now)}`;
  return `${from} (${formatCount(a.files)} file${a.files === 1 ? '' : 's'}, ${formatBytes(a.heldBytes)} held; history ${a.historySeconds} s / ${formatBytes(a.historyBytes)})`;
}

export function formatReplayReach(r: ReplayReach, now: number): string {
  if (r.source === 'memory') return 'nothing to replay: the memory log keeps nothing on disk';
  if (r.source === 'kafka')
    return `from the cluster's Kafka topics (caxton replay <agent> --kafka … --etcd …; deliveries kept ${formatDuration(r.historySeconds * 1000)})`;
  if (r.source !== 'embedded') return `not known (a ${r.source} log)`;
  const from =
    r.oldestRecordAt === undefined
      ? "oldest record's time not known"
      : `back to ${formatTime(r.oldestRecordAt)}, ${formatAge(r.oldestRecordAt, now)}`;
  const held = `${formatCount(r.segments)} segment${r.segments === 1 ? '' : 's'}, ${formatBytes(r.heldBytes)} held`;
  const history = r.historySeconds > 0 ? `history ${r.historySeconds} s / ${formatBytes(r.historyBytes)}` : 'no history kept';
  return `${from} (${held}; ${history})`;
}
