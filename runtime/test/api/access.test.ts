/**
 * The role policy (access.ts) against the real service definition: every RPC is either read-only or
 * needs the admin token, and exactly the calls that change something (or speak to agents) do.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { caxtonService } from '../../src/api/proto.js';
import { ADMIN_ONLY_READS, changesNothing, mayCall, READ_ONLY_METHODS } from '../../src/api/access.js';

const methods = Object.values(caxtonService()).map((m) => m.path.split('/').pop()!);

it('classifies every RPC of the service, and names only RPCs that exist', () => {
  for (const m of READ_ONLY_METHODS) assert.ok(methods.includes(m), `${m} is not an RPC of caxton.v1`);
  const adminOnly = methods.filter((m) => !mayCall('read', m)).sort();
  assert.deepEqual(adminOnly, ['DeployAgent', 'Freeze', 'GetAuditAnchor', 'ImportState', 'ListAudit', 'ResumeAgent', 'RotateTokens', 'SendMessage', 'StopAgent', 'SuspendAgent', 'Thaw', 'UpgradeAgent']);
  for (const m of methods) assert.equal(mayCall('admin', m), true, `admin may call ${m}`);
});

it('counts as a change (audited, admin only) every RPC not known to only look, including ones added later', () => {
  for (const m of ADMIN_ONLY_READS) assert.ok(methods.includes(m), `${m} is not an RPC of caxton.v1`);
  const changes = methods.filter((m) => !changesNothing(m)).sort();
  assert.deepEqual(changes, ['DeployAgent', 'Freeze', 'ImportState', 'ResumeAgent', 'RotateTokens', 'SendMessage', 'StopAgent', 'SuspendAgent', 'Thaw', 'UpgradeAgent']);
  assert.equal(changesNothing('ShutdownNode'), false, 'an RPC this table has never heard of');
  assert.equal(mayCall('read', 'ListAudit'), false);
});
