/**
 * The state RPCs (decision 1600) over a real gRPC server and client: GetState, ListState (prefix,
 * paging), ExportState (stream), ImportState (client stream, one commit, replace), and who may call
 * them: the read-only token may look, not import.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import type { StateEntry } from '@caxton/core';
import { readTokenFile } from '../../src/api/auth.js';
import { ApiCallError } from '@caxton/client';
import { startHarness, type Harness } from './support/harness.js';

async function rejectsWith(promise: Promise<unknown>, code: status, caxtonCode?: string): Promise<ApiCallError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ApiCallError, `expected ApiCallError, got ${String(err)}`);
    assert.equal(err.grpcCode, code, `${err.statusName}: ${err.message}`);
    if (caxtonCode) assert.equal(err.code, caxtonCode);
    return err;
  }
  assert.fail('expected the call to fail');
}

describe('state API', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  it('import then get, list by prefix in pages, export in key order', async () => {
    const writes = Array.from({ length: 25 }, (_, i) => ({ key: `item/${String(i).padStart(2, '0')}`, value: `v${i}` }));
    writes.push({ key: 'config', value: '{"a":1}' }, { key: 'ünï', value: 'ü' });
    const progress: number[] = [];
    const result = await h.client.importState('counter', writes, { batchBytes: 64, onProgress: (sent) => progress.push(sent) });
    assert.deepEqual(result, { written: 27, deleted: 0 });
    assert.ok(progress.length > 3, 'sent in several batches over one stream');
    assert.equal(progress.at(-1), 27);
    assert.deepEqual(
      h.node.calls.filter((c) => c.startsWith('importState')),
      ['importState counter 27'],
      'committed once',
    );

    assert.deepEqual(await h.client.getState('counter', 'config'), { key: 'config', value: '{"a":1}' });
    const seen: StateEntry[] = [];
    let page = await h.client.listState('counter', { prefix: 'item/', limit: 10 });
    seen.push(...page.entries);
    while (page.next !== undefined) {
      page = await h.client.listState('counter', { prefix: 'item/', limit: 10, after: page.next });
      seen.push(...page.entries);
    }
    assert.deepEqual(seen, writes.slice(0, 25));

    const exported: StateEntry[] = [];
    await h.client.exportState('counter', (e) => exported.push(e)).done;
    assert.deepEqual(
      exported.map((e) => e.key),
      ['config', ...writes.slice(0, 25).map((w) => w.key), 'ünï'],
    );
  });

  it('exports a whole default quota: 10,000 keys and 4 MiB, every entry in order', async () => {
    const value = 'v'.repeat(400); // 10,000 keys of ~410 bytes: the default quota's 4 MiB
    const writes = Array.from({ length: 10_000 }, (_, i) => ({ key: `k/${String(i).padStart(5, '0')}`, value }));
    await h.client.importState('full', writes);
    const exported: StateEntry[] = [];
    await h.client.exportState('full', (e) => exported.push(e)).done;
    assert.equal(exported.length, 10_000);
    assert.deepEqual(
      exported.map((e) => e.key),
      writes.map((w) => w.key),
    );
  });

  it('import deletes keys named without a value; replace drops every key it does not name', async () => {
    await h.client.importState('replaced', [
      { key: 'a', value: '1' },
      { key: 'b', value: '2' },
      { key: 'c', value: '3' },
    ]);
    assert.deepEqual(await h.client.importState('replaced', [{ key: 'a', value: null }]), { written: 0, deleted: 1 });
    assert.deepEqual(await h.client.importState('replaced', [{ key: 'z', value: '26' }], { replace: true }), { written: 1, deleted: 2 });
    assert.deepEqual((await h.client.listState('replaced')).entries, [{ key: 'z', value: '26' }]);
  });

  it('errors name the field and say what to do', async () => {
    const missing = await rejectsWith(h.client.getState('counter', 'nope'), status.NOT_FOUND, 'state-key.not-found');
    assert.match(missing.hint ?? '', /caxton state counter list/);
    await rejectsWith(h.client.getState('not a name', 'k'), status.INVALID_ARGUMENT);
    await rejectsWith(h.client.listState('counter', { limit: 5000 }), status.INVALID_ARGUMENT);
    const bad = await rejectsWith(
      h.client.importState('counter', [
        { key: 'ok', value: '1' },
        { key: 'bad\nkey', value: '2' },
      ]),
      status.INVALID_ARGUMENT,
    );
    assert.match(bad.message, /control character/);
    assert.equal((await h.client.listState('counter', { prefix: 'ok' })).entries.length, 0, 'a refused import changes nothing');
  });

  it('the read-only token may get, list and export, not import', async () => {
    const viewer = await h.connect({ token: await readTokenFile(path.join(h.dataDir, 'auth-token.read')) });
    assert.equal((await viewer.getState('counter', 'config')).value, '{"a":1}');
    assert.ok((await viewer.listState('counter')).entries.length > 0);
    const exported: StateEntry[] = [];
    await viewer.exportState('counter', (e) => exported.push(e)).done;
    assert.ok(exported.length > 0);
    const before = h.node.calls.length;
    const denied = await rejectsWith(
      viewer.importState('counter', [{ key: 'x', value: 'y' }]),
      status.PERMISSION_DENIED,
      'api.permission-denied',
    );
    assert.match(denied.message, /ImportState/);
    assert.deepEqual(h.node.calls.slice(before), []);
  });
});
