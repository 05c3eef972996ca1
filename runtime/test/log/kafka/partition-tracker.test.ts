import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { PartitionTracker } from '../../../src/log/kafka/partition-tracker.js';
import { encodeCommit } from '../../../src/log/kafka/offset-metadata.js';

/** Commit a tracker's progress and build the tracker a restarted node would read back. */
function restart(t: PartitionTracker, maxPending: number, budget = 4096): PartitionTracker {
  const enc = encodeCommit(t.progress()!, budget);
  return PartitionTracker.fromCommit(t.partition, maxPending, enc.offset, enc.metadata);
}

describe('partition tracker', () => {
  it('commits the lowest pending offset and remembers out-of-order completions across a restart', () => {
    const t = new PartitionTracker(0, 100);
    for (let o = 10; o < 20; o++) assert.equal(t.admit(o, `d${o}`, false), 'deliver');
    for (const o of [11, 12, 15, 19]) assert.ok(t.complete(`d${o}`));
    assert.equal(encodeCommit(t.progress()!, 4096).offset, 10);

    const r = restart(t, 100);
    const delivered = [];
    for (let o = 10; o < 22; o++) if (r.admit(o, `d${o}`, false) === 'deliver') delivered.push(o);
    assert.deepEqual(delivered, [10, 13, 14, 16, 17, 18, 20, 21]);
  });

  it('reports full at the cap and has room again after a completion', () => {
    const t = new PartitionTracker(0, 3);
    assert.equal(t.admit(0, 'a', false), 'deliver');
    assert.equal(t.admit(1, 'b', false), 'deliver');
    assert.equal(t.admit(2, 'c', false), 'deliver');
    assert.equal(t.admit(3, 'd', false), 'full');
    assert.equal(t.hasRoom(), false);
    t.complete('b');
    assert.equal(t.admit(3, 'd', false), 'deliver');
  });

  it('hands a duplicate record of an in-flight delivery out once and completes both copies', () => {
    const t = new PartitionTracker(0, 10);
    assert.equal(t.admit(5, 'x', false), 'deliver');
    assert.equal(t.admit(6, 'y', false), 'deliver');
    assert.equal(t.admit(7, 'x', false), 'skip');
    t.complete('x');
    assert.deepEqual(t.progress(), { end: 8, pending: [6] });
  });

  it('a merge keeps every copy of a duplicated in-flight delivery under its id, and completing it completes them all', () => {
    const local = new PartitionTracker(0, 10);
    assert.equal(local.admit(0, 'x', false), 'deliver');
    assert.equal(local.admit(1, 'y', false), 'deliver');
    assert.equal(local.admit(2, 'x', false), 'skip');
    assert.equal(local.admit(3, 'x', false), 'skip');
    const fresh = restart(local, 10);
    fresh.merge(local);
    assert.ok(fresh.has('x') && fresh.has('y'));
    assert.ok(fresh.complete('x'));
    assert.deepEqual(fresh.progress(), { end: 4, pending: [1] });
    assert.equal(fresh.complete('x'), false, 'completed once');
  });

  it('marks a record of an already completed delivery done without handing it out', () => {
    const t = new PartitionTracker(0, 10);
    t.admit(0, 'a', false);
    assert.equal(t.admit(1, 'a-again', true), 'done');
    assert.deepEqual(t.progress(), { end: 2, pending: [0] });
  });

  it('a tracker read from a commit asks once for the records below it and says which offsets were done', () => {
    const t = new PartitionTracker(0, 10);
    for (let o = 0; o < 6; o++) t.admit(o, `d${o}`, false);
    for (const o of [0, 1, 2, 4]) t.complete(`d${o}`);
    const r = restart(t, 10);
    const taken = PartitionTracker.fromCommit(0, 10, 3, r.committed!.metadata, 2);
    // The commit is at 3 (lowest pending); two records back is offset 1.
    assert.equal(taken.rewindTo(3, 1), 1, 'seek back before handing anything out');
    assert.equal(taken.rewindTo(1, 1), undefined, 'the re-fetch starts at the read-back: go on');
    assert.equal(taken.rewindTo(3, 1), undefined, 'once per partition taken');
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 6].map((o) => taken.isDone(o)),
      [true, true, true, false, true, false, false],
    );
  });

  it('the read-back never goes below offset 0, is skipped without a commit, and is sought again after a rejoin lost the seek', () => {
    assert.equal(PartitionTracker.fromCommit(0, 10, 3, null, 100).rewindTo(3, 1), 0);
    assert.equal(PartitionTracker.fromCommit(0, 10, undefined, null, 100).rewindTo(0, 1), undefined);
    assert.equal(PartitionTracker.fromCommit(0, 10, 50, null, 0).rewindTo(50, 1), undefined, 'turned off');
    const t = PartitionTracker.fromCommit(0, 10, 50, null, 10);
    assert.equal(t.rewindTo(50, 1), 40);
    assert.equal(t.rewindTo(50, 2), 40, 'a new join epoch: the seek may be gone, seek again');
    assert.equal(t.rewindTo(45, 2), undefined, 'the log starts after 40 (retention): nothing more to read');
  });

  it('a merge keeps the local read-back: finished stays finished, under way stays under way', () => {
    const local = PartitionTracker.fromCommit(0, 10, 20, null, 5);
    local.rewindTo(20, 1);
    local.rewindTo(15, 1); // finished
    const fresh = PartitionTracker.fromCommit(0, 10, 20, null, 5);
    fresh.merge(local);
    assert.equal(fresh.rewindTo(20, 2), undefined);
    const pendingLocal = PartitionTracker.fromCommit(0, 10, 20, null, 5);
    const fresh2 = PartitionTracker.fromCommit(0, 10, 20, null, 5);
    fresh2.merge(pendingLocal);
    assert.equal(fresh2.rewindTo(20, 2), 15);
  });

  it('skips re-fetched records that are pending here or done', () => {
    const t = new PartitionTracker(0, 10);
    t.admit(0, 'a', false);
    t.admit(1, 'b', false);
    t.complete('a');
    assert.equal(t.admit(0, 'a', false), 'skip');
    assert.equal(t.admit(1, 'b', false), 'skip');
  });

  it('merge keeps local completions the commit does not have yet, and local hand-outs', () => {
    const local = new PartitionTracker(0, 10);
    for (let o = 0; o < 6; o++) local.admit(o, `d${o}`, false);
    const committedEarly = restart(local, 10); // commit taken while everything was pending
    local.complete('d0');
    local.complete('d3');
    committedEarly.merge(local);
    assert.deepEqual(committedEarly.progress(), { end: 6, pending: [1, 2, 4, 5] });
    // d1 is still being handled here: re-fetching it must not hand it out twice...
    assert.equal(committedEarly.admit(1, 'd1', false), 'skip');
    // ...and completing it still works on the merged tracker.
    assert.ok(committedEarly.complete('d1'));
  });

  it('merge takes completions made by another node (done in the commit) as done', () => {
    const local = new PartitionTracker(0, 10);
    for (let o = 0; o < 4; o++) local.admit(o, `d${o}`, false);
    const other = restart(local, 10);
    for (let o = 0; o < 4; o++) other.admit(o, `d${o}`, false);
    other.complete('d0');
    other.complete('d2');
    const fresh = restart(other, 10);
    fresh.merge(local);
    assert.deepEqual(fresh.progress(), { end: 4, pending: [1, 3] });
    assert.equal(fresh.complete('d2'), false, 'd2 was completed elsewhere');
    assert.equal(fresh.complete('d1'), true);
  });

  // With a metadata budget too small for the pending set, the commit is truncated and completions
  // past the cut are redelivered (at-least-once); the model checks "never again" only when it fit.
  it('model: across random completions and restarts, completed ids never come back and the rest always do', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant('append' as const), n: fc.integer({ min: 1, max: 5 }) }),
            fc.record({ op: fc.constant('complete' as const), pick: fc.nat() }),
            fc.record({ op: fc.constant('restart' as const), budget: fc.constantFrom(4096, 40, 12, 6) }),
          ),
          { maxLength: 80 },
        ),
        (ops) => {
          const maxPending = 8;
          let log: string[] = []; // the partition: offset → delivery id
          const completed = new Set<string>();
          const mayRedeliver = new Set<string>(); // completed ids cut off by a truncated commit
          let t = new PartitionTracker(0, maxPending);
          let fetchFrom = 0; // kafkajs position
          let inFlight: string[] = []; // handed to the "bus", not completed
          const fetch = () => {
            while (fetchFrom < log.length) {
              const id = log[fetchFrom]!;
              const v = t.admit(fetchFrom, id, false);
              if (v === 'full') break;
              if (v === 'deliver') {
                assert.ok(!completed.has(id) || mayRedeliver.has(id), `completed ${id} handed out again`);
                completed.delete(id); // only possible after a truncated commit: it is handled again
                mayRedeliver.delete(id);
                assert.ok(!inFlight.includes(id), `${id} handed out twice`);
                inFlight.push(id);
              }
              fetchFrom++;
            }
          };
          for (const step of ops) {
            if (step.op === 'append') for (let i = 0; i < step.n; i++) log = [...log, `m${log.length}`];
            else if (step.op === 'complete' && inFlight.length > 0) {
              const id = inFlight.splice(step.pick % inFlight.length, 1)[0]!;
              assert.ok(t.complete(id));
              completed.add(id);
            } else if (step.op === 'restart') {
              const p = t.progress();
              const enc = p ? encodeCommit(p, step.budget) : undefined;
              if (enc && p && enc.end < p.end) for (const id of log.slice(enc.end)) mayRedeliver.add(id);
              t = p ? restart(t, maxPending, step.budget) : new PartitionTracker(0, maxPending);
              fetchFrom = enc ? enc.offset : 0;
              inFlight = [];
            }
            fetch();
          }
          // Drain: complete everything handed out and fetch on; every id ends up completed.
          for (let round = 0; round < log.length + 2; round++) {
            for (const id of inFlight.splice(0)) {
              t.complete(id);
              completed.add(id);
            }
            fetch();
          }
          assert.deepEqual([...completed].sort(), [...new Set(log)].sort());
        },
      ),
      { numRuns: 400 },
    );
  });
});
