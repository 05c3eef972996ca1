/** `caxton agents`: the table of agents and the detail view of one. */
import type { AgentView } from '@caxton/client';
import { renderFields, renderTable, truncate, type Column } from './table.js';
import { formatAge, formatBytes, formatCount, formatPages, formatTime } from './units.js';

const COLUMNS: Column<AgentView>[] = [
  { header: 'NAME', value: (a) => a.name },
  // A breaker that is not closed shows with the state: `running (breaker open)`.
  // A kind (decision 1980) shows its instances: `kind (3 active, 12 passivated)`.
  { header: 'STATE', value: (a) => (a.kind ? `kind (${formatInstances(a.kind)})` : a.breaker ? `${a.state} (breaker ${a.breaker.state})` : a.state) },
  { header: 'LANG', value: (a) => a.language ?? '-' },
  // `3 (2)`: version 3 running, version 2 what `caxton rollback` would put back.
  { header: 'VERSION', value: (a) => (a.previous ? `${a.version} (${a.previous.version})` : String(a.version)), right: true },
  { header: 'NODE', value: (a) => a.nodeId },
  { header: 'MAILBOX', value: (a) => formatCount(a.mailboxDepth), right: true },
  { header: 'HANDLED', value: (a) => formatCount(a.messagesHandled), right: true },
  { header: 'RESTARTS', value: (a) => String(a.restarts), right: true },
  { header: 'MEMORY', value: (a) => `${formatPages(a.memoryPages)}/${formatPages(a.limits.memoryPages)}` },
  { header: 'SIGNER', value: (a) => a.signerKeyId ?? '-' },
  { header: 'LAST ERROR', value: (a) => (a.lastError ? truncate(a.lastError.message, 60) : '') },
];

export function formatAgentTable(agents: readonly AgentView[]): string {
  if (agents.length === 0) return 'No agents deployed. Deploy one with `caxton deploy <artifact|dir>`.\n';
  return renderTable(COLUMNS, agents);
}

export function formatAgentDetail(a: AgentView, now: number): string {
  const config = Object.entries(a.config).map(([k, v]) => `${k}=${v}`).join(', ');
  const fields: [string, string][] = [
    ['name', a.name],
    ['state', a.kind ? 'kind' : a.state],
    ...(a.kind ? [['instances', `${formatInstances(a.kind)}, ${formatCount(a.kind.activations)} activations, ${formatCount(a.kind.failed)} failed; passivated after ${a.kind.idleMs} ms idle`] as [string, string]] : []),
    ['node', a.nodeId],
    ['version', String(a.version)],
    ['rollback to', a.previous ? `version ${a.previous.version}, sha256:${a.previous.artifactDigest}${a.previous.language ? ` (${a.previous.language})` : ''}` : '(none: never upgraded)'],
    ['language', a.language ?? '(not stated)'],
    ['artifact', `sha256:${a.artifactDigest} (${formatBytes(a.artifactSize)})`],
    ['fuel/message', formatCount(a.limits.fuelPerMessage)],
    ['memory limit', `${formatPages(a.limits.memoryPages)} (${a.limits.memoryPages} pages)`],
    ['sends', `${a.limits.sendsPerSecond !== undefined ? `${formatCount(a.limits.sendsPerSecond)}/s` : 'node default /s'}, ${a.limits.maxOutbox !== undefined ? formatCount(a.limits.maxOutbox) : 'node default'} per message`],
    ['memory now', `${formatPages(a.memoryPages)} (${a.memoryPages} pages)`],
    ['fuel used', formatCount(a.fuelUsed)],
    ['mailbox', `${formatCount(a.mailboxDepth)} pending`],
    ['breaker', formatBreaker(a.breaker)],
    ['handled', formatCount(a.messagesHandled)],
    ['restarts', String(a.restarts)],
    ['last error', a.lastError ? `${a.lastError.message}${a.lastError.code ? ` [${a.lastError.code}]` : ''} at ${formatTime(a.lastError.at)}` : 'none'],
    ['config', config || '(none)'],
    ['http', a.http ? formatHttpPolicy(a.http) : '(none)'],
    ['signed by', a.signerKeyId ? `key ${a.signerKeyId}` : '(no trusted signature)'],
    ['deployed', `${formatTime(a.createdAt)} (${formatAge(a.createdAt, now)})`],
    ['updated', `${formatTime(a.updatedAt)} (${formatAge(a.updatedAt, now)})`],
  ];
  return renderFields(fields);
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
  if (b.state === 'half-open') return `half-open: ${b.failures} failed in a row, a probe message is being handled; new sends refused until it is`;
  return `open: ${b.failures} failed in a row, new sends refused; probe in ${((b.retryAfterMs ?? 0) / 1000).toFixed(1)} s`;
}

/** `3 active, 12 passivated`: a kind's instances on the node (decision 1980). */
function formatInstances(k: NonNullable<AgentView['kind']>): string {
  return `${formatCount(k.active)} active, ${formatCount(k.passivated)} passivated`;
}
