/** `caxton agents`: the table of agents and the detail view of one. */
import type { AgentView } from '@caxton/client';
import { formatStrategy, type RolloutView } from '@caxton/core';
import { renderFields, renderTable, truncate, type Column } from './table.js';
import { formatAge, formatBytes, formatCount, formatDuration, formatPages, formatTime } from './units.js';

const COLUMNS: Column<AgentView>[] = [
  { header: 'NAME', value: (a) => a.name },
  // A breaker that is not closed shows with the state: `running (breaker open)`; an absent agent
  // with what waits for it: `stopped (3 queued)` (decision 1990).
  // A kind (decision 1980) shows its instances: `kind (3 active, 12 passivated)`.
  // Replicas behind the name (decision 2010): `running (3 replicas)`, `running (1 replica, 2 draining)`.
  { header: 'STATE', value: (a) => (a.kind ? `kind (${formatInstances(a.kind)})` : stateCell(a)) },
  { header: 'LANG', value: (a) => a.language ?? '-' },
  // `3 (2)`: version 3 running, version 2 what `caxton rollback` would put back.
  { header: 'VERSION', value: (a) => (a.previous ? `${a.version} (${a.previous.version})` : String(a.version)), right: true },
  // `canary:10 baking v4`: a rollout in progress (or the last one, with how it ended).
  {
    header: 'ROLLOUT',
    value: (a) => (a.rollout ? `${formatStrategy(a.rollout.strategy)} ${a.rollout.phase} v${a.rollout.candidateVersion}` : '-'),
  },
  { header: 'NODE', value: (a) => a.nodeId },
  { header: 'MAILBOX', value: (a) => formatCount(a.mailboxDepth), right: true },
  { header: 'HANDLED', value: (a) => formatCount(a.messagesHandled), right: true },
  { header: 'RESTARTS', value: (a) => String(a.restarts), right: true },
  { header: 'MEMORY', value: (a) => `${formatPages(a.memoryPages)}/${formatPages(a.limits.memoryPages)}` },
  { header: 'SIGNER', value: (a) => a.signerKeyId ?? '-' },
  { header: 'LAST ERROR', value: (a) => (a.lastError ? truncate(a.lastError.message, 60) : '') },
];

/** The state with what qualifies it now: replicas, a breaker that is not closed, an absent queue. */
function stateCell(a: AgentView): string {
  if (a.elsewhere) return elsewhereState(a, a.elsewhere);
  const notes = [
    ...(a.replicas ? [formatReplicas(a.replicas)] : []),
    ...(a.breaker ? [`breaker ${a.breaker.state}`] : a.absentQueue ? [`${formatCount(a.absentQueue.queued)} queued`] : []),
  ];
  return notes.length === 0 ? a.state : `${a.state} (${notes.join(', ')})`;
}

/**
 * An instance whose partition another node consumes (decision 2060): where it is, not a state this
 * node cannot know: `on node-b (partition 7)`.
 */
function elsewhereState(a: AgentView, e: NonNullable<AgentView['elsewhere']>): string {
  return a.nodeId ? `on ${a.nodeId} (partition ${e.partition})` : `partition ${e.partition}, no live node`;
}

function formatReplicas(r: NonNullable<AgentView['replicas']>): string {
  // Across nodes (decision 2097): how many of them are in memory somewhere now.
  const active = r.units ? `, ${r.units.filter((u) => u.activeOn.length > 0).length} active` : '';
  return `${r.replicas} replica${r.replicas === 1 ? '' : 's'}${r.draining > 0 ? `, ${r.draining} draining` : ''}${r.recorded !== undefined ? `, ${r.recorded} recorded` : ''}${active}`;
}

/** One line per replica of an agent scaled across nodes (decision 2097): `replica 2  on n1: active (handled 12)`. */
function replicaUnitLines(a: AgentView): [string, string][] {
  return (a.replicas?.units ?? []).map((u) => {
    const placed = u.node === '' ? 'no live node' : `on ${u.node}`;
    const where =
      u.activeOn.length === 0
        ? 'passive (activated by its next message)'
        : u.activeOn.length === 1 && u.activeOn[0] === u.node
          ? 'active'
          : `active on ${u.activeOn.join(', ')}`;
    const above = u.replica > (a.replicas?.replicas ?? 0) ? ', above the count: draining' : '';
    return [`replica ${u.replica}`, `${placed}: ${where}${above}${u.handled !== undefined ? ` (handled ${formatCount(u.handled)})` : ''}`];
  });
}

