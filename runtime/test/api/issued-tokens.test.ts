/**
 * Issued tokens (decision 1760): what the node keeps (a sha256, never the token), how an issued
 * token resolves — to its role and agents while valid, to its own UNAUTHENTICATED code once expired
 * or revoked —, the checks on what may be issued, and the file they persist in.
 */
import assert from 'node:assert/strict';
import { chmod, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Metadata } from '@grpc/grpc-js';
import { bearerPrincipalResolver } from '../../src/api/auth.js';
import { callerIdentifier, tokenFingerprint } from '../../src/api/caller.js';
import { UnauthenticatedError } from '../../src/api/errors.js';
import { fileTokenIssuer, ISSUED_TOKENS_FILE_NAME, loadIssuedTokens } from '../../src/api/issued-token-file.js';
import { IssuedTokens, MAX_ISSUED_TTL_MS, mintIssuedToken, sha256Hex } from '../../src/api/issued-tokens.js';
import { TokenFileError } from '../../src/api/auth.js';
import { TokenSet } from '../../src/api/token-set.js';
import { tempDir } from './support/harness.js';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-11-23T12:00:00Z');

describe('issued tokens in memory', () => {
  it('mint a cxt_ token whose id is its fingerprint, and keep only its sha256', () => {
    const tokens = new IssuedTokens();
    const { token, record } = tokens.issue({ role: 'deployer', agents: 'team-a-*', ttlMs: HOUR, label: 'ci' }, T0);
    assert.match(token, /^cxt_[A-Za-z0-9_-]{43}$/);
    assert.equal(record.id, tokenFingerprint(token));
    assert.equal(record.sha256, sha256Hex(token));
    assert.equal(record.expiresAt, T0 + HOUR);
    assert.doesNotMatch(JSON.stringify(tokens.records()), new RegExp(token.slice(4)));
    assert.deepEqual(tokens.list(), [
      { id: record.id, label: 'ci', role: 'deployer', agents: 'team-a-*', createdAt: T0, expiresAt: T0 + HOUR },
    ]);
  });

  it('issue a token minted beforehand (its id written ahead to the audit trail) as that token, under that id', () => {
    const tokens = new IssuedTokens();
    const minted = mintIssuedToken();
    assert.equal(minted.id, sha256Hex(minted.token).slice(0, 16));
    const { token, record } = tokens.issue({ role: 'observer', ttlMs: HOUR, minted }, T0);
    assert.deepEqual([token, record.id], [minted.token, minted.id]);
    assert.equal(tokens.lookup(minted.token, T0 + 1)?.status, 'valid');
    assert.notEqual(mintIssuedToken().id, minted.id);
  });

  it('resolve to their principal while valid, and say expired or revoked after', () => {
    const tokens = new IssuedTokens();
    const { token, record } = tokens.issue({ role: 'operator', ttlMs: HOUR }, T0);
    assert.deepEqual(tokens.lookup(token, T0 + 1), { status: 'valid', record, principal: { role: 'operator', tokenId: record.id } });
    assert.equal(tokens.lookup(token, T0 + HOUR)?.status, 'expired');
    assert.equal(tokens.lookup('cxt_never-issued-never-issued-never-issued-0', T0), undefined);
    tokens.revoke(record.id, T0 + 10);
    assert.equal(tokens.lookup(token, T0 + 11)?.status, 'revoked');
    assert.equal(tokens.revoke(record.id, T0 + 99).revokedAt, T0 + 10, 'revoking again changes nothing');
  });

  it('refuse what may not be issued, naming the field', () => {
    const tokens = new IssuedTokens();
    const field = (req: Parameters<IssuedTokens['issue']>[0]): string => {
      try {
        tokens.issue(req, T0);
      } catch (err) {
        return (err as { field: string }).field;
      }
      return 'issued';
    };
    assert.equal(field({ role: 'root', ttlMs: HOUR }), 'role');
    assert.equal(field({ role: 'observer', agents: 'team/a/b', ttlMs: HOUR }), 'agents');
    assert.equal(field({ role: 'observer', ttlMs: 0 }), 'ttl_seconds');
    assert.equal(field({ role: 'observer', ttlMs: MAX_ISSUED_TTL_MS + 1 }), 'ttl_seconds');
    assert.equal(field({ role: 'observer', ttlMs: HOUR, label: 'tab\there' }), 'label');
    assert.equal(field({ role: 'observer', ttlMs: HOUR, label: 'fine label' }), 'issued');
    assert.throws(() => tokens.revoke('0000000000000000', T0), /no token named 0000000000000000/);
  });
});

