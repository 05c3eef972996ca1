/** The A2A endpoint's task store (decisions 1950, 2040): per owner, bounded in count, age and bytes, the oldest ended task forgotten first; its file across restarts. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TaskState, type Task } from '@a2a-js/sdk';
import { ServerCallContext, type User } from '@a2a-js/sdk/server';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { A2A_TASK_FILE_NAME, BoundedTaskStore, restoreTasks, TaskFile } from '../../src/a2a/index.js';

const as = (name: string) => new ServerCallContext({ user: { isAuthenticated: true, userName: name } satisfies User });
const task = (id: string, state: TaskState): Task => ({
  id, contextId: 'c', artifacts: [], history: [], metadata: undefined,
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
    for (const [id, state] of [['t1', TaskState.TASK_STATE_COMPLETED], ['t2', TaskState.TASK_STATE_FAILED], ['t3', TaskState.TASK_STATE_COMPLETED]] as const) await store.save(task(id, state), as('a t'));
    await store.save(task('t9', TaskState.TASK_STATE_COMPLETED), as('a u'));
    const all = await store.list({ tenant: '', contextId: '', status: TaskState.TASK_STATE_UNSPECIFIED, pageToken: '', statusTimestampAfter: undefined }, as('a t'));
    assert.deepEqual(all.tasks.map((t) => t.id), ['t3', 't2', 't1']);
    const done = await store.list({ tenant: '', contextId: '', status: TaskState.TASK_STATE_COMPLETED, pageToken: '', statusTimestampAfter: undefined }, as('a t'));
    assert.deepEqual(done.tasks.map((t) => t.id), ['t3', 't1']);
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
    const big = (id: string): Task => ({ ...task(id, TaskState.TASK_STATE_COMPLETED), artifacts: [{ artifactId: 'x', name: '', description: '', metadata: undefined, extensions: [], parts: [{ content: { $case: 'text', value: 'y'.repeat(4000) }, metadata: undefined, filename: '', mediaType: 'text/plain' }] }] });
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
    const withArtifact: Task = { ...task('t1', TaskState.TASK_STATE_COMPLETED), artifacts: [{ artifactId: 'a', name: 'reply', description: '', metadata: { caxton: { performative: 'inform' } }, extensions: [], parts: [{ content: { $case: 'text', value: 'HELLO' }, metadata: undefined, filename: '', mediaType: 'text/plain' }] }] };
    await store.save(withArtifact, as('a t'));
    await store.save(task('t2', TaskState.TASK_STATE_WORKING), as('a t'));
    await store.save(task('t3', TaskState.TASK_STATE_REJECTED), as('a u'));
    const again = new BoundedTaskStore(owner, 10);
    again.restore(restoreTasks(store.snapshotText(), 10));
    assert.deepEqual(await again.load('t1', as('a t')), withArtifact);
    assert.equal(await again.load('t3', as('a t')), undefined, "another token's task stays its own");
    assert.equal((await again.load('t3', as('a u')))?.status?.state, TaskState.TASK_STATE_REJECTED);
    const waited = await again.load('t2', as('a t'));
    assert.equal(waited?.status?.state, TaskState.TASK_STATE_FAILED);
    assert.match(JSON.stringify(waited?.status?.message?.parts), /the node stopped before the agent answered this task.*a2a-t2/);
  });

  it('reads a task file strictly: another version, a bad entry or a bad task id is refused', () => {
    assert.throws(() => restoreTasks('{"version":2,"tasks":[]}', 10), /not a version 1 task file/);
    assert.throws(() => restoreTasks('{"version":1}', 10), /lists no tasks/);
    assert.throws(() => restoreTasks('{"version":1,"tasks":[{"tenant":"","owner":7,"savedAt":1,"task":{}}]}', 10), /tasks\[0\]\.owner/);
    assert.throws(() => restoreTasks('{"version":1,"tasks":[{"tenant":"","owner":"o","savedAt":-1,"task":{}}]}', 10), /savedAt/);
    assert.throws(() => restoreTasks('{"version":1,"tasks":[{"tenant":"","owner":"o","savedAt":1,"task":{"id":""}}]}', 10), /task\.id/);
    assert.throws(() => restoreTasks('{', 10), SyntaxError);
    const three = `{"version":1,"tasks":[${['a', 'b', 'c'].map((id) => `{"tenant":"","owner":"o","savedAt":1,"task":{"id":"${id}"}}`).join(',')}]}`;
    assert.deepEqual(restoreTasks(three, 2).map((t) => t.task.id), ['b', 'c'], 'the newest within the bound');
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
      await writeFile(file, '{"version":1,"tasks":[oops');
      const third = new BoundedTaskStore(owner, 10);
      await (await TaskFile.open(file, third, (m) => warnings.push(m))).close();
      assert.equal(third.size, 0);
      assert.match(warnings.join('\n'), /could not be read .*moved it to .*corrupt-/);
      assert.ok((await readdir(dir)).some((f) => f.startsWith(`${A2A_TASK_FILE_NAME}.corrupt-`)));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
