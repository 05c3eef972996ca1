/**
 * The cluster bench's check of its throughput window (bench/lib-cluster-window.ts, decision 2120):
 * a window that counted fewer messages than its chains make held agent moves and says so.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as ClusterWindow from '../../bench/lib-cluster-window.js';

// Compiled to test/dist/bench/; the benchmarks compile to bench/dist/.
const bench = new URL('../../../bench/dist/', import.meta.url);
const { shortCountNote } = (await import(new URL('lib-cluster-window.js', bench).href)) as typeof ClusterWindow;

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
