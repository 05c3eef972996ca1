/**
 * The role policy (access.ts) against the real service definition: every RPC is either read-only or
 * needs the admin token, and exactly the calls that change something (or speak to agents) do.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { caxtonService } from '../../src/api/proto.js';
import { mayCall, READ_ONLY_METHODS } from '../../src/api/access.js';

const methods = Object.values(caxtonService()).map((m) => m.path.split('/').pop()!);

it('classifies every RPC of the service, and names only RPCs that exist', () => {
  for (const m of READ_ONLY_METHODS) assert.ok(methods.includes(m), `${m} is not an RPC of caxton.v1`);
  const adminOnly = methods.filter((m) => !mayCall('read', m)).sort();
  assert.deepEqual(adminOnly, ['DeployAgent', 'ImportState', 'RotateTokens', 'SendMessage', 'StopAgent', 'UpgradeAgent']);
  for (const m of methods) assert.equal(mayCall('admin', m), true, `admin may call ${m}`);
});
