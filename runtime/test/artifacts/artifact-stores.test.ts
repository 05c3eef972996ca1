import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, createHash } from 'node:crypto';
import { readFile, writeFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FileArtifactStore } from '../../src/artifacts/file-artifact-store.js';
import { EtcdArtifactStore } from '../../src/artifacts/etcd-artifact-store.js';
import { TieredArtifactStore } from '../../src/artifacts/tiered-artifact-store.js';
import { ArtifactError } from '../../src/artifacts/artifact-store.js';
import { EtcdConnection } from '../../src/registry/etcd/connection.js';
import { KeyLayout } from '../../src/registry/etcd/keys.js';
import { isRegistryError } from '../../src/registry/errors.js';
import { startEtcd, type EtcdHandle } from '../registry/helpers/etcd.js';
import { startTcpProxy } from '../registry/helpers/tcp-proxy.js';
import { tempDir } from '../registry/helpers/tmp.js';

let etcd: EtcdHandle;
let tmp: { path: string; remove: () => Promise<void> };
const connections: EtcdConnection[] = [];
let n = 0;

before(async () => {
  etcd = await startEtcd();
  tmp = await tempDir('artifacts');
});
after(async () => {
  for (const c of connections) c.close();
  await etcd.stop();
  await tmp.remove();
});

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const isArtifactError = (code: string) => (e: unknown) => e instanceof ArtifactError && e.code === code && e.hint !== undefined;

function etcdStore(endpoint = etcd.endpoint, chunkBytes?: number): { store: EtcdArtifactStore; conn: EtcdConnection; keys: KeyLayout } {
  const conn = new EtcdConnection({ endpoints: [endpoint], callTimeoutMs: 1000 });
  connections.push(conn);
  const keys = new KeyLayout(`/art${n++}/`);
  return { store: new EtcdArtifactStore({ connection: conn, keys, ...(chunkBytes ? { chunkBytes } : {}) }), conn, keys };
}

test('file store: round trip, idempotent put, listing, delete', async () => {
  const store = new FileArtifactStore({ dir: join(tmp.path, 'files-1') });
  const a = randomBytes(200_000);
  const b = Buffer.from('tiny component');
  const da = await store.put(a);
  assert.equal(da, sha(a));
  assert.equal(await store.put(a), da);
  const db = await store.put(b);
  assert.deepEqual(Buffer.from(await store.get(da)), a);
  assert.deepEqual(await store.list(), [da, db].sort());
  assert.ok(await store.has(db));
  await store.delete(db);
  await store.delete(db);
  assert.equal(await store.has(db), false);
  await assert.rejects(store.get(db), isArtifactError('artifact.not-found'));
  await assert.rejects(store.get('../../etc/passwd'), isArtifactError('artifact.invalid-digest'));
});

test('file store: a damaged file is refused on read and repaired by putting again', async () => {
  const store = new FileArtifactStore({ dir: join(tmp.path, 'files-2') });
  const bytes = randomBytes(10_000);
  const digest = await store.put(bytes);
  const path = store.pathOf(digest);
  const onDisk = await readFile(path);
  onDisk[5000] = onDisk[5000]! ^ 0xff;
  await writeFile(path, onDisk);
  await assert.rejects(store.get(digest), isArtifactError('artifact.corrupt'));
  await store.put(bytes);
  assert.deepEqual(Buffer.from(await store.get(digest)), bytes);
  const leftovers = (await readdir(join(tmp.path, 'files-2', 'sha256', digest.slice(0, 2)))).filter((f) => f !== digest);
  assert.deepEqual(leftovers, [], 'no temp files left behind');
});

test('etcd store: a 3.5 MiB component round-trips through 1 MiB chunks and a manifest', async () => {
  const { store, conn, keys } = etcdStore();
  const bytes = randomBytes(3.5 * 1024 * 1024);
  const digest = await store.put(bytes);
  assert.equal(digest, sha(bytes));
  const stored = await conn.client.getAll().prefix(keys.artifactPrefix(digest)).keys();
  assert.equal(stored.filter((k) => k.includes('/chunks/')).length, 4);
  assert.ok(stored.some((k) => k.endsWith('/manifest')));
  // A second store (another node) reads it back, verified.
  const other = new EtcdArtifactStore({ connection: conn, keys });
  assert.deepEqual(Buffer.from(await other.get(digest)), bytes);
  assert.deepEqual(await other.list(), [digest]);
  const empty = await store.put(new Uint8Array(0));
  assert.equal((await store.get(empty)).length, 0);
  await store.delete(digest);
  assert.equal(await store.has(digest), false);
  assert.deepEqual((await conn.client.getAll().prefix(keys.artifactPrefix(digest)).keys()).length, 0);
  await assert.rejects(store.get(digest), isArtifactError('artifact.not-found'));
});

test('etcd store: a damaged or missing chunk is reported by index; delete + put repairs it', async () => {
  const { store, conn, keys } = etcdStore(etcd.endpoint, 64 * 1024);
  const bytes = randomBytes(300_000);
  const digest = await store.put(bytes);
  const chunk2 = `${keys.artifactPrefix(digest)}chunks/000002`;
  const original = (await conn.client.get(chunk2).buffer())!;
  const damaged = Buffer.from(original);
  damaged[7] = damaged[7]! ^ 1;
  await conn.client.put(chunk2).value(damaged);
  await assert.rejects(
    store.get(digest),
    (e) => isArtifactError('artifact.corrupt')(e) && /chunk 2 of 5 is damaged/.test((e as Error).message),
  );
  await conn.client.delete().key(chunk2);
  await assert.rejects(
    store.get(digest),
    (e) => isArtifactError('artifact.corrupt')(e) && /chunk 2 of 5 is missing/.test((e as Error).message),
  );
  // put skips work when the manifest exists; delete + put rewrites everything.
  await store.delete(digest);
  await store.put(bytes);
  assert.deepEqual(Buffer.from(await store.get(digest)), bytes);
});

test('tiered store: fetched once from etcd, then served from local disk even when etcd is unreachable', async () => {
  const proxy = await startTcpProxy(etcd.clientPort);
  try {
    const writer = etcdStore();
    const bytes = randomBytes(1_500_000);
    const digest = await writer.store.put(bytes);
    const conn = new EtcdConnection({ endpoints: [proxy.endpoint], callTimeoutMs: 500 });
    connections.push(conn);
    const local = new FileArtifactStore({ dir: join(tmp.path, 'tiered') });
    const tiered = new TieredArtifactStore(local, new EtcdArtifactStore({ connection: conn, keys: writer.keys }));
    assert.equal(await local.has(digest), false);
    assert.deepEqual(Buffer.from(await tiered.get(digest)), bytes);
    assert.equal(await local.has(digest), true, 'cached locally');
    proxy.refuse();
    assert.deepEqual(Buffer.from(await tiered.get(digest)), bytes);
    await assert.rejects(tiered.get(sha(Buffer.from('never stored'))), (e) => isRegistryError(e, 'registry.unavailable'));
  } finally {
    await proxy.close();
  }
});
