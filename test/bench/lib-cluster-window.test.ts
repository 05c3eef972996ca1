/**
 * The cluster bench's throughput window (bench/lib-cluster-window.ts): a window that counted fewer
 * messages than its chains make held agent moves and says so (decision 2120); the steady-state
 * window is found from the run's readings between two shares of its messages (decision 2155).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as ClusterWindow from '../../bench/lib-cluster-window.js';

// Compiled to test/dist/bench/; the benchmarks compile to bench/dist/.
const bench = new URL('../../../bench/dist/', import.meta.url);
const { shortCountNote, SteadyWindow } = (await import(new URL('lib-cluster-window.js', bench).href)) as typeof ClusterWindow;

describe('shortCountNote', () => {
  it('says nothing when every chain message was counted (or more: the warm-up\'s stragglers)', () => {
    assert.equal(shortCountNote(96_000, 96_000), '');
    assert.equal(shortCountNote(96_300, 96_000), '');
  });

  it('names how many were not counted, and why the window is not the path\'s cost', () => {
    const note = shortCountNote(81_131, 96_000);
    assert.match(note, /^; 14869 fewer messages counted than the chains make: agents moved during the window/);
    assert.match(note, /not the message path's cost \(decision 2120\)$/);
  });
});

describe('SteadyWindow', () => {
  it('opens at the first reading at or past the first share and closes at the first at or past the second', () => {
    const w = new SteadyWindow(1_000, 0.2, 0.8);
    assert.equal(w.add({ handled: 100, ms: 1_000, cpuSeconds: 1 }), false);
    assert.equal(w.add({ handled: 250, ms: 2_000, cpuSeconds: 2 }), false, 'opened, not closed');
    assert.equal(w.result(), undefined, 'no result while open');
    assert.equal(w.add({ handled: 600, ms: 3_000, cpuSeconds: 2.5 }), false);
    assert.equal(w.add({ handled: 850, ms: 4_000, cpuSeconds: 3 }), true, 'closed');
    const r = w.result()!;
    assert.deepEqual([r.from.handled, r.until.handled], [250, 850]);
    assert.equal(r.msgsPerS, 300, '600 messages over 2 s');
    assert.equal(r.cpuUsPerMsg, 1e6 / 600, '1 s of CPU over 600 messages');
    assert.equal(w.add({ handled: 1_000, ms: 5_000, cpuSeconds: 9 }), true, 'a later reading changes nothing');
    assert.equal(w.result()!.until.handled, 850);
  });

  it('has no window when the run ends before the second share (too short a run)', () => {
    const w = new SteadyWindow(1_000);
    w.add({ handled: 300, ms: 1_000, cpuSeconds: 1 });
    w.add({ handled: 700, ms: 2_000, cpuSeconds: 2 });
    assert.equal(w.result(), undefined);
  });

  it('never closes on the reading that opened it (one reading past both shares is no window)', () => {
    const w = new SteadyWindow(1_000);
    assert.equal(w.add({ handled: 900, ms: 1_000, cpuSeconds: 1 }), false);
    assert.equal(w.result(), undefined);
    assert.equal(w.add({ handled: 950, ms: 2_000, cpuSeconds: 1.5 }), true);
    assert.equal(w.result()!.msgsPerS, 50);
  });

  it('refuses readings out of order and shares that make no window', () => {
    const w = new SteadyWindow(1_000);
    w.add({ handled: 300, ms: 2_000, cpuSeconds: 1 });
    assert.throws(() => w.add({ handled: 200, ms: 3_000, cpuSeconds: 1 }), RangeError);
    assert.throws(() => w.add({ handled: 400, ms: 1_000, cpuSeconds: 1 }), RangeError);
    assert.throws(() => new SteadyWindow(0), RangeError);
    assert.throws(() => new SteadyWindow(1_000, 0.8, 0.2), RangeError);
    assert.throws(() => new SteadyWindow(1_000, 0.2, 1.5), RangeError);
  });
});
