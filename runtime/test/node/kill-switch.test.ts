/**
 * The kill switch's logic (runtime/src/node/kill-switch/kill-switch.ts) over an in-memory store
 * and a recording dispatch: which scope holds, what is kept before what is applied, changes from
 * another node, and waiters released by a thaw or resume. The real file store is exercised too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { KillSwitch, type DispatchSwitch } from '../../src/node/kill-switch/kill-switch.js';
import { NodeSwitchFile, SWITCH_FILE } from '../../src/node/kill-switch/node-switch-file.js';
import type { SwitchState, SwitchStore } from '../../src/node/kill-switch/switch-store.js';

class MemoryStore implements SwitchStore {
  state: SwitchState = { frozen: false, suspended: [] };
  fail = false;
  private listeners: ((s: SwitchState) => void)[] = [];
  async read(): Promise<SwitchState> {
    return structuredClone(this.state);
  }
  async setFrozen(frozen: boolean): Promise<void> {
    if (this.fail) throw new Error('store down');
    this.state = { ...this.state, frozen };
  }
  async setSuspended(agent: string, on: boolean): Promise<void> {
    if (this.fail) throw new Error('store down');
    const s = new Set(this.state.suspended);
    if (on) s.add(agent);
    else s.delete(agent);
    this.state = { ...this.state, suspended: [...s].sort() };
  }
  watch(listener: (s: SwitchState) => void): () => void {
    this.listeners.push(listener);
    return () => {};
  }
  /** Another node changed it. */
  remote(next: SwitchState): void {
    this.state = next;
    for (const l of this.listeners) l(structuredClone(next));
  }
}

function recordingBus(): DispatchSwitch & { ops: string[] } {
  const ops: string[] = [];
  return {
    ops,
    freezeDispatch: async () => {
      ops.push('freeze');
    },
    thawDispatch: () => {
      ops.push('thaw');
    },
    wake: (a) => {
      ops.push(`wake ${a}`);
    },
    idle: async (a) => {
      ops.push(`idle ${a}`);
    },
  };
}

test('node and cluster freezes hold separately: the node runs again only when neither holds', async () => {
  const node = new MemoryStore();
  const cluster = new MemoryStore();
  const bus = recordingBus();
  const ks = new KillSwitch({ node, cluster, bus });
  await ks.start();
  assert.equal(ks.isFrozen(), false);
  await ks.freeze('node');
  await ks.freeze('cluster');
  assert.deepEqual([node.state.frozen, cluster.state.frozen], [true, true]);
  await ks.thaw('cluster');
  assert.equal(ks.isFrozen(), true, 'the node freeze still holds');
  assert.equal(ks.frozenScope(), 'node');
  await ks.thaw('node');
  assert.equal(ks.isFrozen(), false);
  assert.equal(bus.ops.at(-1), 'thaw');
});

test('another node freezing the cluster holds this one; its thaw releases a waiting start', async () => {
  const cluster = new MemoryStore();
  const bus = recordingBus();
  const ks = new KillSwitch({ node: new MemoryStore(), cluster, bus });
  await ks.start();
  cluster.remote({ frozen: true, suspended: ['a'] });
  assert.equal(ks.isFrozen(), true);
  assert.equal(ks.isHeld('b'), true);
  let started = false;
  const waiting = ks.untilRunnable('a').then(() => (started = true));
  cluster.remote({ frozen: false, suspended: ['a'] });
  await new Promise((r) => setImmediate(r));
  assert.equal(started, false, 'a is still suspended');
  cluster.remote({ frozen: false, suspended: [] });
  await waiting;
  assert.ok(bus.ops.includes('wake a'), 'a resumed agent is woken');
});

test('a freeze whose write fails stays frozen in memory and says it was not kept; a failed thaw stays frozen', async () => {
  const node = new MemoryStore();
  const ks = new KillSwitch({ node, bus: recordingBus() });
  await ks.start();
  node.fail = true;
  await assert.rejects(ks.freeze('node'), (e: { code?: string }) => e.code === 'node.kill-switch-not-kept');
  assert.equal(ks.isFrozen(), true);
  await assert.rejects(ks.thaw('node'));
  assert.equal(ks.isFrozen(), true, 'a thaw that could not be kept does not thaw');
  await assert.rejects(ks.freeze('cluster'), (e: { code?: string }) => e.code === 'node.not-clustered');
});

test("suspend waits for the agent's handling in flight; close rejects waiters", async () => {
  const bus = recordingBus();
  const ks = new KillSwitch({ node: new MemoryStore(), bus });
  await ks.start();
  await ks.suspend('a');
  assert.deepEqual(bus.ops, ['thaw', 'idle a']);
  assert.equal(ks.isHeld('a'), true);
  assert.deepEqual(ks.status().suspended, ['a']);
  const waiting = ks.untilRunnable('a');
  ks.close();
  await assert.rejects(waiting, (e: { code?: string }) => e.code === 'node.unavailable');
});

test('the node file: kept across instances; an unreadable file is an error, never "thawed"', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-switch-'));
  try {
    const first = new NodeSwitchFile(dir);
    assert.deepEqual(await first.read(), { frozen: false, suspended: [] });
    await first.setFrozen(true);
    await first.setSuspended('b', true);
    await first.setSuspended('a', true);
    assert.deepEqual(await new NodeSwitchFile(dir).read(), { frozen: true, suspended: ['a', 'b'] });
    assert.match(await readFile(path.join(dir, SWITCH_FILE), 'utf8'), /"frozen":true/);
    await writeFile(path.join(dir, SWITCH_FILE), '{"frozen":"yes"}');
    await assert.rejects(new NodeSwitchFile(dir).read(), (e: { code?: string }) => e.code === 'node.kill-switch-unreadable');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
