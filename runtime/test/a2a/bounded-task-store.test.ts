/** The A2A endpoint's task store (decision 1950): per owner, bounded, the oldest ended task forgotten first. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TaskState, type Task } from '@a2a-js/sdk';
import { ServerCallContext, type User } from '@a2a-js/sdk/server';
import { BoundedTaskStore } from '../../src/a2a/index.js';

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
