/**
 * What a caller may be allowed to do (decision 1760): one permission per kind of management call,
 * and the one table that says which permission each RPC of caxton.v1.Caxton needs. Every RPC is
 * classified exactly once (a unit test compares this table with the service definition), so an RPC
 * added later without an entry here is refused to every role but admin's catch-all — and the test
 * fails first. Pure.
 */

export const PERMISSIONS = [
  'agents.read',
  'config.read',
  'agents.deploy',
  'agents.scale',
  'agents.stop',
  'agents.suspend',
  'messages.send',
  'messages.read',
  'logs.read',
  'directory.read',
  'node.status',
  'node.freeze',
  'state.read',
  'state.write',
  'audit.read',
  'tokens.manage',
  'deadletters.read',
  'deadletters.manage',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

/**
 * What the API shows for each agent config value a caller without `config.read` may not see
 * (decisions 1401, 1760): written by the node's redaction, recognised by clients that compare config.
 */
export const REDACTED_CONFIG_VALUE = '<redacted>';

/** One line each, for `caxton token` help and docs/security.md. */
export const PERMISSION_MEANING: Readonly<Record<Permission, string>> = {
  'agents.read': "list agents and read one agent's status (config values redacted without config.read)",
  'config.read': 'see agent config values (API keys often live there) instead of `<redacted>`',
  'agents.deploy': 'deploy, upgrade and roll back agents',
  'agents.scale': 'run an agent as several replicas (each a whole instance with its own memory and rate budgets)',
  'agents.stop': 'stop agents',
  'agents.suspend': 'suspend and resume single agents',
  'messages.send': 'send ACL messages to agents as the operator',
  'messages.read': "follow the message tail; read what conversations cost (their ids are the messages', decision 2184)",
  'logs.read': "read agents' logs",
  'directory.read': 'search the directory facilitator and list topic subscriptions',
  'node.status': "read the node's status",
  'node.freeze': 'freeze and thaw the node or the cluster (kill switch)',
  'state.read': 'read, list and export agent state',
  'state.write': 'import (replace) agent state',
  'audit.read': 'read the audit trail and its anchor',
  'tokens.manage': "rotate the node's tokens; issue, list and revoke issued tokens",
  'deadletters.read': 'list dead letters and read one, with its message and why it was dead-lettered',
  'deadletters.manage': 'redrive dead letters (send them again, optionally to another agent) and purge them',
};

/**
 * What an RPC acts on, which decides how an agent-scoped token (`--agents team-a-*`) is checked:
 * - `agent`: one named agent (the request's field `field`, or the upload header's `name`): it must
 *   match the pattern;
 * - `receivers`: every receiver of the message must match;
 * - `list`: answers are filtered to the matching agents;
 * - `node`: the whole node (its tail, its logs, the kill switch…): a scoped token is refused, since
 *   the call is not confined to its agents;
 * - `node-info`: facts about the node itself (its id, version, health), no agent's: a scoped token
 *   may ask (the console needs it to start).
 */
export type RpcTarget =
  | { kind: 'agent'; field: string }
  | { kind: 'receivers' }
  | { kind: 'list' }
  | { kind: 'node' }
  | { kind: 'node-info' };

export interface RpcAccess {
  permission: Permission;
  target: RpcTarget;
  /** Whether the call may change something: such calls are written ahead to the audit trail. */
  changes: boolean;
}

const agent = (field: string): RpcTarget => ({ kind: 'agent', field });
const NODE: RpcTarget = { kind: 'node' };

/** Every RPC of caxton.v1.Caxton, by name. */
export const RPC_ACCESS = {
  DeployAgent: { permission: 'agents.deploy', target: agent('name'), changes: true },
  UpgradeAgent: { permission: 'agents.deploy', target: agent('name'), changes: true },
  RollbackAgent: { permission: 'agents.deploy', target: agent('name'), changes: true },
  StopAgent: { permission: 'agents.stop', target: agent('name'), changes: true },
  SuspendAgent: { permission: 'agents.suspend', target: agent('name'), changes: true },
  // Not implied by agents.deploy: N replicas are N instances' worth of the node (issue 27, finding 8).
  ScaleAgent: { permission: 'agents.scale', target: agent('name'), changes: true },
  ResumeAgent: { permission: 'agents.suspend', target: agent('name'), changes: true },
  ListAgents: { permission: 'agents.read', target: { kind: 'list' }, changes: false },
  GetAgent: { permission: 'agents.read', target: agent('name'), changes: false },
  SendMessage: { permission: 'messages.send', target: { kind: 'receivers' }, changes: true },
  TailMessages: { permission: 'messages.read', target: NODE, changes: false },
  StreamLogs: { permission: 'logs.read', target: NODE, changes: false },
  SearchDirectory: { permission: 'directory.read', target: NODE, changes: false },
  ListTopics: { permission: 'directory.read', target: NODE, changes: false },
  NodeStatus: { permission: 'node.status', target: { kind: 'node-info' }, changes: false },
  GetState: { permission: 'state.read', target: agent('agent'), changes: false },
  ListState: { permission: 'state.read', target: agent('agent'), changes: false },
  ExportState: { permission: 'state.read', target: agent('agent'), changes: false },
  ImportState: { permission: 'state.write', target: agent('agent'), changes: true },
  ListAudit: { permission: 'audit.read', target: NODE, changes: false },
  GetAuditAnchor: { permission: 'audit.read', target: NODE, changes: false },
  Freeze: { permission: 'node.freeze', target: NODE, changes: true },
  Thaw: { permission: 'node.freeze', target: NODE, changes: true },
  RotateTokens: { permission: 'tokens.manage', target: NODE, changes: true },
  IssueToken: { permission: 'tokens.manage', target: NODE, changes: true },
  ListTokens: { permission: 'tokens.manage', target: NODE, changes: false },
  RevokeToken: { permission: 'tokens.manage', target: NODE, changes: true },
  // Dead letters span agents (a redrive may move one to another): node-wide, no scoped token.
  ListDeadLetters: { permission: 'deadletters.read', target: NODE, changes: false },
  GetDeadLetter: { permission: 'deadletters.read', target: NODE, changes: false },
  RedriveDeadLetters: { permission: 'deadletters.manage', target: NODE, changes: true },
  PurgeDeadLetters: { permission: 'deadletters.manage', target: NODE, changes: true },
  // Conversation ids are the messages' (decision 2184): read as the tail is, node-wide.
  GetConversationCosts: { permission: 'messages.read', target: NODE, changes: false },
} as const satisfies Record<string, RpcAccess>;

export type RpcName = keyof typeof RPC_ACCESS;

/** The RPC's entry, or undefined for a name this table does not know (refused to all but admin). */
export function rpcAccess(method: string): RpcAccess | undefined {
  return Object.hasOwn(RPC_ACCESS, method) ? RPC_ACCESS[method as RpcName] : undefined;
}

/**
 * Whether an RPC only looks. Every other one — an RPC this table does not know included — counts as
 * a change: the audit trail records it.
 */
export function changesNothing(method: string): boolean {
  return rpcAccess(method)?.changes === false;
}
