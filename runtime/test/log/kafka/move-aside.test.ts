/**
 * A record written aside (a refused or undecodable record to the dead letters): a failed write is
 * said and tried again after a backoff, a bounded number of times, while the record is still
 * pending; never dropped in silence.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { moveAside, type MoveAsideOptions } from '../../../src/log/kafka/move-aside.js';

type Failure = [attempt: number, error: string, retrying: boolean];

function run(
  failFirst: number,
  o: Partial<MoveAsideOptions> = {},
): Promise<{ writes: number; failures: Failure[]; outcome: 'done' | 'gave-up' }> {
  return new Promise((resolve) => {
    let writes = 0;
    const failures: Failure[] = [];
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
        done: () => resolve({ writes, failures, outcome: 'done' }),
        failed: (attempt, error, retrying) => failures.push([attempt, (error as Error).message, retrying]),
        gaveUp: () => resolve({ writes, failures, outcome: 'gave-up' }),
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
      outcome: 'done',
    });
  });

  it('gives up after the last attempt, said as not retrying', async () => {
    const r = await run(10);
    assert.equal(r.outcome, 'gave-up');
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

  it('tries no more once the record is no longer pending here (closing, its partition gone)', async () => {
    const r = await run(10, { stillPending: () => false });
    assert.deepEqual(r, { writes: 1, failures: [[1, 'broker down 1', false]], outcome: 'gave-up' });
  });
});
