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
  it("says nothing when every chain message was counted (or more: the warm-up's stragglers)", () => {
    assert.equal(shortCountNote(96_000, 96_000), '');
    assert.equal(shortCountNote(96_300, 96_000), '');
  });

  it("names how many were not counted, and why the window is not the path's cost", () => {
    const note = shortCountNote(81_131, 96_000);
    assert.match(note, /^; 14869 fewer messages counted than the chains make: agents moved during the window/);
    assert.match(note, /not the message path's cost \(decision 2120\)$/);
  });
});

describe('SteadyWindow', () => {
  const at = (handled: number, ms: number, cpuSeconds: number, finished = 0) => ({ handled, ms, cpuSeconds, finished });

  it('opens at the first reading at or past the first share and closes at the first at or past the second', () => {
    const w = new SteadyWindow(1_000, 0.2, 0.8);
    assert.equal(w.add(at(100, 1_000, 1)), false);
    assert.equal(w.add(at(250, 2_000, 2)), false, 'opened, not closed');
    assert.equal(w.result(), undefined, 'no result while open');
    assert.equal(w.add(at(600, 3_000, 2.5)), false);
    assert.equal(w.add(at(850, 4_000, 3)), true, 'closed');
    const r = w.result()!;
    assert.deepEqual([r.from.handled, r.until.handled], [250, 850]);
    assert.equal(r.msgsPerS, 300, '600 messages over 2 s');
    assert.equal(r.cpuUsPerMsg, 1e6 / 600, '1 s of CPU over 600 messages');
    assert.equal(w.whyNone, '');
    assert.equal(w.add(at(1_000, 5_000, 9)), true, 'a later reading changes nothing');
    assert.equal(w.result()!.until.handled, 850);
  });

  it('takes a reading exactly at either share as past it', () => {
    const w = new SteadyWindow(1_000);
    w.add(at(199, 1_000, 1));
    w.add(at(200, 2_000, 2));
    assert.equal(w.add(at(800, 3_000, 3)), true);
    assert.deepEqual([w.result()!.from.handled, w.result()!.until.handled], [200, 800]);
  });

  it('closes early at the first reading after a chain ended: every chain runs through the window', () => {
    const w = new SteadyWindow(1_000);
    w.add(at(300, 1_000, 1));
    assert.equal(w.add(at(500, 2_000, 2, 1)), true, 'a chain ended before 80 %');
    assert.equal(w.result()!.until.finished, 1);
    assert.equal(w.result()!.msgsPerS, 200);
  });

  it('has no window when a chain ends before it opens, or the run ends before the second share, and says why', () => {
    const early = new SteadyWindow(1_000);
    assert.equal(early.add(at(150, 1_000, 1, 2)), true);
    assert.equal(early.result(), undefined);
    assert.match(early.whyNone, /a chain ended .* before 20 % of the run/);
    const short = new SteadyWindow(1_000);
    short.add(at(300, 1_000, 1));
    short.add(at(700, 2_000, 2));
    assert.equal(short.result(), undefined);
    assert.match(short.whyNone, /the run ended before the readings passed 80 %/);
  });

  it('has no window once the count goes down: agents moved, and the readings measure the moves', () => {
    const w = new SteadyWindow(1_000);
    w.add(at(300, 1_000, 1));
    assert.equal(w.add(at(250, 2_000, 2)), true, 'decided');
    assert.equal(w.add(at(900, 3_000, 3)), true, 'nothing after it counts');
    assert.equal(w.result(), undefined);
    assert.match(w.whyNone, /count went down \(300 → 250\): agents moved/);
  });

  it('never closes on the reading that opened it (one reading past both shares is no window)', () => {
    const w = new SteadyWindow(1_000);
    assert.equal(w.add(at(900, 1_000, 1)), false);
    assert.equal(w.result(), undefined);
    assert.equal(w.add(at(950, 2_000, 1.5)), true);
    assert.equal(w.result()!.msgsPerS, 50);
  });

  it('refuses readings out of time order and shares that make no window', () => {
    const w = new SteadyWindow(1_000);
    w.add(at(300, 2_000, 1));
    assert.throws(() => w.add(at(400, 1_000, 1)), RangeError);
    assert.throws(() => new SteadyWindow(0), RangeError);
    assert.throws(() => new SteadyWindow(1_000, 0.8, 0.2), RangeError);
    assert.throws(() => new SteadyWindow(1_000, 0.2, 1.5), RangeError);
  });
});
