/**
 * The A2A task file's write cost (decision 2040, review of issue 29 #3): `node bench/dist/a2a-task-file.js [--seconds S]`.
 *
 * Fills the store to its node-wide byte bound (64 MiB: eight tokens, each at its 8 MiB share, with
 * ~1 MiB tasks — the largest answer a task may carry), then saves one tiny task every 50 ms for S
 * seconds (default 5) with the file's real 250 ms interval, as a client polling a full node would.
 * Reports the bytes written per tiny change, the compactions, and the event loop's worst delay
 * during the tiny saves; then re-saves the big tasks until a compaction runs and reports the event
 * loop's worst delay while 64 MiB is rewritten; then the time to open (read, restore, compact) the
 * full file at a restart.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TaskState, type Task } from '@a2a-js/sdk';
import { ServerCallContext } from '@a2a-js/sdk/server';
import { A2A_TASK_FILE_NAME, BoundedTaskStore, TaskFile } from '@caxton/runtime';
import { report } from './lib-output.js';

const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1] ?? 5) || 5;
const as = (name: string) => new ServerCallContext({ user: { isAuthenticated: true, userName: name } });
const owner = (ctx: ServerCallContext): string => ctx.user?.userName ?? '';
const task = (id: string, text: string): Task => ({
  id,
  contextId: 'c',
  history: [],
  metadata: undefined,
  status: { state: TaskState.TASK_STATE_COMPLETED, message: undefined, timestamp: new Date().toISOString() },
  artifacts:
    text === ''
      ? []
      : [
          {
            artifactId: 'a',
            name: '',
            description: '',
            metadata: undefined,
            extensions: [],
            parts: [{ content: { $case: 'text', value: text }, metadata: undefined, filename: '', mediaType: 'text/plain' }],
          },
        ],
});
const big = 'y'.repeat(1024 * 1024 - 400);
const bench = 'a2a-task-file';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const dir = await mkdtemp(join(tmpdir(), 'caxton-bench-a2a-'));
try {
  const file = join(dir, A2A_TASK_FILE_NAME);
  const store = new BoundedTaskStore(owner);
  const tf = await TaskFile.open(file, store, (m) => process.stderr.write(`${m}\n`));
  for (let t = 0; t < 8; t++) for (let i = 0; i < 8; i++) await store.save(task(`big-${t}-${i}`, big), as(`agent tok${t}`));
  await tf.flush();
  report({ bench, metric: 'store held', value: store.sizeBytes / 2 ** 20, unit: 'MiB', note: `${store.size} tasks, 8 tokens` });

  const lag = monitorEventLoopDelay({ resolution: 5 });
  const before = tf.bytesWritten;
  const compactionsBefore = tf.compactions;
  lag.enable();
  const changes = Math.round((seconds * 1000) / 50);
  for (let i = 0; i < changes; i++) {
    await store.save(task(`tiny-${i}`, ''), as('agent poller'));
    await sleep(50);
  }
  await tf.flush();
  lag.disable();
  report({
    bench,
    metric: 'bytes written per tiny change',
    value: (tf.bytesWritten - before) / changes,
    unit: 'B',
    note: `${changes} saves, one per 50 ms, 250 ms interval (before: the whole ~64 MiB per write)`,
  });
  report({ bench, metric: 'compactions during tiny changes', value: tf.compactions - compactionsBefore, unit: '' });
  report({
    bench,
    metric: 'event-loop delay max, tiny changes',
    value: lag.max / 1e6,
    unit: 'ms',
    note: 'before: up to 739 ms (review 29 #3)',
  });
  report({ bench, metric: 'event-loop delay p99, tiny changes', value: lag.percentile(99) / 1e6, unit: 'ms' });

  const compactLag = monitorEventLoopDelay({ resolution: 5 });
  compactLag.enable();
  const c0 = tf.compactions;
  let resaves = 0;
  const t0 = performance.now();
  while (tf.compactions === c0 && resaves < 1000) {
    await store.save(task(`big-${resaves % 8}-${Math.floor(resaves / 8) % 8}`, big), as(`agent tok${resaves % 8}`));
    resaves += 1;
    await sleep(20);
  }
  await tf.flush();
  compactLag.disable();
  report({
    bench,
    metric: 'big re-saves before a compaction',
    value: resaves,
    unit: 'saves',
    note: '~1 MiB each: a compaction is paid by as many bytes appended',
  });
  report({
    bench,
    metric: 'event-loop delay max, with a 64 MiB compaction',
    value: compactLag.max / 1e6,
    unit: 'ms',
    note: `over ${((performance.now() - t0) / 1000).toFixed(1)} s of 1 MiB saves (each stringified and cloned on the loop); written in 1 MiB chunks`,
  });
  report({ bench, metric: 'event-loop delay p99, with a 64 MiB compaction', value: compactLag.percentile(99) / 1e6, unit: 'ms' });
  report({
    bench,
    metric: 'file size',
    value: (await stat(file)).size / 2 ** 20,
    unit: 'MiB',
    note: `read limit ${(tf.readLimit / 2 ** 20).toFixed(0)} MiB`,
  });
  await tf.close();

  const t1 = performance.now();
  const again = new BoundedTaskStore(owner);
  await (await TaskFile.open(file, again, (m) => process.stderr.write(`${m}\n`))).close();
  report({
    bench,
    metric: 'open a full task file (read, restore, compact)',
    value: performance.now() - t1,
    unit: 'ms',
    note: `${again.size} tasks`,
  });
} finally {
  await rm(dir, { recursive: true, force: true });
}
