/**
 * Who may call what (decision 0804). Two roles, one token each, both in the node's data dir:
 * `admin` (auth-token) may do everything; `read` (auth-token.read) may only look — list and get
 * agents, follow logs and the message tail, search the directory, read the node's status — so a
 * dashboard, an on-call engineer or a log shipper never holds a credential that deploys code or
 * speaks to agents. Pure: no I/O.
 */
export type Role = 'admin' | 'read';

/** RPCs of caxton.v1.CaxtonService that change nothing. Everything else needs `admin`. */
export const READ_ONLY_METHODS: ReadonlySet<string> = new Set([
  'ListAgents', 'GetAgent', 'TailMessages', 'StreamLogs', 'SearchDirectory', 'NodeStatus',
  // Agent state: reading it is looking; ImportState changes it and needs admin (decision 1600).
  'GetState', 'ListState', 'ExportState',
]);

export function mayCall(role: Role, method: string): boolean {
  return role === 'admin' || READ_ONLY_METHODS.has(method);
}

/**
 * RPCs that change nothing yet need `admin`: the audit trail shows who did what from where, with
 * token fingerprints, which is more than a dashboard's token should see (decision 1402).
 */
export const ADMIN_ONLY_READS: ReadonlySet<string> = new Set(['ListAudit', 'GetAuditAnchor']);

/**
 * Whether an RPC only looks. Every other RPC — including one added later and not listed here —
 * counts as a change: it needs `admin` and the audit trail records it.
 */
export function changesNothing(method: string): boolean {
  return READ_ONLY_METHODS.has(method) || ADMIN_ONLY_READS.has(method);
}
