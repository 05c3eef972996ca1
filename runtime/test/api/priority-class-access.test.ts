/**
 * Who may deploy a kind above the default priority class (decision 2187): such a kind takes other
 * agents' activation slots, so it needs agents.scale beside agents.deploy and a token not confined
 * to agents — a tenant confined to `team-a-*` may not evict `team-b-*`'s instances. `low` and
 * `normal` ask nothing more than the deploy itself.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CaxtonError } from '@caxton/core';
import { requirePriorityClassAllowed } from '../../src/api/access.js';

const refused = (code: string, said: RegExp) => (e: unknown) => {
  assert.equal((e as CaxtonError).code, code);
  assert.equal((e as CaxtonError).kind, 'permission-denied');
  assert.match((e as CaxtonError).message, said);
  assert.ok((e as CaxtonError).hint);
  return true;
};

test('high needs an unconfined token holding agents.scale; low, normal and none ask nothing more', () => {
  for (const role of ['deployer', 'admin'] as const)
    for (const cls of [undefined, 'low', 'normal'])
      assert.doesNotThrow(() => requirePriorityClassAllowed({ role, agents: 'team-a-*' }, 'team-a-k', cls));
  assert.doesNotThrow(() => requirePriorityClassAllowed({ role: 'admin' }, 'k', 'high'));
  assert.throws(
    () => requirePriorityClassAllowed({ role: 'deployer' }, 'k', 'high'),
    refused('api.permission-denied', /may not call ScaleAgent/),
  );
  assert.throws(
    () => requirePriorityClassAllowed({ role: 'admin', agents: 'team-a-*' }, 'team-a-k', 'high'),
    refused('api.permission-denied', /confined to agents team-a-\*: a kind of priority class high preempts other agents' instances/),
  );
});
