/**
 * docs/benchmarks.md's sections (scripts/bench-doc.mjs): a whole run replaces its section; a partial
 * run (`--only <phase>`) replaces the rows it measured and keeps the others, marked with the run they
 * came from, so re-running one phase never erases the figures of the others.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

interface Row { metric: string; value: number; unit?: string; target?: string; note?: string }
interface BenchDoc {
  updateBenchSection(doc: string, bench: string, rows: Row[], run: { machine: string; now: string; partial?: boolean }): string;
  sectionsOf<R extends { bench?: unknown }>(name: string, rows: R[]): Map<string, R[]>;
}
// Compiled to test/dist/bench/; the script lives in scripts/.
const { sectionsOf, updateBenchSection } = (await import(new URL('../../../scripts/bench-doc.mjs', import.meta.url).href)) as BenchDoc;

const machine = '2 × test cpu';
const first = updateBenchSection('# Benchmarks\n', 'bus', [
  { metric: 'memory_msgs_per_s', value: 100, unit: 'msg/s', note: 'memory' },
  { metric: 'fanout_deliveries_per_s', value: 5, unit: 'deliveries/s', target: '>= 30000', note: 'fan | out' },
], { machine, now: '2026-11-01T00:00:00.000Z' });

describe('updateBenchSection', () => {
  it('adds a section with one row per metric, pipes in a note escaped', () => {
    assert.match(first, /<!-- bench:bus:start -->\n## bus\n\nRun 2026-11-01T00:00:00.000Z on 2 × test cpu\.\n/);
    assert.match(first, /\| memory_msgs_per_s \| 100 \| msg\/s \|  \| memory \|/);
    assert.match(first, /\| fanout_deliveries_per_s \| 5 \| deliveries\/s \| >= 30000 \| fan \\\| out \|/);
  });

  it('a partial run replaces what it measured and keeps the rest, marked with its run', () => {
    const doc = updateBenchSection(first, 'bus', [{ metric: 'fanout_deliveries_per_s', value: 7, unit: 'deliveries/s' }], {
      machine, now: '2026-11-02T00:00:00.000Z', partial: true,
    });
    assert.match(doc, /\| fanout_deliveries_per_s \| 7 \|/);
    assert.doesNotMatch(doc, /\| fanout_deliveries_per_s \| 5 \|/);
    assert.match(doc, /\| memory_msgs_per_s \| 100 \| msg\/s \|  \| \(from the run of 2026-11-01T00:00:00\.000Z\) memory \|/);
    assert.match(doc, /Partial run: 1 row not measured by it kept from earlier runs/);
    // A second partial run keeps the original mark, not its own date.
    const again = updateBenchSection(doc, 'bus', [{ metric: 'fanout_deliveries_per_s', value: 8, unit: 'deliveries/s' }], {
      machine, now: '2026-11-03T00:00:00.000Z', partial: true,
    });
    assert.match(again, /\(from the run of 2026-11-01T00:00:00\.000Z\) memory \|/);
    assert.doesNotMatch(again, /from the run of 2026-11-02/);
  });

  it('a whole run replaces the section: a metric it no longer prints is gone', () => {
    const doc = updateBenchSection(first, 'bus', [{ metric: 'memory_msgs_per_s', value: 120, unit: 'msg/s' }], {
      machine, now: '2026-11-04T00:00:00.000Z',
    });
    assert.match(doc, /\| memory_msgs_per_s \| 120 \|/);
    assert.doesNotMatch(doc, /fanout_deliveries_per_s/);
    assert.equal(doc.match(/<!-- bench:bus:start -->/g)?.length, 1);
  });

  it('leaves other benchmarks\' sections alone, even with $ in a note', () => {
    const two = updateBenchSection(first, 'sandbox', [{ metric: 'handle_p50_us', value: 4.64, unit: 'us', note: 'costs $& and $1' }], { machine, now: 'x' });
    const doc = updateBenchSection(two, 'bus', [{ metric: 'memory_msgs_per_s', value: 1, unit: 'msg/s', note: '$&' }], { machine, now: 'y' });
    assert.match(doc, /\| handle_p50_us \| 4\.640 \| us \|  \| costs \$& and \$1 \|/);
    assert.match(doc, /\| memory_msgs_per_s \| 1 \| msg\/s \|  \| \$& \|/);
  });
});

describe('sectionsOf', () => {
  it('a mode of a benchmark (<name>-<mode>) gets its own section; other names stay in the benchmark\'s', () => {
    const rows = [
      { bench: 'density-cluster', metric: 'cluster_keys', value: 1 },
      { bench: 'density', metric: 'keys', value: 2 },
      { bench: 'cluster', metric: 'etcd_registry_ops_per_s', value: 3 },
    ];
    const bySection = sectionsOf('density', rows);
    assert.deepEqual([...bySection.keys()], ['density-cluster', 'density']);
    assert.deepEqual(bySection.get('density-cluster')!.map((r) => r.metric), ['cluster_keys']);
    assert.deepEqual(bySection.get('density')!.map((r) => r.metric), ['keys', 'etcd_registry_ops_per_s']);
    // registry.ts prints `cluster` and `embedded` rows: they stay in the registry section, as before.
    assert.deepEqual([...sectionsOf('registry', rows).keys()], ['registry']);
  });
});
