/**
 * An offset commit abandoned at its deadline keeps running inside kafkajs; a newer one started
 * beside it could land first and be overwritten by it (the committed offset moving back).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OneCommitAtATime } from '../../../src/log/kafka/one-commit-at-a-time.js';

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('offset commits one at a time', () => {
  it('does not start a commit while an abandoned one still runs; starts it once that one settled', async () => {
    const commits = new OneCommitAtATime();
    const first = deferred();
    const started: string[] = [];
    await assert.rejects(
      commits.run(
        () => {
          started.push('first');
          return first.promise;
        },
        20,
        'offset commit',
      ),
      /offset commit timed out/,
    );
    // The first one is still running inside the client: the second is refused, not started.
    await assert.rejects(
      commits.run(
        () => {
          started.push('second');
          return Promise.resolve();
        },
        20,
        'offset commit',
      ),
      /previous offset commit \(still unsettled\) timed out/,
    );
    assert.deepEqual(started, ['first']);
    // It settles (here: fails); the next commit starts after it.
    first.reject(new Error('coordinator away'));
    await commits.run(
      () => {
        started.push('third');
        return Promise.resolve();
      },
      20,
      'offset commit',
    );
    assert.deepEqual(started, ['first', 'third']);
  });

  it('waits for a previous commit that settles within the deadline, then starts the next', async () => {
    const commits = new OneCommitAtATime();
    const first = deferred();
    const order: string[] = [];
    await assert.rejects(commits.run(() => first.promise.then(() => void order.push('first landed')), 10, 'offset commit'));
    const second = commits.run(
      () => {
        order.push('second started');
        return Promise.resolve();
      },
      10_000,
      'offset commit',
    );
    first.resolve();
    await second;
    assert.deepEqual(order, ['first landed', 'second started']);
  });

  it('does not send a commit whose snapshot predates a rebalance that happened while it waited', async () => {
    const commits = new OneCommitAtATime();
    const first = deferred();
    await assert.rejects(commits.run(() => first.promise, 10, 'offset commit'));
    let epoch = 1;
    const snapshotAt = epoch;
    let sent = false;
    const send = async (): Promise<void> => {
      sent = true;
    };
    const second = commits.run(send, 10_000, 'offset commit', () => epoch === snapshotAt);
    epoch += 1; // a rebalance while the abandoned commit still runs
    first.resolve();
    await assert.rejects(second, /the group rebalanced before the offset commit was sent/);
    assert.equal(sent, false);
    // The caller's new snapshot, under the current assignment, goes out.
    const now = epoch;
    await commits.run(send, 1_000, 'offset commit', () => epoch === now);
    assert.equal(sent, true);
  });

  it('passes a commit failure through to its caller', async () => {
    const commits = new OneCommitAtATime();
    await assert.rejects(
      commits.run(() => Promise.reject(new Error('not the coordinator')), 1_000, 'offset commit'),
      /not the coordinator/,
    );
    // Settled: the next one starts at once.
    let ran = false;
    await commits.run(async () => void (ran = true), 1_000, 'offset commit');
    assert.equal(ran, true);
  });
});
