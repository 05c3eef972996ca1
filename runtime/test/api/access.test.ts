/**
 * The permission table and the access check (core's access/, runtime's api/access.ts; decision
 * 1760) against the real service definition: every RPC is classified exactly once, each role holds
 * what docs/security.md says it holds (the table there is the one rendered from ROLES), and each
 * refusal carries its typed reason and a hint naming what is missing.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  authorize,
  changesNothing,
  matchesAgentPattern,
  parseAgentPatterns,
  PERMISSIONS,
  permissionsTableMarkdown,
  principalSees,
  ROLE_NAMES,
  roleHas,
  ROLES,
  rolesTableMarkdown,
  RPC_ACCESS,
  type Principal,
  type RoleName,
} from '@caxton/core';
import { caxtonService } from '@caxton/client';
import { requireAllowed } from '../../src/api/access.js';
import { PermissionDeniedError } from '../../src/api/errors.js';
import { requestAgents } from '../../src/api/request-agents.js';

const methods = Object.values(caxtonService())
  .map((m) => m.path.split('/').pop()!)
  .sort();
const may = (role: RoleName, method: string, agents?: string[]): boolean => authorize({ role }, method, agents) === undefined;
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

describe('the permission table', () => {
  it('classifies every RPC of caxton.v1.Caxton exactly once, and names only RPCs that exist', () => {
    // An RPC added to the .proto without an entry in RPC_ACCESS fails here first.
    assert.deepEqual(Object.keys(RPC_ACCESS).sort(), methods);
  });

  it('uses every permission: each one gates an RPC, except config.read, which gates config values', () => {
    const used = new Set<string>(Object.values(RPC_ACCESS).map((a) => a.permission));
    assert.deepEqual(
      PERMISSIONS.filter((p) => !used.has(p)),
      ['config.read'],
    );
  });

  it('counts as a change (audited) exactly the RPCs that change something, and any RPC it does not know', () => {
    const changes = methods.filter((m) => !changesNothing(m));
    assert.deepEqual(changes, [
      'DeployAgent',
      'Freeze',
      'ImportState',
      'IssueToken',
      'PurgeDeadLetters',
      'RedriveDeadLetters',
      'ResumeAgent',
      'RevokeToken',
      'RollbackAgent',
      'RotateTokens',
      'ScaleAgent',
      'SendMessage',
      'StopAgent',
      'SuspendAgent',
      'Thaw',
      'UpgradeAgent',
    ]);
    assert.equal(changesNothing('ShutdownNode'), false, 'an RPC this table has never heard of');
  });

  it('is the table docs/security.md shows (roles and permissions, rendered from the code)', () => {
    const doc = readFileSync(`${ROOT}docs/security.md`, 'utf8');
    for (const [name, table] of [
      ['rolesTableMarkdown', rolesTableMarkdown()],
      ['permissionsTableMarkdown', permissionsTableMarkdown()],
    ] as const) {
      assert.ok(doc.includes(table), `docs/security.md must contain the table exactly as ${name}() renders it:\n${table}`);
    }
  });
});

describe('the roles', () => {
  it('admin may call every RPC, and one the table does not know', () => {
    for (const m of methods) assert.ok(may('admin', m), m);
    assert.ok(may('admin', 'ShutdownNode'));
    assert.deepEqual([...ROLES.admin.permissions], [...PERMISSIONS]);
  });

  it('a deployer deploys, upgrades, stops, sends and seeds state, and cannot freeze, read the audit trail or manage tokens', () => {
    for (const m of ['DeployAgent', 'UpgradeAgent', 'StopAgent', 'SendMessage', 'ImportState', 'GetState', 'ListAgents'])
      assert.ok(may('deployer', m), m);
    for (const m of ['Freeze', 'Thaw', 'ListAudit', 'RotateTokens', 'IssueToken', 'ListTokens', 'RevokeToken', 'SuspendAgent'])
      assert.ok(!may('deployer', m), m);
  });

  it('an operator freezes, thaws, stops, suspends and reads the audit trail, and cannot deploy, send, import state or manage tokens', () => {
    for (const m of ['Freeze', 'Thaw', 'StopAgent', 'SuspendAgent', 'ResumeAgent', 'ListAudit', 'GetState'])
      assert.ok(may('operator', m), m);
    for (const m of ['DeployAgent', 'UpgradeAgent', 'SendMessage', 'ImportState', 'IssueToken', 'RotateTokens'])
      assert.ok(!may('operator', m), m);
  });

  it('an observer only looks: no config values, no state, no audit trail, no change', () => {
    const allowed = methods.filter((m) => may('observer', m));
    assert.deepEqual(allowed, [
      'GetAgent',
      'GetConversationCosts',
      'GetDeadLetter',
      'ListAgents',
      'ListDeadLetters',
      'ListTopics',
      'NodeStatus',
      'SearchDirectory',
      'StreamLogs',
      'TailMessages',
    ]);
    assert.ok(!roleHas('observer', 'config.read'));
  });

  it('read (auth-token.read) keeps what it could do before: look and read state, nothing else', () => {
    const allowed = methods.filter((m) => may('read', m));
    assert.deepEqual(allowed, [
      'ExportState',
      'GetAgent',
      'GetConversationCosts',
      'GetDeadLetter',
      'GetState',
      'ListAgents',
      'ListDeadLetters',
      'ListState',
      'ListTopics',
      'NodeStatus',
      'SearchDirectory',
      'StreamLogs',
      'TailMessages',
    ]);
    assert.ok(!roleHas('read', 'config.read'));
  });

  it('only operator and admin redrive or purge dead letters (decision 1860); every role may read them', () => {
    assert.deepEqual(
      ROLE_NAMES.filter((r) => roleHas(r, 'deadletters.manage')),
      ['admin', 'operator'],
    );
    assert.deepEqual(
      ROLE_NAMES.filter((r) => roleHas(r, 'deadletters.read')),
      ROLE_NAMES,
    );
  });

  it('scaling is its own permission, not implied by deploying (issue 27): operator and admin scale, a deployer may not', () => {
    assert.deepEqual(
      ROLE_NAMES.filter((r) => roleHas(r, 'agents.scale')),
      ['admin', 'operator'],
    );
    assert.ok(!may('deployer', 'ScaleAgent') && may('operator', 'ScaleAgent'));
  });

  it('only admin manages tokens', () => {
    assert.deepEqual(
      ROLE_NAMES.filter((r) => roleHas(r, 'tokens.manage')),
      ['admin'],
    );
  });
});

describe('tokens confined to agents', () => {
  const teamA: Principal = { role: 'deployer', agents: 'team-a-*', tokenId: '0123456789abcdef' };

  it('match agent names with * for any run of characters, several patterns comma-separated', () => {
    assert.ok(matchesAgentPattern('team-a-*', 'team-a-billing'));
    assert.ok(!matchesAgentPattern('team-a-*', 'team-b-billing'));
    assert.ok(!matchesAgentPattern('team-a-*', 'xteam-a-1'), 'a pattern is anchored at the start');
    assert.ok(matchesAgentPattern('*-worker', 'team-a-worker'));
    assert.ok(!matchesAgentPattern('*-worker', 'team-a-worker2'), 'and at the end');
    assert.ok(matchesAgentPattern('a*b*c', 'a-x-b-y-c'));
    assert.ok(!matchesAgentPattern('a*b*c', 'acb'));
    assert.ok(!matchesAgentPattern('ab*ba', 'aba'), 'pieces may not overlap');
    assert.ok(matchesAgentPattern('echo,team-a-*', 'echo'));
    assert.ok(!matchesAgentPattern('echo', 'echo2'));
  });

  it("never stretch * over what is no local agent name: a topic address or another platform's agent", () => {
    assert.ok(!matchesAgentPattern('*-bot', 'topic:alerts-bot'));
    assert.ok(!matchesAgentPattern('*', 'topic:alerts'));
    assert.ok(!matchesAgentPattern('*', 'pong@jade-1'));
    assert.ok(matchesAgentPattern('*', 'any-agent'));
    assert.equal(authorize({ role: 'deployer', agents: '*-bot' }, 'SendMessage', ['topic:alerts-bot'])?.reason, 'agent-out-of-scope');
  });

  it('refuse patterns with other characters (no regex, no path syntax)', () => {
    for (const bad of ['', 'a/b/c', '/a', 'a/', 'a?', '[ab]', 'a,,b', 'x'.repeat(129), '.*|admin'])
      assert.equal(parseAgentPatterns(bad), undefined, bad);
    assert.deepEqual(parseAgentPatterns('team-a-*, echo'), ['team-a-*', 'echo']);
  });

  it('reach instances of a kind only through a <kind>/<key> pattern: * never stretches across the /', () => {
    assert.ok(matchesAgentPattern('counter/*', 'counter/alice'));
    assert.ok(matchesAgentPattern('counter/alice', 'counter/alice'));
    assert.ok(!matchesAgentPattern('counter/alice', 'counter/bob'));
    assert.ok(matchesAgentPattern('*/alice', 'ledger/alice'));
    assert.ok(!matchesAgentPattern('counter/*', 'counter'), 'the kind itself is not one of its instances');
    assert.ok(matchesAgentPattern('counter', 'counter'), "the kind's own operations");
    assert.ok(!matchesAgentPattern('counter', 'counter/alice'), "a kind's name covers none of its instances");
    assert.ok(!matchesAgentPattern('*', 'counter/alice'), '* does not stretch across the /');
    assert.ok(!matchesAgentPattern('counter*', 'counter/alice'));
    assert.ok(!matchesAgentPattern('counter/*', 'counter/a/b'));
    assert.equal(authorize({ role: 'deployer', agents: 'counter/*' }, 'SendMessage', ['counter/alice', 'counter/bob']), undefined);
    assert.equal(authorize({ role: 'deployer', agents: 'counter/*' }, 'SendMessage', ['other/alice'])?.reason, 'agent-out-of-scope');
  });

  it('may act on their agents only', () => {
    assert.equal(authorize(teamA, 'DeployAgent', ['team-a-x']), undefined);
    assert.deepEqual(authorize(teamA, 'DeployAgent', ['team-b-x']), {
      reason: 'agent-out-of-scope',
      method: 'DeployAgent',
      permission: 'agents.deploy',
      agent: 'team-b-x',
    });
    assert.equal(authorize(teamA, 'SendMessage', ['team-a-1', 'team-a-2']), undefined);
    assert.equal(authorize(teamA, 'SendMessage', ['team-a-1', 'echo'])?.reason, 'agent-out-of-scope');
  });

  it("are refused node-wide calls, may read the node's status, and see only their agents in lists", () => {
    assert.equal(authorize(teamA, 'TailMessages')?.reason, 'node-wide-call');
    assert.equal(authorize({ role: 'admin', agents: 'x*' }, 'Freeze')?.reason, 'node-wide-call');
    assert.equal(authorize({ role: 'admin', agents: 'x*' }, 'ShutdownNode')?.reason, 'unknown-method');
    assert.equal(authorize(teamA, 'NodeStatus'), undefined);
    assert.ok(principalSees(teamA, 'team-a-1') && !principalSees(teamA, 'echo') && principalSees({ role: 'observer' }, 'echo'));
  });

  it('the agents a request names are read from the field the table gives, failing closed', () => {
    assert.deepEqual(requestAgents('StopAgent', { name: 'team-a-1', force: false }), ['team-a-1']);
    assert.deepEqual(requestAgents('GetState', { agent: 'team-a-1', key: 'k' }), ['team-a-1']);
    assert.deepEqual(requestAgents('DeployAgent', { name: 'team-b-1' }), ['team-b-1']);
    assert.deepEqual(requestAgents('StopAgent', {}), ['<unreadable>']);
    assert.deepEqual(requestAgents('SendMessage', { nonsense: true }), ['<unreadable>']);
    assert.equal(requestAgents('ListAgents', {}), undefined);
    assert.equal(requestAgents('Freeze', {}), undefined);
  });
});

