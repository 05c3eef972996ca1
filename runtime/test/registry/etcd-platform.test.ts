/**
 * One platform name per cluster (decision 1910, "Outbox drain, retry timer; JSON shape before
 * parsing" and its cluster item): against a real etcd, the first node keeps its name; a node of
 * the same cluster (etcd prefix) with the same name goes on, one with another is refused
 * `cluster.platform-changed` with a hint; another cluster keeps its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EtcdRegistry } from '../../src/registry/etcd/etcd-registry.js';
import { RegistryError } from '../../src/registry/errors.js';
import { useEtcd } from './helpers/etcd-registries.js';

const server = useEtcd();
/** A registry of the cluster under `prefix` (its etcd key prefix), closed after the file's tests. */
const registry = (prefix: string): Promise<EtcdRegistry> => server.registry({ prefix });

test("the cluster keeps its first node's platform name and refuses a node started with another", async () => {
  const first = await registry('/platform-a/');
  await first.keepPlatform('caxton-a');
  await first.keepPlatform('caxton-a'); // the same node again (a restart)
  const second = await registry('/platform-a/');
  await second.keepPlatform('caxton-a');
  const third = await registry('/platform-a/');
  await assert.rejects(third.keepPlatform('caxton'), (err: unknown) => {
    assert.ok(err instanceof RegistryError);
    assert.equal(err.code, 'cluster.platform-changed');
    assert.equal(err.kind, 'failed-precondition');
    assert.match(err.message, /is platform "caxton-a", not "caxton"/);
    assert.match(err.hint ?? '', /--platform caxton-a/);
    return true;
  });
  // Another cluster (another prefix) keeps its own.
  const other = await registry('/platform-b/');
  await other.keepPlatform('caxton-b');
  await assert.rejects(first.keepPlatform('caxton-b'), /cluster\.platform-changed|is platform "caxton-a"/);
});