describe('resolving bearer tokens', () => {
  const fixed = new TokenSet({
    admin: 'cxt_admin-admin-admin-admin-admin-admin-admin',
    read: 'cxt_read-read-read-read-read-read-read-read-re',
  });
  const issued = new IssuedTokens();
  let now = T0;
  const resolve = bearerPrincipalResolver(fixed, issued, () => now);
  const deployer = issued.issue({ role: 'deployer', agents: 'team-a-*', ttlMs: HOUR, label: 'ci' }, T0);
  const observer = issued.issue({ role: 'observer', ttlMs: 2 * HOUR }, T0);

  it("gives the node's own tokens their roles and issued ones theirs, with agents and id", () => {
    assert.deepEqual(resolve(['Bearer cxt_admin-admin-admin-admin-admin-admin-admin']), { role: 'admin' });
    assert.deepEqual(resolve(['Bearer cxt_read-read-read-read-read-read-read-read-re']), { role: 'read' });
    assert.deepEqual(resolve([`Bearer ${deployer.token}`]), { role: 'deployer', agents: 'team-a-*', tokenId: deployer.record.id });
  });

  it('refuses an expired token and a revoked one with their own codes and a hint', () => {
    now = T0 + HOUR;
    assert.throws(
      () => resolve([`Bearer ${deployer.token}`]),
      (e: unknown) =>
        e instanceof UnauthenticatedError &&
        e.code === 'api.token-expired' &&
        e.message === `token ${deployer.record.id} (ci) expired at 2026-11-23T13:00:00.000Z` &&
        /caxton token issue/.test(e.hint ?? ''),
    );
    issued.revoke(observer.record.id, now);
    assert.throws(
      () => resolve([`Bearer ${observer.token}`]),
      (e: unknown) => e instanceof UnauthenticatedError && e.code === 'api.token-revoked' && /was revoked at/.test(e.message),
    );
    assert.throws(
      () => resolve(['Bearer cxt_wrong-wrong-wrong-wrong-wrong-wrong-wrong']),
      (e: unknown) => e instanceof UnauthenticatedError && e.code === 'api.unauthenticated',
    );
  });

  it('identifies callers for the audit trail: an issued token by its role and id, an ended one as none', () => {
    const identify = callerIdentifier(fixed, issued, () => T0 + 1);
    const md = (token: string): Metadata => {
      const m = new Metadata();
      m.set('authorization', `Bearer ${token}`);
      return m;
    };
    assert.deepEqual(identify(md(deployer.token)), { role: 'deployer', token: deployer.record.id });
    assert.deepEqual(callerIdentifier(fixed, issued, () => T0 + HOUR)(md(deployer.token)), { role: 'none', token: deployer.record.id });
  });
});

describe('the issued-token file', () => {
  let dir: string;
  before(async () => {
    dir = await tempDir('caxton-issued-');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is written 0600 on each issue and revocation, without tokens, and read back at start', async () => {
    const tokens = await loadIssuedTokens(path.join(dir, ISSUED_TOKENS_FILE_NAME));
    const issuer = fileTokenIssuer(dir, tokens, () => T0);
    const a = await issuer.issue({ role: 'observer', ttlMs: HOUR, label: 'dash' });
    const b = await issuer.issue({ role: 'deployer', agents: 'team-a-*', ttlMs: HOUR });
    await issuer.revoke(a.record.id);
    const file = path.join(dir, ISSUED_TOKENS_FILE_NAME);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const text = await readFile(file, 'utf8');
    assert.ok(!text.includes(a.token) && !text.includes(b.token));
    const reloaded = await loadIssuedTokens(file);
    assert.equal(reloaded.lookup(a.token, T0)?.status, 'revoked');
    assert.equal(reloaded.lookup(b.token, T0)?.status, 'valid');
  });

  it('is refused when other users may write it (they could add an admin token) or it is not a token list', async () => {
    const file = path.join(dir, ISSUED_TOKENS_FILE_NAME);
    await chmod(file, 0o662);
    await assert.rejects(loadIssuedTokens(file), (e: unknown) => e instanceof TokenFileError && e.code === 'api.token-file-exposed');
    await chmod(file, 0o600);
    await writeFile(path.join(dir, 'bad.json'), JSON.stringify({ tokens: [{ id: 'x', role: 'god' }] }), { mode: 0o600 });
    await assert.rejects(
      loadIssuedTokens(path.join(dir, 'bad.json')),
      (e: unknown) => e instanceof TokenFileError && e.code === 'api.token-file-invalid',
    );
    assert.deepEqual((await loadIssuedTokens(path.join(dir, 'none.json'))).list(), [], 'no file yet: no tokens');
  });
});
