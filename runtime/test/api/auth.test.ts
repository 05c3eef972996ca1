import assert from 'node:assert/strict';
import { chmod, stat, writeFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { ApiCallError } from '@caxton/client';
import { ensureAuthToken, mintToken, readTokenFile, TokenFileError } from '../../src/api/auth.js';
import { startApiServer } from '../../src/api/server.js';
import { MemoryNode } from './support/memory-node.js';
import { startHarness, tempDir, type Harness } from './support/harness.js';

async function rejectsWith(promise: Promise<unknown>, code: status, reason?: string): Promise<ApiCallError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ApiCallError, `expected ApiCallError, got ${String(err)}`);
    assert.equal(err.statusName, status[code], err.message);
    if (reason) assert.equal(err.code, reason);
    return err;
  }
  assert.fail(`expected ${status[code]}, the call succeeded`);
}

describe('API authentication', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => h.close());

  it('creates the token file with mode 0600 on first start', async () => {
    const st = await stat(path.join(h.dataDir, 'auth-token'));
    assert.equal(st.mode & 0o777, 0o600);
    assert.match(h.token, /^cxt_[A-Za-z0-9_-]{43}$/);
  });

  it('mints tokens that can follow --token on a command line: never a leading dash, all distinct', () => {
    // Bare base64url begins with "-" once in 64 tokens; 4,096 draws would show ~64 of them.
    const minted = Array.from({ length: 4096 }, mintToken);
    assert.equal(minted.filter((t) => t.startsWith('-')).length, 0);
    assert.equal(new Set(minted).size, minted.length);
  });

  it('answers calls without a token with UNAUTHENTICATED', async () => {
    const anonymous = await h.connect({ token: undefined });
    const err = await rejectsWith(anonymous.listAgents(), status.UNAUTHENTICATED, 'api.unauthenticated');
    assert.match(err.hint ?? '', /Bearer/);
  });

  it('answers a wrong token with UNAUTHENTICATED', async () => {
    const wrong = await h.connect({ token: 'x'.repeat(43) });
    await rejectsWith(wrong.status(), status.UNAUTHENTICATED);
    await rejectsWith(wrong.deploy({ name: 'a' }, Buffer.from('abc')), status.UNAUTHENTICATED);
    assert.deepEqual(h.node.calls, [], 'nothing reached the node');
  });

  it('also guards server streams', async () => {
    const wrong = await h.connect({ token: 'nope' });
    const stream = wrong.tail({}, () => assert.fail('no event expected'));
    await assert.rejects(stream.done, (err: unknown) => err instanceof ApiCallError && err.grpcCode === status.UNAUTHENTICATED);
    assert.equal(h.node.activeSubscriptions, 0);
  });

  it('serves calls with the right token', async () => {
    const s = await h.client.status();
    assert.equal(s.nodeId, 'node-test');
  });

  it('a read-only token (auth-token.read, mode 0600) may look but not change anything: PERMISSION_DENIED', async () => {
    const file = path.join(h.dataDir, 'auth-token.read');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const readToken = await readTokenFile(file);
    assert.notEqual(readToken, h.token);
    const viewer = await h.connect({ token: readToken });
    assert.equal((await viewer.status()).nodeId, 'node-test');
    assert.ok(Array.isArray(await viewer.listAgents()));
    await viewer.searchDirectory({});
    const before = h.node.calls.length;
    const denied = await rejectsWith(viewer.deploy({ name: 'a' }, Buffer.from('abc')), status.PERMISSION_DENIED, 'api.permission-denied');
    assert.match(denied.message, /read-only token may not call DeployAgent/);
    assert.match(denied.hint ?? '', /admin token: the node's auth-token file/);
    await rejectsWith(viewer.stop('a'), status.PERMISSION_DENIED, 'api.permission-denied');
    await rejectsWith(
      viewer.send({ structured: { performative: 'inform', receivers: [{ name: 'a' }], content: 'x' } }),
      status.PERMISSION_DENIED,
    );
    assert.deepEqual(h.node.calls.slice(before), [], 'no deploy or stop reached the node');
  });

  it('keeps the same token across restarts on one data dir', async () => {
    const again = await ensureAuthToken(h.dataDir);
    assert.equal(again.created, false);
    assert.equal(again.token, h.token);
  });
});

describe('token file permissions', () => {
  it('refuses to start when the token file is readable by all users', async () => {
    const dir = await tempDir();
    try {
      const { file } = await ensureAuthToken(dir);
      await chmod(file, 0o644);
      await assert.rejects(
        startApiServer({
          node: new MemoryNode(),
          host: '127.0.0.1',
          port: 0,
          dataDir: dir,
          auth: { mode: 'token' },
          maxArtifactBytes: 1024,
          maxMessageBytes: 4096,
        }),
        (err: unknown) => err instanceof TokenFileError && err.code === 'api.token-file-exposed' && /chmod 600|delete/.test(err.hint ?? ''),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('removes group access with a warning (Kubernetes fsGroup adds it at every pod start)', async () => {
    const dir = await tempDir();
    try {
      const first = await ensureAuthToken(dir);
      await chmod(first.file, 0o660);
      const warnings: string[] = [];
      const h = await startHarness({ dataDir: dir, onWarning: (m) => warnings.push(m) });
      try {
        assert.equal((await stat(first.file)).mode & 0o777, 0o600);
        assert.match(warnings.join('\n'), /was group-accessible \(mode 0660\); changed to 0600/);
        assert.equal(h.token, first.token, 'the token itself is kept');
      } finally {
        await h.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('lets clients read a group-accessible token file, with a warning, without changing it', async () => {
    const dir = await tempDir();
    try {
      const { file, token } = await ensureAuthToken(dir);
      await chmod(file, 0o640);
      const warnings: string[] = [];
      assert.equal(await readTokenFile(file, { onWarning: (m) => warnings.push(m) }), token);
      assert.equal((await stat(file)).mode & 0o777, 0o640);
      assert.equal(warnings.length, 1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects a token file without a usable token', async () => {
    const dir = await tempDir();
    try {
      const file = path.join(dir, 'auth-token');
      await writeFile(file, 'short\n', { mode: 0o600 });
      await assert.rejects(readTokenFile(file), (err: unknown) => err instanceof TokenFileError && err.code === 'api.token-file-invalid');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('needs no token file with auth disabled', async () => {
    const h = await startHarness({ auth: { mode: 'none' } });
    try {
      await assert.rejects(stat(path.join(h.dataDir, 'auth-token')), { code: 'ENOENT' });
      const anonymous = await h.connect({ token: undefined });
      assert.deepEqual(await anonymous.listAgents(), []);
    } finally {
      await h.close();
    }
  });
});