export function formatAgentTable(agents: readonly AgentView[]): string {
  if (agents.length === 0) return 'No agents deployed. Deploy one with `caxton deploy <artifact|dir>`.\n';
  return renderTable(COLUMNS, agents);
}

export function formatAgentDetail(a: AgentView, now: number): string {
  const config = Object.entries(a.config)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  const fields: [string, string][] = [
    ['name', a.name],
    [
      'state',
      a.kind
        ? 'kind'
        : a.elsewhere
          ? `${elsewhereState(a, a.elsewhere)}: its live state is known there; ask that node (caxton --addr <its address> agents ${a.name})`
          : a.state,
    ],
    ...(a.kind
      ? [
          [
            'instances',
            `${formatInstances(a.kind)}, ${formatCount(a.kind.activations)} activations, ${formatCount(a.kind.failed)} failed; passivated after ${a.kind.idleMs} ms idle${a.kind.maxActive !== undefined ? `; at most ${formatCount(a.kind.maxActive)} active (${formatCount(a.kind.evicted ?? 0)} passivated early)` : ''}`,
          ] as [string, string],
          ...(a.kind.priorityClass !== undefined
            ? [
                ['priority', `${a.kind.priorityClass}; ${formatCount(a.kind.preempted ?? 0)} preempted for a higher class`] as [
                  string,
                  string,
                ],
              ]
            : []),
        ]
      : []),
    ...(a.replicas
      ? [
          [
            'replicas',
            `${formatReplicas(a.replicas)} (conversations stay on one replica; decision ${a.replicas.units ? '2093' : '2010'})`,
          ] as [string, string],
        ]
      : []),
    ...replicaUnitLines(a),
    ['node', a.nodeId],
    ['version', String(a.version)],
    ['rollout', a.rollout ? formatRollout(a.rollout, now) : '(none)'],
    [
      'rollback to',
      a.previous
        ? `version ${a.previous.version}, sha256:${a.previous.artifactDigest}${a.previous.language ? ` (${a.previous.language})` : ''}`
        : '(none: never upgraded)',
    ],
    ['language', a.language ?? '(not stated)'],
    ['artifact', `sha256:${a.artifactDigest} (${formatBytes(a.artifactSize)})`],
    ['fuel/message', formatCount(a.limits.fuelPerMessage)],
    ['memory limit', `${formatPages(a.limits.memoryPages)} (${a.limits.memoryPages} pages)`],
    [
      'sends',
      `${a.limits.sendsPerSecond !== undefined ? `${formatCount(a.limits.sendsPerSecond)}/s` : 'node default /s'}, ${a.limits.maxOutbox !== undefined ? formatCount(a.limits.maxOutbox) : 'node default'} per message`,
    ],
    ['memory now', `${formatPages(a.memoryPages)} (${a.memoryPages} pages)`],
    ['fuel used', formatCount(a.fuelUsed)],
    ['mailbox', `${formatCount(a.mailboxDepth)} pending`],
    ['breaker', formatBreaker(a.breaker)],
    ['absent queue', formatAbsentQueue(a)],
    ['handled', formatCount(a.messagesHandled)],
    ['costs', formatCosts(a.costs)],
    ['restarts', String(a.restarts)],
    [
      'last error',
      a.lastError ? `${a.lastError.message}${a.lastError.code ? ` [${a.lastError.code}]` : ''} at ${formatTime(a.lastError.at)}` : 'none',
    ],
    ['config', config || '(none)'],
    ['http', a.http ? formatHttpPolicy(a.http) : '(none)'],
    ['topics', a.topics === undefined ? '(any)' : a.topics.length === 0 ? '(none)' : a.topics.join(',')],
    ['ontologies', a.ontologies === undefined ? '(none declared)' : a.ontologies.join(', ')],
    ['near', formatNear(a.near)],
    ['signed by', a.signerKeyId ? `key ${a.signerKeyId}` : '(no trusted signature)'],
    ['deployed', `${formatTime(a.createdAt)} (${formatAge(a.createdAt, now)})`],
    ['updated', `${formatTime(a.updatedAt)} (${formatAge(a.updatedAt, now)})`],
  ];
  return renderFields(fields);
}

/**
 * `--near` as recorded (decision 2189): `echo (shares echo's partition)`, `echo (placed with root,
 * through echo)`, or the fallback's note.
 */
function formatNear(n: AgentView['near']): string {
  if (n === undefined) return '(placed by its own name)';
  if (n.key === undefined) return `${n.agent}: ${n.note ?? 'not placed near it'}`;
  const shared = n.key === n.agent ? `shares ${n.agent}'s partition` : `shares ${n.key}'s partition, as ${n.agent} does`;
  return `${n.agent} (${shared})${n.note !== undefined ? `; ${n.note}` : ''}`;
}

