/**
 * Token files the operator provides (serve --auth-token-file/--read-token-file, a Kubernetes Secret
 * volume): checked, never created or changed; the permission rule case by case, then real files.
 */
import assert from 'node:assert/strict';
import { chmod, mkdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { TokenFileError } from '../../src/api/auth.js';
import { ApiCallError } from '@caxton/client';
import { providedFileProblem, readProvidedTokenFile } from '../../src/api/provided-token.js';
import { startHarness, tempDir } from './support/harness.js';

const ME = 10001;
const file = (mode: number, uid: number) => ({ mode: 0o100000 | mode, uid, isFile: true, processUid: ME });

describe('provided token files: the permission rule', () => {
  it('accepts what a Secret volume gives a pod: owner root, group read (fsGroup), nothing for others', () => {
    assert.equal(providedFileProblem('/t', file(0o440, 0)), undefined);
    assert.equal(providedFileProblem('/t', file(0o400, 0)), undefined);
    assert.equal(providedFileProblem('/t', file(0o600, ME)), undefined, 'a file of our own');
    assert.equal(providedFileProblem('/t', file(0o640, ME)), undefined);
  });

  it("refuses files others can read (Kubernetes' default 0644) and names defaultMode", () => {
    const p = providedFileProblem('/t', file(0o644, 0));
    assert.equal(p?.code, 'api.token-file-exposed');
    assert.match(p?.message ?? '', /accessible by all users \(mode 0644\)/);
    assert.match(p?.hint ?? '', /defaultMode: 0440/);
    assert.equal(providedFileProblem('/t', file(0o604, ME))?.code, 'api.token-file-exposed');
  });

  it('refuses a file another (non-root) user owns: that user could swap the token', () => {
    const p = providedFileProblem('/t', file(0o440, 1234));
    assert.equal(p?.code, 'api.token-file-exposed');
    assert.match(p?.message ?? '', /uid 1234, neither root nor this user \(10001\)/);
  });

  it('refuses a directory', () => {
    assert.equal(providedFileProblem('/t', { ...file(0o750, 0), isFile: false })?.code, 'api.token-file-invalid');
  });
});

describe('provided token files: real files', () => {
  let dir: string;
  const token = `${'A'.repeat(20) + 'b'.repeat(20)}+/=`;
  before(async () => {
    dir = await tempDir('caxton-provided-');
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('reads a Secret-like layout (a symlink into ..data/, mode 0440) and leaves the file as it was', async () => {
    await mkdir(path.join(dir, '..data'));
    const real = path.join(dir, '..data', 'auth-token');
    await writeFile(real, `${token}\n`);
    await chmod(real, 0o440);
    const link = path.join(dir, 'auth-token');
    await symlink(path.join('..data', 'auth-token'), link);
    assert.equal(await readProvidedTokenFile(link), token);
    assert.equal((await stat(real)).mode & 0o777, 0o440, 'not chmod-ed');
  });

  it('refuses a world-readable file without touching it', async () => {
    const f = path.join(dir, 'open');
    await writeFile(f, token);
    await chmod(f, 0o644);
    await assert.rejects(readProvidedTokenFile(f), (e: unknown) => e instanceof TokenFileError && e.code === 'api.token-file-exposed');
    assert.equal((await stat(f)).mode & 0o777, 0o644);
  });

  it('never creates a missing file, and says so', async () => {
    const f = path.join(dir, 'missing');
    await assert.rejects(
      readProvidedTokenFile(f),
      (e: unknown) => e instanceof TokenFileError && e.code === 'api.token-file-invalid' && /mount the Secret/.test(e.hint ?? ''),
    );
    await assert.rejects(stat(f), /ENOENT/);
  });

  it('refuses content that is not a token', async () => {
    const f = path.join(dir, 'short');
    await writeFile(f, 'tooshort', { mode: 0o600 });
    await assert.rejects(readProvidedTokenFile(f), (e: unknown) => e instanceof TokenFileError && e.code === 'api.token-file-invalid');
  });

  it('the API accepts exactly the provided tokens (the read-only one may not stop an agent) and generates none in the data dir', async () => {
    const admin = path.join(dir, 'admin');
    const read = path.join(dir, 'read');
    await writeFile(admin, `${'x'.repeat(40)}\n`, { mode: 0o600 });
    await writeFile(read, `${'y'.repeat(40)}\n`, { mode: 0o600 });
    const dataDir = await tempDir();
    // The harness reads <dataDir>/auth-token for its own client: give it the same token there.
    await writeFile(path.join(dataDir, 'auth-token'), `${'x'.repeat(40)}\n`, { mode: 0o600 });
    const h = await startHarness({ dataDir, auth: { mode: 'token', tokenFile: admin, readTokenFile: read } });
    try {
      assert.equal(h.server.tokenFile, admin);
      assert.equal(h.server.readTokenFile, read);
      await rm(path.join(dataDir, 'auth-token'));
      const asAdmin = await h.connect({ token: 'x'.repeat(40) });
      assert.equal((await asAdmin.status()).nodeId, 'node-test');
      const asReader = await h.connect({ token: 'y'.repeat(40) });
      assert.equal((await asReader.status()).nodeId, 'node-test');
      await assert.rejects(asReader.stop('a'), (e: unknown) => e instanceof ApiCallError && e.grpcCode === status.PERMISSION_DENIED);
      await assert.rejects(stat(path.join(dataDir, 'auth-token.read')), /ENOENT/, 'no read-only token was generated');
    } finally {
      await h.close();
    }
  });

  it('refuses the same token as admin and read-only', async () => {
    const same = path.join(dir, 'same');
    await writeFile(same, 'z'.repeat(40), { mode: 0o600 });
    await assert.rejects(
      startHarness({ auth: { mode: 'token', tokenFile: same, readTokenFile: same } }),
      /admin and read-only tokens are the same/,
    );
  });
});
