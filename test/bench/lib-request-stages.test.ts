/**
 * Where a request's time goes (bench/lib-request-stages.ts, decision 2102): stages between
 * consecutive marks, their p50/p99, and each stage's share of the slowest 1 %; the schedstat parser
 * behind the bus thread's run-queue wait.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as Stages from '../../bench/lib-request-stages.js';
import type * as ProcStat from '../../bench/lib-proc-stat.js';

// Compiled to test/dist/bench/; the benchmarks compile to bench/dist/.
const bench = new URL('../../../bench/dist/', import.meta.url);
const { RequestStages } = (await import(new URL('lib-request-stages.js', bench).href)) as typeof Stages;
const { threadSchedFromSchedstat } = (await import(new URL('lib-proc-stat.js', bench).href)) as typeof ProcStat;

const MARKS = ['sent', 'durable', 'handled', 'replied'];

/** 100 requests: stages of 1, 2 and 3 units; requests 0..`slow`-1 spend 100 more in stage `slowStage`. */
function timeline(slow: number, slowStage: number): Stages.RequestStages<number> {
  const stages = new RequestStages<number>(MARKS);
  for (let i = 0; i < 100; i++) {
    const extra = [0, 0, 0];
    if (i < slow) extra[slowStage] = 100;
    let t = i * 1000;
    stages.note(i, 'sent', t);
    t += 1 + extra[0]!;
    stages.note(i, 'durable', t);
    t += 2 + extra[1]!;
    stages.note(i, 'handled', t);
    t += 3 + extra[2]!;
    stages.note(i, 'replied', t);
  }
  return stages;
}

describe('RequestStages', () => {
  it('splits each request into the stages between its marks, with p50 and p99', () => {
    const s = timeline(0, 0).summary();
    assert.equal(s.complete, 100);
    assert.deepEqual(
      s.stages.map((st) => [st.stage, st.p50, st.p99]),
      [
        ['sent -> durable', 1, 1],
        ['durable -> handled', 2, 2],
        ['handled -> replied', 3, 3],
      ],
    );
    assert.deepEqual(s.total, { p50: 6, p99: 6, tailMean: 6 });
  });

  it('puts a tail on the stage that made it: the slowest 1 % spent their extra time there', () => {
    const s = timeline(2, 1).summary();
    assert.equal(s.total.p99, 106);
    assert.equal(s.total.tailMean, 106);
    assert.deepEqual(
      s.stages.map((st) => st.tailMean),
      [1, 102, 3],
    );
    // Two slow requests in 100 make the p99 (nearest rank: the 99th smallest), not the p50.
    assert.deepEqual(
      s.stages.map((st) => [st.p50, st.p99]),
      [
        [1, 1],
        [2, 102],
        [3, 3],
      ],
    );
  });

  it('leaves out requests that missed a mark, ignores marks of requests never started, keeps the first time of a mark', () => {
    const stages = timeline(0, 0);
    stages.note(100, 'sent', 0);
    stages.note(100, 'replied', 50); // never durable nor handled: lost in between
    stages.note(200, 'handled', 5); // a warm-up request: no 'sent'
    stages.note(0, 'handled', 999); // seen again (a redelivery): the first handling counts
    const s = stages.summary();
    assert.equal(s.complete, 100);
    assert.equal(s.stages[1]!.p99, 2);
  });

  it('refuses a mark it does not know', () => {
    assert.throws(() => new RequestStages<number>(MARKS).note(1, 'delivered', 0), /unknown mark delivered/);
  });

  it('says nothing measured as NaN, not as zero', () => {
    const s = new RequestStages<number>(MARKS).summary();
    assert.equal(s.complete, 0);
    assert.ok(Number.isNaN(s.total.p99) && Number.isNaN(s.stages[0]!.tailMean));
  });
});

describe('threadSchedFromSchedstat', () => {
  it('reads on-CPU and run-queue wait nanoseconds', () => {
    assert.deepEqual(threadSchedFromSchedstat('5373829375 1268930224 98227\n'), { runNs: 5373829375, waitNs: 1268930224 });
  });

  it('refuses text that is not schedstat', () => {
    assert.throws(() => threadSchedFromSchedstat('cpu 1 2 3'), /unexpected schedstat format/);
  });
});
