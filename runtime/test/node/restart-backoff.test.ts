/**
 * Restart backoff on a real node (decision 1720): a crash-looping hostile agent
 * (examples/hostile/as-unreachable) with messages waiting for it. The dispatcher does not hand it
 * work while it waits out its delay (the node wakes it after), so its crashes — the node's
 * `handled` events — come further and further apart, each gap at least the smallest delay the
 * schedule allows (40 ms · 2^n: 50 ms doubling, −20 % jitter); its status says `restarting`
 * meanwhile; and the restart policy still fails it in the end.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { startNode } from '../../src/start/start-node.js';
import { example } from '../support/examples.js';

test('a crash-looping agent restarts with growing gaps, shown as restarting, until it fails', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'caxton-restart-backoff-'));
  // Enough attempts per message that the restart policy (5 restarts a minute), not the dead letter, ends it.
  const node = await startNode({
    dataDir,
    apiHost: '127.0.0.1',
    apiPort: 0,
    auth: { mode: 'none' },
    api: false,
    shards: 1,
    maxAttempts: 10,
  });
  try {
    await node.control.deploy({ name: 'crasher', limits: {}, config: {} }, await example('hostile/as-unreachable'));
    const crashes: number[] = [];
    const states: string[] = [];
    let failed: () => void;
    const done = new Promise<void>((resolve) => (failed = resolve));
    node.events.on(
      (e) => {
        if (e.type !== 'handled' || e.agent !== 'crasher') return;
        assert.equal(e.outcome.status, 'crashed');
        crashes.push(Date.now());
        void node.control.getAgent('crasher').then((a) => {
          states.push(a?.state ?? 'gone');
          if (a?.state === 'failed') failed();
        });
      },
      ['handled'],
    );
    for (let i = 0; i < 3; i++)
      await node.control.send({
        performative: 'request',
        sender: { name: 'tester' },
        receivers: [{ name: 'crasher' }],
        content: `boom ${i}`,
      });
    await done;
    assert.equal(crashes.length, 6, `five restarts, then the sixth crash fails it: ${crashes.length}`);
    const gaps = crashes.slice(1).map((t, i) => t - crashes[i]!);
    // The backoff counts from when the pool took the crash in; this test sees each crash later, at
    // its `handled` event, and a loaded machine delays one event more than the next (a gap of 12 ms
    // was seen for a 40 ms minimum, the first crash's event 28 ms late). Each gap may lose that much
    // (EVENT_SLACK_MS); the sum of all of them, where one late event cancels out, loses it at most once.
    const EVENT_SLACK_MS = 30;
    gaps.forEach((gap, i) =>
      assert.ok(
        gap >= 40 * 2 ** i - EVENT_SLACK_MS,
        `gap ${i} is ${gap} ms, the schedule allows no less than ${40 * 2 ** i}: ${gaps.join(', ')}`,
      ),
    );
    const total = crashes.at(-1)! - crashes[0]!;
    const minimum = gaps.reduce((sum, _, i) => sum + 40 * 2 ** i, 0);
    assert.ok(total >= minimum - EVENT_SLACK_MS, `the five waits took ${total} ms, the schedule allows no less than ${minimum}`);
    assert.ok(gaps.at(-1)! > 4 * 40, `the gaps grow: ${gaps.join(', ')}`);
    assert.ok(states.includes('restarting'), `status shows the backoff: ${states.join(', ')}`);
  } finally {
    await node.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});
