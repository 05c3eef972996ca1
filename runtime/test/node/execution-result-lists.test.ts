/**
 * A shard's result as the bus reads it (`executionOf`, decision 2119): one literal per handling,
 * the effects it had mapped, and the shared frozen empty list (`NONE`) for those it did not have.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NONE, type Effects } from '@caxton/sandbox';
import { executionOf } from '../../src/node/sandbox-host.js';

const none = (): Effects => ({
  outbox: NONE,
  timers: NONE,
  directory: NONE,
  stateWrites: NONE,
  http: NONE,
  logs: NONE,
  droppedLogLines: 0,
});

describe('a shard result as the bus reads it', () => {
  it('gives NONE for the lists a handling left empty, which cannot be added to', () => {
    const r = executionOf('echo', 'd1', { status: 'ok' }, 10, 3, {
      ...none(),
      outbox: [{ performative: 'inform', receivers: [{ name: 'a' }] }],
    });
    assert.deepStrictEqual(r, {
      agent: 'echo',
      workId: 'd1',
      outcome: { status: 'ok' },
      fuelUsed: 10,
      durationUs: 3,
      outbox: [{ performative: 'inform', receivers: [{ name: 'a' }] }],
      timers: [],
      directory: [],
      stateWrites: [],
      http: [],
      logs: [],
    });
    for (const list of [r.directory, r.logs, r.timers, r.stateWrites, r.http]) {
      assert.equal(list, NONE);
      assert.throws(() => (list as unknown[]).push(1), TypeError);
    }
  });

  it('maps log lines and directory operations into lists of their own, and warns of dropped lines in a fresh list', () => {
    const e: Effects = {
      ...none(),
      logs: [
        { level: 'info', message: 'hi', source: 'agent', at: 5 },
        { level: 'warn', message: 'slow', source: 'stderr', at: 6 },
      ],
      directory: [{ kind: 'deregister-service', serviceName: 'old' }],
    };
    const r = executionOf('echo', 'd1', { status: 'ok' }, 1, 1, e);
    assert.deepStrictEqual(r.logs, [
      { level: 'info', message: 'hi', at: 5 },
      { level: 'warn', message: '[stderr] slow', at: 6 },
    ]);
    assert.deepStrictEqual(r.directory, [{ kind: 'deregister-service', serviceName: 'old' }]);
    const dropped = executionOf('echo', 'd2', { status: 'ok' }, 1, 1, { ...none(), droppedLogLines: 4 });
    assert.equal(dropped.logs.length, 1);
    assert.match(dropped.logs[0]!.message, /4 log lines dropped/);
    assert.equal(Object.isFrozen(dropped.logs), false);
  });
});
