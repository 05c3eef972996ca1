/**
 * The retention runner's scheduling (retention-runner.ts), step by step and deterministic: when a
 * step runs the next one, and when it waits for the log to call run() again.
 *
 * The runner is driven through its own port (RetentionHost) over real segment files in a temporary
 * directory, with the log's state set to exactly the case under test: the oldest closed segment's
 * only live entry is a completion still in flight. That state exists in the real log only for the
 * moment between a completion being queued and its group being durable, which a whole-log test
 * cannot hold still; here it is held, and the number of steps the runner takes on microtasks alone
 * is counted. Before 0650767 a step that moved nothing ran itself again at once, for ever, on
 * promises alone: the process never reached the I/O that would make the completion durable (the
 * state crash test's child stalled at 100 % CPU under load).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { describe, test } from 'node:test';
import type { CommitGroup } from '../../../src/log/embedded/commit-group.js';
import type { EmbeddedLogError } from '../../../src/log/embedded/errors.js';
import type { PendingEntry } from '../../../src/log/embedded/pending-entry.js';
import { FILE_HEADER_BYTES } from '../../../src/log/embedded/record-format.js';
import { RetentionRunner, type RetentionHost } from '../../../src/log/embedded/retention-runner.js';
import { newSegment, type Segment } from '../../../src/log/embedded/segment-writer.js';
import { tempDir } from './helpers.js';

/**
 * Steps a runner may take before the host reports itself closed. A correct runner takes one per
 * run() here; the cap only ends the old runner's endless loop so the test can fail instead of hang.
 */
const STEP_CAP = 50;

/** Everything queued on microtasks has run once a macrotask (setImmediate) gets its turn. */
function microtasksDrained(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

interface Scene {
  host: RetentionHost;
  oldest: Segment;
  pending: Map<string, PendingEntry>;
  warnings: EmbeddedLogError[];
  /** Retention steps taken: each compaction or deletion step asks carryState once. */
  steps(): number;
  /** What carryState does on the next calls (default: no state to carry). */
  carry: () => Promise<void> | undefined;
}

/**
 * A closed segment holding one delivery whose completion is queued (in flight, not yet durable)
 * among nine completed ones — mostly garbage, so retention plans to compact it — and the active
 * segment. Both are real files.
 */
async function sceneWithCompletionInFlight(dir: string): Promise<Scene> {
  const oldest = newSegment(dir, 1, FILE_HEADER_BYTES + 1000);
  const active = newSegment(dir, 2, FILE_HEADER_BYTES);
  await fs.writeFile(oldest.path, Buffer.alloc(oldest.size));
  await fs.writeFile(active.path, Buffer.alloc(active.size));
  oldest.appended = 10;
  oldest.live = 1;
  const pending = new Map<string, PendingEntry>([['d-0', { seq: 0, segment: oldest, offset: FILE_HEADER_BYTES, completing: true }]]);
  const segments = [oldest, active];
  const warnings: EmbeddedLogError[] = [];
  let steps = 0;
  const scene: Scene = {
    oldest,
    pending,
    warnings,
    steps: () => steps,
    carry: () => undefined,
    host: {
      dir,
      fsync: 'always',
      compactionRatio: 0.5,
      history: { ms: 0, bytes: 0 },
      segments: () => segments,
      pending: () => pending,
      isOpen: () => steps < STEP_CAP,
      currentGroup: (): CommitGroup => assert.fail('nothing to copy: the runner must not ask for a group'),
      requestSync: () => assert.fail('requestSync is only for fsync = interval'),
      carryState: () => {
        steps++;
        return scene.carry();
      },
      warn: (warning) => warnings.push(warning),
    },
  };
  return scene;
}

/** The completion's group became durable: the delivery is no longer pending, its segment is dead. */
function completionDurable(scene: Scene): void {
  scene.pending.delete('d-0');
  scene.oldest.live = 0;
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  );
}

describe('retention runner scheduling', () => {
  test('a step that finds only completions in flight runs once, not again on microtasks; it runs again on the next run()', async (t) => {
    const scene = await sceneWithCompletionInFlight(await tempDir(t));
    const runner = new RetentionRunner(scene.host);

    runner.run();
    await microtasksDrained();
    assert.equal(scene.steps(), 1, 'a step that moved nothing must wait for the durable group to call run() again');
    assert.equal(runner.stats.compactions, 0, 'nothing was copied: no compaction counted');
    assert.deepEqual(scene.warnings, []);

    // The log calls run() after the next durable group: the step is tried again (not suppressed)...
    runner.run();
    await microtasksDrained();
    assert.equal(scene.steps(), 2);

    // ...and once the completion is durable, the segment is dead and that step deletes it.
    completionDurable(scene);
    runner.run();
    await runner.idle();
    assert.equal(await exists(scene.oldest.path), false, 'the dead segment is deleted');
    assert.equal(runner.stats.segmentsDeleted, 1);
    assert.deepEqual(
      scene.host.segments().map((s) => s.no),
      [2],
    );
    assert.equal(scene.steps(), 3);
  });

  test('a failed step warns once and waits for later writes instead of retrying in a tight loop', async (t) => {
    const scene = await sceneWithCompletionInFlight(await tempDir(t));
    completionDurable(scene);
    scene.carry = () => {
      throw new Error('state snapshot refused');
    };
    const runner = new RetentionRunner(scene.host);

    runner.run();
    await microtasksDrained();
    assert.equal(scene.steps(), 1, 'a failed step must not run itself again at once');
    assert.equal(scene.warnings.length, 1);
    assert.equal(scene.warnings[0]!.code, 'log.retention-failed');
    assert.match(scene.warnings[0]!.message, /state snapshot refused/);
    assert.match(scene.warnings[0]!.hint ?? '', /retried after later writes/);
    assert.equal(await exists(scene.oldest.path), true, 'the segment stays on disk');

    // A later write's durable group calls run(): retried then, and it succeeds once the cause is gone.
    scene.carry = () => undefined;
    runner.run();
    await runner.idle();
    assert.equal(scene.warnings.length, 1);
    assert.equal(await exists(scene.oldest.path), false);
    assert.equal(runner.stats.segmentsDeleted, 1);
    assert.equal(scene.steps(), 2);
  });
});