describe('refusals', () => {
  const denied = (fn: () => void): PermissionDeniedError => {
    try {
      fn();
    } catch (err) {
      assert.ok(err instanceof PermissionDeniedError);
      return err;
    }
    assert.fail('not refused');
  };

  it('name the permission missing and the roles holding it (PERMISSION_DENIED, reason permission-missing)', () => {
    const e = denied(() => requireAllowed({ role: 'deployer', tokenId: 'abcdef0123456789' }, 'Freeze'));
    assert.equal(e.code, 'api.permission-denied');
    assert.equal(e.kind, 'permission-denied');
    assert.deepEqual(e.context, { method: 'Freeze', reason: 'permission-missing', role: 'deployer', permission: 'node.freeze' });
    assert.equal(e.message, 'token abcdef0123456789 (role deployer) may not call Freeze');
    assert.match(e.hint ?? '', /^it needs permission node\.freeze, which roles admin, operator hold: .*caxton token issue --role/);
  });

  it("keep the read-only token's wording", () => {
    assert.match(denied(() => requireAllowed({ role: 'read' }, 'SendMessage')).message, /^the read-only token may not call SendMessage$/);
  });

  it("say which agent is outside a confined token's patterns", () => {
    const e = denied(() => requireAllowed({ role: 'deployer', agents: 'team-a-*' }, 'StopAgent', ['echo']));
    assert.equal(e.context.reason, 'agent-out-of-scope');
    assert.equal(e.context.agent, 'echo');
    assert.match(e.message, /confined to agents team-a-\*: StopAgent on echo is outside them/);
    assert.match(e.hint ?? '', /--agents pattern covers echo/);
  });
});
