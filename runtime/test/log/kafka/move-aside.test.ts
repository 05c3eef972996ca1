/**
 * A record written aside (a refused or undecodable record to the dead letters): a failed write is
 * said and tried again after a backoff, a bounded number of times, while the record is still
 * pending; never dropped in silence. Retries run on an injected scheduler: a held timer here (the
 * default one keeps no process alive), or a hand-driven one.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type MoveAside, type MoveAsideOptions, moveAside } from '../../../src/log/kafka/move-aside.js';

type Failure = [attempt: number, error: string, retrying: boolean];
type Outcome = 'done' | 'gave-up' | 'stopped';

/** A timer that keeps the test's event loop alive until it fires or is cleared. */
const heldTimer = (fn: () => void, ms: number): (() => void) => {
  const t = setTimeout(fn, ms);
  return () => clearTimeout(t);
};

function run(failFirst: number, o: Partial<MoveAsideOptions> = {}): Promise<{ writes: number; failures: Failure[]; outcomes: Outcome[] }> {
  return new Promise((resolve) => {
    let writes = 0;
    const failures: Failure[] = [];
    const outcomes: Outcome[] = [];
    const end = (outcome: Outcome) => () => {
      outcomes.push(outcome);
      // A turn later: anything said after the end would show up.
      setImmediate(() => resolve({ writes, failures, outcomes }));
    };
    moveAside(
      async () => {
        writes += 1;
        if (writes <= failFirst) throw new Error(`broker down ${writes}`);
      },
      {
        attempts: 4,
        firstDelayMs: 1,
        maxDelayMs: 4,
        stillPending: () => true,
        done: end('done'),
        failed: (attempt, error, retrying) => failures.push([attempt, (error as Error).message, retrying]),
        gaveUp: end('gave-up'),
        stopped: end('stopped'),
        schedule: heldTimer,
        ...o,
      },
    );
  });
}

describe('moveAside', () => {
  it('a failed write is said and tried again until it is durable', async () => {
    assert.deepEqual(await run(2), {
      writes: 3,
      failures: [
        [1, 'broker down 1', true],
        [2, 'broker down 2', true],
      ],
      outcomes: ['done'],
    });
  });

  it('gives up after the last attempt, said as not retrying', async () => {
    const r = await run(10);
    assert.deepEqual(r.outcomes, ['gave-up']);
    assert.equal(r.writes, 4);
    assert.deepEqual(
      r.failures.map(([n, , retrying]) => [n, retrying]),
      [
        [1, true],
        [2, true],
        [3, true],
        [4, false],
      ],
    );
  });

  it('tries no more once the record is no longer pending here, and does not say it gave up', async () => {
    const r = await run(10, { stillPending: () => false });
    assert.deepEqual(r, { writes: 0, failures: [], outcomes: ['stopped'] });
  });

  it('a write that fails once the record is no longer pending (closing, revoked meanwhile) is said, not retried, and not a give-up', async () => {
    let asked = 0;
    const r = await run(10, { stillPending: () => asked++ === 0 });
    assert.deepEqual(r, { writes: 1, failures: [[1, 'broker down 1', false]], outcomes: ['stopped'] });
  });

  it('asks before each attempt: a record no longer pending when its retry is due is not written again', async () => {
    let pending = true;
    const r = await run(10, {
      stillPending: () => pending,
      // The retry was scheduled; the partition goes (or the consumer closes) before it is due.
      schedule: (fn, ms) =>
        heldTimer(() => {
          pending = false;
          fn();
        }, ms),
    });
    assert.deepEqual(r, { writes: 1, failures: [[1, 'broker down 1', true]], outcomes: ['stopped'] });
  });

  it('cancel clears the retry timer: no further write, no give-up', async () => {
    const timers = new Map<number, () => void>();
    let next = 0;
    let writes = 0;
    const said: string[] = [];
    let aside: MoveAside | undefined;
    await new Promise<void>((resolve) => {
      aside = moveAside(
        async () => {
          writes += 1;
          throw new Error('broker down');
        },
        {
          attempts: 4,
          firstDelayMs: 1,
          maxDelayMs: 4,
          stillPending: () => true,
          done: () => said.push('done'),
          failed: (attempt, _e, retrying) => {
            said.push(`failed ${attempt} ${retrying}`);
            resolve();
          },
          gaveUp: () => said.push('gave-up'),
          stopped: () => said.push('stopped'),
          schedule: (fn) => {
            const k = ++next;
            timers.set(k, fn);
            return () => timers.delete(k);
          },
        },
      );
    });
    await new Promise((r) => setImmediate(r));
    assert.equal(timers.size, 1, 'a retry is scheduled');
    aside?.cancel();
    assert.equal(timers.size, 0, 'its timer is cleared');
    assert.deepEqual(said, ['failed 1 true', 'stopped']);
    assert.equal(writes, 1);
  });
});
