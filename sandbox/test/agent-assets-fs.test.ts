/**
 * An agent's /assets (decision 2192) as jco's glue drives it: the files its component ships, read
 * through the same descriptors and streams as /data, listed and stat'ed from the assets alone;
 * every change refused `read-only` (a write-mode open included); the lift guard's verdict on
 * /data's tree answered here too; the two trees never taken for one.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AssetTree } from '@caxton/core';
import { StateView } from '../src/host/state-view.js';
import { AssetFileSystem } from '../src/wasi/assets.js';
import { AgentFileSystem, type Descriptor } from '../src/wasi/filesystem.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const FOLLOW = { symlinkFollow: true };

function setup() {
  let charged = 0;
  const state = new StateView();
  state.begin(false);
  const data = new AgentFileSystem({ state, charge: (b) => (charged += 1 + b), nowMs: () => 5 });
  const assets = new AssetFileSystem(
    { charge: (b) => (charged += 1 + b) },
    new AssetTree([
      { path: 'greeting.txt', bytes: enc.encode('hello') },
      { path: 'templates/order.json', bytes: enc.encode('{"v":1}') },
      { path: 'templates/deep/x.bin', bytes: new Uint8Array([1, 2, 3]) },
    ]),
    data,
  );
  const [[root, name]] = assets.preopens() as [[Descriptor, string]];
  const [[dataRoot]] = data.preopens() as [[Descriptor, string]];
  return { data, assets, root, name, dataRoot, charged: () => charged };
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (typeof err === 'string') return err;
    throw err;
  }
  return 'ok';
}

describe('/assets', () => {
  it('is preopened read-only and reads what the component ships, by descriptor and by stream', () => {
    const s = setup();
    assert.equal(s.name, '/assets');
    assert.deepEqual(s.root.getFlags(), { read: true });
    const d = s.root.openAt(FOLLOW, 'greeting.txt', {}, { read: true });
    assert.equal(dec.decode(d.read(100n, 0n)[0]), 'hello');
    const stream = s.root.openAt(FOLLOW, 'templates/order.json', {}, { read: true }).readViaStream(0n);
    assert.equal(dec.decode(stream.read(100n)), '{"v":1}');
    assert.equal(s.root.statAt(FOLLOW, 'templates/deep/x.bin').size, 3n);
    assert.equal(s.root.statAt(FOLLOW, 'templates').type, 'directory');
    assert.ok(s.charged() > 0, 'charged as /data is');
  });

  it('lists directories, the implied ones included, sorted', () => {
    const s = setup();
    const names = (d: Descriptor) => {
      const out: string[] = [];
      const stream = d.readDirectory();
      for (let e = stream.readDirectoryEntry(); e !== undefined; e = stream.readDirectoryEntry()) out.push(`${e.name}:${e.type}`);
      return out;
    };
    assert.deepEqual(names(s.root), ['greeting.txt:regular-file', 'templates:directory']);
    assert.deepEqual(names(s.root.openAt(FOLLOW, 'templates', { directory: true }, { read: true })), [
      'deep:directory',
      'order.json:regular-file',
    ]);
  });

  it('refuses every change read-only, a write-mode open included, and keeps its bytes', () => {
    const s = setup();
    assert.equal(
      code(() => s.root.openAt(FOLLOW, 'greeting.txt', {}, { read: true, write: true })),
      'read-only',
    );
    assert.equal(
      code(() => s.root.openAt(FOLLOW, 'new.txt', { create: true }, { read: true })),
      'read-only',
    );
    assert.equal(
      code(() => s.root.openAt(FOLLOW, 'greeting.txt', { truncate: true }, { read: true })),
      'read-only',
    );
    assert.equal(
      code(() => s.root.createDirectoryAt('made')),
      'read-only',
    );
    assert.equal(
      code(() => s.root.unlinkFileAt('greeting.txt')),
      'read-only',
    );
    assert.equal(
      code(() => s.root.removeDirectoryAt('templates/deep')),
      'read-only',
    );
    assert.equal(
      code(() => s.root.renameAt('greeting.txt', s.root, 'moved.txt')),
      'read-only',
    );
    assert.equal(
      code(() => s.root.renameAt('greeting.txt', s.dataRoot, 'moved.txt')),
      'cross-device',
      'never across the two trees',
    );
    assert.equal(
      code(() => s.dataRoot.renameAt('x', s.root, 'y')),
      'cross-device',
    );
    assert.equal(
      code(() => s.root.setTimesAt(FOLLOW, 'greeting.txt')),
      'read-only',
    );
    assert.equal(
      code(() => s.root.openAt(FOLLOW, 'greeting.txt', {}, { read: true }).setTimes()),
      'read-only',
    );
    assert.equal(
      code(() => s.root.openAt(FOLLOW, 'nope', {}, { read: true })),
      'no-entry',
    );
    assert.equal(
      code(() => s.root.openAt(FOLLOW, '../data/x', {}, { read: true })),
      'not-permitted',
    );
    const d = s.root.openAt(FOLLOW, 'greeting.txt', {}, { read: true });
    assert.equal(dec.decode(d.read(100n, 0n)[0]), 'hello', 'unchanged');
  });

  it('answers the lift guard’s verdict on /data’s tree; is never the same object as /data', () => {
    const s = setup();
    s.data.refuseNextCall('name-too-long');
    assert.equal(
      code(() => s.root.openAt(FOLLOW, '', {}, { read: true })),
      'name-too-long',
    );
    s.data.flush(); // the call's end clears it
    assert.equal(
      code(() => s.root.statAt(FOLLOW, 'greeting.txt')),
      'ok',
    );
    assert.equal(s.root.isSameObject(s.dataRoot), false);
    assert.notDeepEqual(s.root.metadataHash(), s.dataRoot.metadataHash());
  });
});
