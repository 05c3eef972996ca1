/**
 * Token rotation (decision 1401): which tokens a node accepts before, during and after the overlap
 * (TokenSet, with an injected clock), what the data-directory rotator writes, and the refusals for
 * nodes without tokens or with provided token files. Plus the read-only role's config redaction.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { AgentStatus } from '@caxton/core';
import { ensureAuthToken, READ_TOKEN_FILE_NAME, TOKEN_FILE_NAME } from '../../src/api/auth.js';
import { TokenSet } from '../../src/api/token-set.js';
import { dataDirRotator, refusingRotator, TokenRotationRefusedError } from '../../src/api/token-rotation.js';
import { agentForPrincipal, REDACTED } from '../../src/api/redaction.js';

const OLD = { admin: 'A'.repeat(43), read: 'R'.repeat(43) };
const NEW = { admin: 'B'.repeat(43), read: 'S'.repeat(43) };

describe('TokenSet', () => {
  it('accepts the current pair by role and nothing else', () => {
    const set = new TokenSet(OLD);
    assert.equal(set.roleOf(OLD.admin, 0), 'admin');
    assert.equal(set.roleOf(OLD.read, 0), 'read');
    assert.equal(set.roleOf(NEW.admin, 0), undefined);
    assert.equal(new TokenSet({ admin: OLD.admin }).roleOf(OLD.read, 0), undefined, 'no read token configured');
  });

  it('after a rotation: new tokens at once, old ones until the overlap ends (exclusive), never after', () => {
    const set = new TokenSet(OLD);
    assert.deepEqual(set.rotate(NEW, 10_000, 1_000), { previousValidUntil: 11_000 });
    for (const t of [1_000, 10_999]) {
      assert.equal(set.roleOf(OLD.admin, t), 'admin', `old admin at ${t}`);
      assert.equal(set.roleOf(OLD.read, t), 'read', `old read at ${t}`);
    }
    assert.equal(set.roleOf(NEW.admin, 1_000), 'admin');
    assert.equal(set.roleOf(NEW.read, 1_000), 'read');
    assert.equal(set.roleOf(OLD.admin, 11_000), undefined);
    assert.equal(set.roleOf(OLD.read, 11_000), undefined);
    assert.equal(set.roleOf(NEW.admin, 99_000), 'admin');
  });

  it('a second rotation retires the first pair for good; overlap 0 refuses the old pair at once', () => {
    const set = new TokenSet(OLD);
    set.rotate(NEW, 10_000, 0);
    set.rotate({ admin: 'C'.repeat(43), read: 'T'.repeat(43) }, 0, 1);
    assert.equal(set.roleOf(OLD.admin, 2), undefined, 'two rotations back');
    assert.equal(set.roleOf(NEW.admin, 2), undefined, 'overlap 0');
    assert.equal(set.roleOf('C'.repeat(43), 2), 'admin');
  });
});

describe('rotating the token files', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('writes fresh 0600 tokens to auth-token and auth-token.read and applies them to the set', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'caxton-rotate-'));
    dirs.push(dir);
    const admin = await ensureAuthToken(dir);
    const read = await ensureAuthToken(dir, undefined, READ_TOKEN_FILE_NAME);
    const set = new TokenSet({ admin: admin.token, read: read.token });
    let now = 5_000;
    const rotated = await dataDirRotator(dir, set, () => now).rotate(60_000);
    assert.match(rotated.admin, /^cxt_[A-Za-z0-9_-]{43}$/);
    assert.notEqual(rotated.admin, admin.token);
    assert.notEqual(rotated.read, rotated.admin);
    assert.equal(rotated.previousValidUntil, 65_000);
    assert.equal((await readFile(path.join(dir, TOKEN_FILE_NAME), 'utf8')).trim(), rotated.admin);
    assert.equal((await readFile(path.join(dir, READ_TOKEN_FILE_NAME), 'utf8')).trim(), rotated.read);
    for (const f of [TOKEN_FILE_NAME, READ_TOKEN_FILE_NAME])
      assert.equal(((await stat(path.join(dir, f))).mode & 0o777).toString(8), '600', f);
    assert.equal(set.roleOf(rotated.admin, now), 'admin');
    assert.equal(set.roleOf(admin.token, now), 'admin');
    now = 65_000;
    assert.equal(set.roleOf(admin.token, now), undefined);
    await assert.rejects(dataDirRotator(dir, set).rotate(25 * 3_600_000), /overlap_seconds: must be 0 to 86400 seconds/);
  });

  it('refuses without tokens and for provided token files, saying what to do instead', async () => {
    await assert.rejects(
      refusingRotator('auth-disabled').rotate(0),
      (e: unknown) => e instanceof TokenRotationRefusedError && e.code === 'api.auth-disabled' && e.kind === 'failed-precondition',
    );
    await assert.rejects(
      refusingRotator('tokens-provided').rotate(0),
      (e: unknown) =>
        e instanceof TokenRotationRefusedError && e.code === 'api.tokens-provided' && /replace the Kubernetes Secret/.test(e.hint ?? ''),
    );
  });
});

describe('read-only redaction', () => {
  it('keeps config keys and replaces values for roles without config.read (read, observer) only', () => {
    const agent = { name: 'echo', config: { apiKey: 'sk-123', region: 'eu' } } as unknown as AgentStatus;
    for (const role of ['read', 'observer'] as const)
      assert.deepEqual(agentForPrincipal(agent, { role }).config, { apiKey: REDACTED, region: REDACTED });
    for (const role of ['admin', 'deployer', 'operator'] as const)
      assert.deepEqual(agentForPrincipal(agent, { role }).config, { apiKey: 'sk-123', region: 'eu' });
    assert.deepEqual(agent.config, { apiKey: 'sk-123', region: 'eu' }, "the node's own value is untouched");
  });

  it('leaves out a placement key naming an agent outside a scoped token’s agents (decision 2189), nothing else', () => {
    const agent = { name: 'team-a-ping', config: {}, near: { agent: 'team-a-hub', key: 'team-b-root' } } as unknown as AgentStatus;
    assert.deepEqual(agentForPrincipal(agent, { role: 'operator', agents: 'team-a-*' }).near, { agent: 'team-a-hub' });
    assert.deepEqual(agentForPrincipal(agent, { role: 'operator', agents: 'team-*' }).near, agent.near, 'in scope: shown');
    assert.deepEqual(agentForPrincipal(agent, { role: 'operator' }).near, agent.near, 'unconfined: shown');
    assert.deepEqual(agent.near, { agent: 'team-a-hub', key: 'team-b-root' }, "the node's own record is untouched");
  });
});