/**
 * What its handlings cost since deployed (decision 2184): `4.2M fuel, 12.3 ms in handlers, 40 sent
 * (1.2 KiB), 256 B state written, 0 HTTP calls`.
 */
function formatCosts(c: AgentView['costs']): string {
  if (c === undefined) return '(not counted on this node)';
  const ms = c.handlerUs >= 1e6 ? `${(c.handlerUs / 1e6).toFixed(1)} s` : `${(c.handlerUs / 1000).toFixed(1)} ms`;
  return (
    `${formatCount(c.fuel)} fuel, ${ms} in handlers, ${formatCount(c.messagesSent)} sent (${formatBytes(c.bytesSent)}), ` +
    `${formatBytes(c.stateBytesWritten)} state written, ${formatCount(c.httpCalls)} HTTP call${c.httpCalls === 1 ? '' : 's'}`
  );
}

/** `GET api.example.com:443/v1/, *.cdn.example.com (private); timeout 10s, max 192 KiB`. */
function formatHttpPolicy(p: NonNullable<AgentView['http']>): string {
  if (p.allow.length === 0) return '(no hosts)';
  const rules = p.allow.map((r) => {
    const methods = r.methods ? `${r.methods.join('|')} ` : '';
    const ports = r.ports ? `:${r.ports.join('|')}` : '';
    const paths = r.pathPrefixes ? r.pathPrefixes.join('|') : '';
    return `${methods}${r.host}${ports}${paths}${r.allowPrivate ? ' (private)' : ''}`;
  });
  return `${rules.join(', ')}; timeout ${p.timeoutMs} ms, max ${formatBytes(p.maxResponseBytes)}${p.extraCaPem ? ', extra CA' : ''}`;
}

/** `open: 5 failed in a row, probe in 8.2 s` / `closed` (decision 1921). */
function formatBreaker(b: AgentView['breaker']): string {
  if (b === undefined) return 'closed';
  if (b.state === 'half-open')
    return `half-open: ${b.failures} failed in a row, a probe message is being handled; new sends refused until it is`;
  return `open: ${b.failures} failed in a row, new sends refused; probe in ${((b.retryAfterMs ?? 0) / 1000).toFixed(1)} s`;
}

/**
 * `canary:10, baking version 4 (sha256:ab12…) until 10:15:00 (in 4m); 120 handled, 0 crashed, 1 failed, p99 3.2 ms;
 * thresholds crash 1%, failure 5%, p99 1000 ms` — and why it ended, when it was rolled back or aborted.
 */
export function formatRollout(r: RolloutView, now: number): string {
  const c = r.counts;
  const t = r.thresholds;
  const when =
    r.phase === 'baking'
      ? ` until ${formatTime(r.bakeUntil)} (${r.bakeUntil > now ? `in ${Math.ceil((r.bakeUntil - now) / 1000)} s` : 'now'})`
      : '';
  return (
    `${formatStrategy(r.strategy)}, ${r.phase} version ${r.candidateVersion} (sha256:${r.candidateDigest.slice(0, 12)}…)${when}; ` +
    `${c.handled} handled, ${c.crashes} crashed, ${c.failures} failed${c.p99Ms !== undefined ? `, p99 ${c.p99Ms} ms` : ''}; ` +
    `thresholds crash ${t.maxCrashRatePercent}%, failure ${t.maxFailureRatePercent}%, p99 ${t.maxP99Ms} ms, bake ${t.bakeMs / 1000} s` +
    (r.reason ? `; ${r.reason}` : '')
  );
}

/** `3 of 1,000 waiting, each kept 1d` while absent; the deployment's limits otherwise (decision 1990). */
function formatAbsentQueue(a: AgentView): string {
  const q = a.absentQueue;
  if (q !== undefined)
    return `${formatCount(q.queued)} of ${formatCount(q.limit)} waiting, each kept ${formatDuration(q.ttlMs)} before it is dead-lettered (absent-ttl)`;
  const limit = a.limits.absentQueue !== undefined ? formatCount(a.limits.absentQueue) : 'node default';
  const ttl = a.limits.absentTtlMs !== undefined ? formatDuration(a.limits.absentTtlMs) : 'node default';
  return `(present) keeps ${limit} messages for ${ttl} while stopped with --keep-queue or suspended`;
}

/** `3 active, 12 passivated`: a kind's instances on the node (decision 1980). */
function formatInstances(k: NonNullable<AgentView['kind']>): string {
  return `${formatCount(k.active)} active, ${formatCount(k.passivated)} passivated`;
}
