/**
 * Caxton's apt-get calls take one machine-wide lock: the toolchain's (Rust's and C's installs,
 * toolchain/src/toolchains/cache.ts) and the test infrastructure's (etcd, scripts/infra/lib/lock.mjs)
 * are the same directory, so neither's `apt-get update` runs while the other's apt call does.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../cluster/support/paths.js';

type WithLock = <T>(fn: () => Promise<T>) => Promise<T>;
const toolchain = (): Promise<{ withAptLock: WithLock; aptLockPath(): string }> =>
  import(pathToFileURL(path.join(ROOT, 'toolchain', 'dist', 'src', 'toolchains', 'cache.js')).href) as Promise<{
    withAptLock: WithLock;
    aptLockPath(): string;
  }>;
const infra = (): Promise<{ withAptLock: WithLock }> =>
  import(pathToFileURL(path.join(ROOT, 'scripts', 'infra', 'lib', 'lock.mjs')).href) as Promise<{ withAptLock: WithLock }>;

describe('the apt lock', () => {
  it("the toolchain's and the test infrastructure's exclude each other, whichever takes it first", async () => {
    const [t, i] = await Promise.all([toolchain(), infra()]);
    for (const [first, second] of [
      [t.withAptLock, i.withAptLock],
      [i.withAptLock, t.withAptLock],
    ] as const) {
      const events: string[] = [];
      let firstIn!: () => void;
      const firstHolds = new Promise<void>((resolve) => {
        firstIn = resolve;
      });
      const a = first(async () => {
        events.push('first in');
        firstIn();
        // The second waits for this whole time, however long the machine takes to get here.
        await sleep(1500);
        events.push('first out');
      });
      await firstHolds;
      assert.ok(existsSync(t.aptLockPath()), 'held where the toolchain looks');
      const b = second(async () => {
        events.push('second in');
      });
      await Promise.all([a, b]);
      assert.deepEqual(events, ['first in', 'first out', 'second in']);
      assert.ok(!existsSync(t.aptLockPath()), 'released');
    }
  });
});
