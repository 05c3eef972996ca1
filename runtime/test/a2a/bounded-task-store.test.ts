/** The A2A endpoint's task store (decisions 1950, 2040): per owner, bounded in count, age and bytes, the oldest ended task forgotten first; its file across restarts. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TaskState, type Task } from '@a2a-js/sdk';
import { ServerCallContext, type User } from '@a2a-js/sdk/server';
import { mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { A2A_TASK_FILE_NAME, A2aTaskRefusedError, BoundedTaskStore, readTaskFile, taskFileHeader, TaskFile } from '../../src/a2a/index.js';

const journal = (store: BoundedTaskStore): string => `${taskFileHeader()}\n${store.lines().join('\n')}\n`;

const as = (name: string) => new ServerCallContext({ user: { isAuthenticated: true, userName: name } satisfies User });
const task = (id: string, state: TaskState): Task => ({
  id,
  contextId: 'c',
  artifacts: [],
  history: [],
  metadata: undefined,
  status: { state, message: undefined, timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, Number(id.replace(/\D/g, '')))).toISOString() },
});

describe('BoundedTaskStore', () => {
  it("keeps each owner's tasks apart", async () => {
    const store = new BoundedTaskStore((ctx) => ctx.user?.userName ?? '', 10);
    await store.save(task('t1', TaskState.TASK_STATE_COMPLETED), as('shouter tokA'));
    assert.equal((await store.load('t1', as('shouter tokA')))?.id, 't1');
    assert.equal(await store.load('t1', as('shouter tokB')), undefined, 'another token');
    assert.equal(await store.load('t1', as('other tokA')), undefined, 'the same token through another agent');
  });

  it('past its bound forgets the oldest ended task, never one still waiting; a re-save is not a new task', async () => {
    const store = new BoundedTaskStore((ctx) => ctx.user?.userName ?? '', 3);
    const me = as('a t');
    await store.save(task('t1', TaskState.TASK_STATE_WORKING), me);
    await store.save(task('t2', TaskState.TASK_STATE_COMPLETED), me);
    await store.save(task('t3', TaskState.TASK_STATE_FAILED), me);
    await store.save(task('t3', TaskState.TASK_STATE_FAILED), me);
    assert.equal(store.size, 3);
    await store.save(task('t4', TaskState.TASK_STATE_SUBMITTED), me);
    assert.equal(store.size, 3);
    assert.equal(await store.load('t2', me), undefined, 'the oldest ended one went');
    assert.equal((await store.load('t1', me))?.status?.state, TaskState.TASK_STATE_WORKING, 'the working one stayed');
    await store.save(task('t5', TaskState.TASK_STATE_SUBMITTED), me);
    assert.equal(await store.load('t3', me), undefined, 'the next ended one went');
    await store.save(task('t6', TaskState.TASK_STATE_SUBMITTED), me);
    assert.equal(store.size, 4, 'none ended: it grows rather than lose a waiting task');
  });

  it("lists the owner's tasks with the SDK's filters, newest first", async () => {
    const store = new BoundedTaskStore((ctx) => ctx.user?.userName ?? '', 10);
    for (const [id, state] of [
      ['t1', TaskState.TASK_STATE_COMPLETED],
      ['t2', TaskState.TASK_STATE_FAILED],
      ['t3', TaskState.TASK_STATE_COMPLETED],
    ] as const)
      await store.save(task(id, state), as('a t'));
    await store.save(task('t9', TaskState.TASK_STATE_COMPLETED), as('a u'));
    const all = await store.list(
      { tenant: '', contextId: '', status: TaskState.TASK_STATE_UNSPECIFIED, pageToken: '', statusTimestampAfter: undefined },
      as('a t'),
    );
    assert.deepEqual(
      all.tasks.map((t) => t.id),
      ['t3', 't2', 't1'],
    );
    const done = await store.list(
      { tenant: '', contextId: '', status: TaskState.TASK_STATE_COMPLETED, pageToken: '', statusTimestampAfter: undefined },
      as('a t'),
    );
    assert.deepEqual(
      done.tasks.map((t) => t.id),
      ['t3', 't1'],
    );
  });
});

describe('BoundedTaskStore across restarts (decision 2040)', () => {
  const owner = (ctx: ServerCallContext): string => ctx.user?.userName ?? '';

  it('forgets an ended task its TTL after its last save, never a waiting one', async () => {
    let now = 1_000_000;
    const store = new BoundedTaskStore(owner, 10, { ttlMs: 1000, now: () => now });
    const me = as('a t');
    await store.save(task('t1', TaskState.TASK_STATE_COMPLETED), me);
    await store.save(task('t2', TaskState.TASK_STATE_WORKING), me);
    now += 999;
    assert.ok(await store.load('t1', me));
    now += 2;
    assert.equal(await store.load('t1', me), undefined, 'expired');
    assert.equal((await store.load('t2', me))?.status?.state, TaskState.TASK_STATE_WORKING, 'still waiting: kept');
  });

  it('bounds the kept JSON: past it the oldest ended task goes', async () => {
    const big = (id: string): Task => ({
      ...task(id, TaskState.TASK_STATE_COMPLETED),
      artifacts: [
        {
          artifactId: 'x',
          name: '',
          description: '',
          metadata: undefined,
          extensions: [],
          parts: [{ content: { $case: 'text', value: 'y'.repeat(4000) }, metadata: undefined, filename: '', mediaType: 'text/plain' }],
        },
      ],
    });
    const store = new BoundedTaskStore(owner, 100, { maxBytes: 10_000 });
    const me = as('a t');
    for (const id of ['t1', 't2', 't3']) await store.save(big(id), me);
    assert.equal(store.size, 2);
    assert.ok(store.sizeBytes <= 10_000, String(store.sizeBytes));
    assert.equal(await store.load('t1', me), undefined);
    assert.ok(await store.load('t3', me));
  });

  it("comes back from its snapshot with each owner's tasks; a task that still waited ends failed, saying why", async () => {
    const store = new BoundedTaskStore(owner, 10);
    const withArtifact: Task = {
      ...task('t1', TaskState.TASK_STATE_COMPLETED),
      artifacts: [
        {
          artifactId: 'a',
          name: 'reply',
          description: '',
          metadata: { caxton: { performative: 'inform' } },
          extensions: [],
          parts: [{ content: { $case: 'text', value: 'HELLO' }, metadata: undefined, filename: '', mediaType: 'text/plain' }],
        },
      ],
    };
    await store.save(withArtifact, as('a t'));
    await store.save(task('t2', TaskState.TASK_STATE_WORKING), as('a t'));
    await store.save(task('t3', TaskState.TASK_STATE_REJECTED), as('a u'));
    const again = new BoundedTaskStore(owner, 10);
    again.restore(readTaskFile(journal(store)).tasks);
    assert.deepEqual(await again.load('t1', as('a t')), withArtifact);
    assert.equal(await again.load('t3', as('a t')), undefined, "another token's task stays its own");
    assert.equal((await again.load('t3', as('a u')))?.status?.state, TaskState.TASK_STATE_REJECTED);
    const waited = await again.load('t2', as('a t'));
    assert.equal(waited?.status?.state, TaskState.TASK_STATE_FAILED);
    assert.match(JSON.stringify(waited?.status?.message?.parts), /the node stopped before the agent answered this task.*a2a-t2/);
  });

  it('reads a task file line by line: another version is refused; a bad line is skipped and counted, the others kept', () => {
    assert.throws(() => readTaskFile('{"version":1,"tasks":[]}'), /not a version 2 task file/);
    assert.throws(() => readTaskFile('{'), /not a version 2 task file/);
    const good = (id: string, owner = 'o') => JSON.stringify({ tenant: '', owner, savedAt: 1, task: { id } });
    const text = [
      taskFileHeader(),
      good('a'),
      '{"tenant":"","owner":7,"savedAt":1,"task":{"id":"x"}}',
      '{"tenant":"","owner":"o","savedAt":-1,"task":{"id":"y"}}',
      '{"tenant":"","owner":"o","savedAt":1,"task":{"id":""}}',
      JSON.stringify({ tenant: 'x'.repeat(300), owner: 'o', savedAt: 1, task: { id: 'z' } }),
      good('b', 'p'),
      '{"tenant":"","ow',
    ].join('\n');
    const read = readTaskFile(text);
    assert.deepEqual(
      read.tasks.map((t) => t.task.id),
      ['a', 'b'],
    );
    assert.equal(read.skipped, 5);
    assert.match(read.firstProblem ?? '', /line 3: owner/);
  });

  it("refuses to keep a tenant the file could not read back (review 29 #1): a client cannot discard the others' tasks", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-a2a-tasks-'));
    try {
      const file = path.join(dir, A2A_TASK_FILE_NAME);
      const store = new BoundedTaskStore(owner, 10);
      const tf = await TaskFile.open(file, store, () => undefined, 10);
      await store.save(task('t1', TaskState.TASK_STATE_COMPLETED), as('a other'));
      // As the SDK does with a JSON-RPC params.tenant: copied into the context as it came.
      const hostile = (tenant: unknown) => {
        const c = as('a evil');
        c.setTenant(tenant as string);
        return c;
      };
      for (const tenant of ['x'.repeat(300), 42, { a: 1 }, 'a\u0000b']) {
        await assert.rejects(store.save(task('t2', TaskState.TASK_STATE_COMPLETED), hostile(tenant)), A2aTaskRefusedError);
      }
      await tf.close();
      const warnings: string[] = [];
      const again = new BoundedTaskStore(owner, 10);
      await (await TaskFile.open(file, again, (m) => warnings.push(m))).close();
      assert.equal((await again.load('t1', as('a other')))?.status?.state, TaskState.TASK_STATE_COMPLETED);
      assert.deepEqual(warnings, []);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('counts bytes as written (review 29 #2): a store of CJK text within its bound reads back whole', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-a2a-tasks-'));
    try {
      const file = path.join(dir, A2A_TASK_FILE_NAME);
      const cjk = (id: string): Task => ({
        ...task(id, TaskState.TASK_STATE_COMPLETED),
        artifacts: [
          {
            artifactId: 'x',
            name: '',
            description: '',
            metadata: undefined,
            extensions: [],
            parts: [
              { content: { $case: 'text', value: '漢字かな'.repeat(2500) }, metadata: undefined, filename: '', mediaType: 'text/plain' },
            ],
          },
        ],
      });
      const maxBytes = 200_000;
      const store = new BoundedTaskStore(owner, 100, { maxBytes });
      const tf = await TaskFile.open(file, store, () => undefined, 10);
      for (let i = 1; i <= 12; i++) await store.save(cjk(`t${i}`), as('a t'));
      assert.ok(store.sizeBytes <= maxBytes, String(store.sizeBytes));
      assert.ok(store.size >= 5 && store.size < 12, `kept ${store.size}`);
      await tf.close();
      const onDisk = (await stat(file)).size;
      assert.ok(onDisk <= tf.readLimit, `${onDisk} > ${tf.readLimit}`);
      const warnings: string[] = [];
      const again = new BoundedTaskStore(owner, 100, { maxBytes });
      await (await TaskFile.open(file, again, (m) => warnings.push(m))).close();
      assert.deepEqual(warnings, []);
      assert.equal(again.size, store.size);
      assert.deepEqual(await again.load('t12', as('a t')), cjk('t12'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('appends what changed rather than rewriting the store (review 29 #3); compacts once the journal passes the store', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-a2a-tasks-'));
    try {
      const file = path.join(dir, A2A_TASK_FILE_NAME);
      const big = (id: string): Task => ({
        ...task(id, TaskState.TASK_STATE_COMPLETED),
        artifacts: [
          {
            artifactId: 'x',
            name: '',
            description: '',
            metadata: undefined,
            extensions: [],
            parts: [{ content: { $case: 'text', value: 'y'.repeat(100_000) }, metadata: undefined, filename: '', mediaType: 'text/plain' }],
          },
        ],
      });
      const store = new BoundedTaskStore(owner, 1000, { maxBytes: 4_000_000 });
      const tf = await TaskFile.open(file, store, () => undefined, 5);
      for (let i = 0; i < 20; i++) await store.save(big(`b${i}`), as('a t'));
      await tf.flush();
      const held = store.sizeBytes;
      const before = tf.bytesWritten;
      const compactionsBefore = tf.compactions;
      // 200 tiny saves, each flushed on its own: appended, not the 2 MB store rewritten each time.
      for (let i = 0; i < 200; i++) {
        await store.save(task(`s${i}`, TaskState.TASK_STATE_COMPLETED), as('a t'));
        await tf.flush();
      }
      const perChange = (tf.bytesWritten - before) / 200;
      assert.ok(perChange < 1000, `${perChange} bytes written per tiny change with ${held} held`);
      assert.equal(tf.compactions, compactionsBefore, 'no compaction for a journal far below the store');
      // The timer writes without close(): the file has the last save after the interval.
      await store.save(task('late', TaskState.TASK_STATE_FAILED), as('a t'));
      for (let i = 0; i < 200 && !(await readFile(file, 'utf8')).includes('"late"'); i++) await new Promise((r) => setTimeout(r, 5));
      assert.match(await readFile(file, 'utf8'), /"late"/);
      // Re-saving the big tasks: the journal passes the store, one compaction, the file stays under its limit.
      for (let i = 0; i < 40; i++) {
        await store.save(big(`b${i % 20}`), as('a t'));
        await tf.flush();
      }
      assert.ok(tf.compactions > compactionsBefore, 'compacted');
      assert.ok((await stat(file)).size <= tf.readLimit);
      await tf.close();
      const again = new BoundedTaskStore(owner, 1000, { maxBytes: 4_000_000 });
      await (await TaskFile.open(file, again, () => undefined)).close();
      assert.equal(again.size, store.size);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("gives each owner a share: one token's tasks evict its own oldest, not another's", async () => {
    const store = new BoundedTaskStore(owner, 100, { maxTasksPerOwner: 3 });
    await store.save(task('o1', TaskState.TASK_STATE_COMPLETED), as('a other'));
    for (let i = 1; i <= 10; i++) await store.save(task(`t${i}`, TaskState.TASK_STATE_COMPLETED), as('a evil'));
    assert.ok(await store.load('o1', as('a other')), "the other token's task stayed");
    assert.equal(store.size, 4);
    assert.equal(await store.load('t7', as('a evil')), undefined);
    assert.ok(await store.load('t10', as('a evil')));
  });

  it('the file: written after a change, read back by the next store; an unreadable one set aside with a warning', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-a2a-tasks-'));
    try {
      const file = path.join(dir, A2A_TASK_FILE_NAME);
      const warnings: string[] = [];
      const first = new BoundedTaskStore(owner, 10);
      const tf = await TaskFile.open(file, first, (m) => warnings.push(m), 10);
      await first.save(task('t1', TaskState.TASK_STATE_COMPLETED), as('a t'));
      await tf.close();
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      const second = new BoundedTaskStore(owner, 10);
      await (await TaskFile.open(file, second, (m) => warnings.push(m))).close();
      assert.equal((await second.load('t1', as('a t')))?.status?.state, TaskState.TASK_STATE_COMPLETED);
      for (let i = 0; i < 2; i++) {
        await writeFile(file, '{"version":1,"tasks":[oops');
        const third = new BoundedTaskStore(owner, 10);
        await (await TaskFile.open(file, third, (m) => warnings.push(m))).close();
        assert.equal(third.size, 0);
      }
      assert.match(warnings.join('\n'), /could not be read .*moved it to .*\.corrupt\)/);
      assert.deepEqual(
        (await readdir(dir)).filter((f) => f.includes('corrupt')),
        [`${A2A_TASK_FILE_NAME}.corrupt`],
        'one set-aside file, replaced',
      );
      // A file over the bound is set aside before it is read; a symlink in the journal's place is not followed.
      const small = new BoundedTaskStore(owner, 10, { maxBytes: 1000 });
      const limit = 2 * 1000 + 1024 * 1024;
      await writeFile(file, `${taskFileHeader()}\n${' '.repeat(limit)}`);
      await (await TaskFile.open(file, small, (m) => warnings.push(m))).close();
      assert.match(warnings.at(-1) ?? '', /more than the \d+ allowed/);
      await rm(file);
      await writeFile(path.join(dir, 'elsewhere'), 'keep me');
      await symlink(path.join(dir, 'elsewhere'), `${file}.tmp`);
      const fourth = new BoundedTaskStore(owner, 10);
      const tf4 = await TaskFile.open(file, fourth, (m) => warnings.push(m));
      await fourth.save(task('t9', TaskState.TASK_STATE_COMPLETED), as('a t'));
      await tf4.close();
      assert.equal(
        await readFile(path.join(dir, 'elsewhere'), 'utf8'),
        'keep me',
        'the planted .tmp link was removed, not written through',
      );
      assert.equal((await stat(file)).mode & 0o777, 0o600);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
