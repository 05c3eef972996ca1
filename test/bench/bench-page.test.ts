/**
 * Runs kept as data, the page made from them (scripts/bench-record.mjs, scripts/bench-page.mjs): a
 * run's printed rows become one record per section; the page shows each benchmark's latest run, and a
 * partial run (`--only <phase>`) shows the rows it measured with the others kept from earlier runs,
 * marked with the run they came from, so re-running one phase never hides the figures of the others.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

interface Row {
  metric: string;
  value: number;
  unit?: string;
  target?: string;
  note?: string;
}
interface Run {
  bench: string;
  date: string;
  machine: string;
  node: string;
  commit: string | null;
  partial: boolean;
  rows: Row[];
  seeded?: boolean;
  dirty?: boolean;
  note?: string;
}
interface BenchPage {
  parseRuns(text: string, file: string): Run[];
  tableOf(runs: Run[]): { run: Run; rows: (Row & { from?: string })[] };
  renderBench(bench: string, runs: Run[], notes?: string): string;
  renderPage(input: { intro: string; benches: { name: string; runs: Run[]; notes?: string }[] }): string;
  compareRuns(before: Run, after: Run): string;
}
interface BenchRecord {
  sectionsOf<R extends { bench?: unknown }>(name: string, rows: R[]): Map<string, R[]>;
  runRecords(name: string, printed: (Row & { bench?: string })[], run: Omit<Run, 'bench' | 'rows'>): Run[];
}
// Compiled to test/dist/bench/; the scripts live in scripts/.
const scripts = new URL('../../../scripts/', import.meta.url);
const page = (await import(new URL('bench-page.mjs', scripts).href)) as BenchPage;
const rec = (await import(new URL('bench-record.mjs', scripts).href)) as BenchRecord;

const meta = { machine: '2 × test cpu', node: '24.21.0', commit: 'abc12345' };
const whole: Run = {
  bench: 'bus',
  date: '2026-11-01T00:00:00.000Z',
  ...meta,
  partial: false,
  rows: [
    { metric: 'memory_msgs_per_s', value: 100, unit: 'msg/s', note: 'memory' },
    { metric: 'fanout_deliveries_per_s', value: 5, unit: 'deliveries/s', target: '>= 30000', note: 'fan | out' },
  ],
};
const partial = (date: string, value: number): Run => ({
  bench: 'bus',
  date,
  ...meta,
  partial: true,
  rows: [{ metric: 'fanout_deliveries_per_s', value, unit: 'deliveries/s' }],
});

describe('the table of a benchmark', () => {
  it('is its latest whole run: a metric that run no longer prints is gone', () => {
    const later: Run = { ...whole, date: '2026-11-04T00:00:00.000Z', rows: [{ metric: 'memory_msgs_per_s', value: 120, unit: 'msg/s' }] };
    const { run, rows } = page.tableOf([whole, later]);
    assert.equal(run, later);
    assert.deepEqual(
      rows.map((r) => [r.metric, r.value, r.from]),
      [['memory_msgs_per_s', 120, undefined]],
    );
  });

  it('a partial run shows what it measured and keeps the rest from the run that measured it last', () => {
    const runs = [whole, partial('2026-11-02T00:00:00.000Z', 7), partial('2026-11-03T00:00:00.000Z', 8)];
    const { rows } = page.tableOf(runs);
    assert.deepEqual(
      rows.map((r) => [r.metric, r.value, r.from]),
      [
        ['fanout_deliveries_per_s', 8, undefined],
        ['memory_msgs_per_s', 100, '2026-11-01T00:00:00.000Z'],
      ],
    );
    const section = page.renderBench('bus', runs);
    assert.match(section, /\| fanout_deliveries_per_s \| 8 \| deliveries\/s \|/);
    assert.match(section, /\| memory_msgs_per_s \[1\] \| 100 \| msg\/s \| {2}\| memory \|/);
    assert.match(section, /kept from earlier runs: \[1\] the run of 2026-11-01T00:00:00\.000Z\./);
    assert.doesNotMatch(section, /2026-11-02/, 'a run all of whose rows were measured again is not cited');
  });
});

describe("a benchmark's section", () => {
  it('names the run, escapes pipes, cuts a long note at its first clause, marks repeated notes', () => {
    const run: Run = {
      bench: 'bus',
      date: '2026-11-01T00:00:00.000Z',
      ...meta,
      dirty: true,
      partial: false,
      rows: [
        { metric: 'a', value: 1.23456, note: 'fan | out' },
        { metric: 'b', value: 2, note: 'first clause; the rest of the details' },
        { metric: 'c', value: 3, note: 'first clause; other details' },
        { metric: 'memory_msgs_per_s_vs_jade', value: 0.978, unit: 'x', target: '>= 1.0' },
      ],
    };
    const section = page.renderBench('bus', [run], 'What the figures mean.\n');
    assert.match(
      section,
      /^## bus\n\nRun 2026-11-01T00:00:00\.000Z, commit abc12345 with uncommitted changes, Node 24\.21\.0, on 2 × test cpu\./,
    );
    assert.match(section, /\| a \| 1\.235 \| {2}\| {2}\| fan \\\| out \|/);
    assert.match(section, /\| b \| 2 \| {2}\| {2}\| first clause … \|/);
    assert.match(section, /\| c \| 3 \| {2}\| {2}\| ″ \|/);
    assert.match(section, /Against JADE in the same run: memory_msgs_per_s_vs_jade \*\*0\.9780×\*\* \(target >= 1\.0\)\./);
    assert.match(section, /\n\nWhat the figures mean\.$/);
  });

  it('shows <group>.<figure> metrics as a matrix, a row a group and a column a figure, with targets and marks', () => {
    const run: Run = {
      bench: 'languages',
      date: '2026-11-02T00:00:00.000Z',
      ...meta,
      partial: false,
      rows: [
        { metric: 'rust.handle_p50_us', value: 4.6, unit: 'us', target: '<= 5', note: 'metered echo' },
        { metric: 'rust.rss_kib', value: 23, unit: 'KiB' },
        { metric: 'c.handle_p50_us', value: 3.38, unit: 'us' },
        { metric: 'total', value: 2, unit: 'x', note: 'a plain one' },
      ],
    };
    const section = page.renderBench('languages', [run]);
    assert.match(section, /\| total \| 2 \| x \| {2}\| a plain one \|/);
    assert.match(section, /\| \| handle_p50_us \(us\) \| rss_kib \(KiB\) \|\n\|---\|---\|---\|/);
    assert.match(section, /\| rust \| 4\.600 \(<= 5\) \| 23 \|/);
    assert.match(section, /\| c \| 3\.380 \| {2}\|/, 'a figure a group lacks is an empty cell');
    const single = page.renderBench('x', [{ ...run, rows: [{ metric: 'a.b', value: 1 }] }]);
    assert.match(single, /\| a\.b \| 1 \|/, 'one group alone stays a plain row');
  });

  it('the page sorts benchmarks, links each, and says it is generated', () => {
    const text = page.renderPage({
      intro: '# Benchmarks\n\nIntro.',
      benches: [
        { name: 'sandbox', runs: [{ ...whole, bench: 'sandbox' }] },
        { name: 'bus', runs: [whole] },
      ],
    });
    assert.match(text, /^<!-- Generated by scripts\/bench-page\.mjs/);
    assert.match(text, /Benchmarks: \[bus\]\(#bus\) · \[sandbox\]\(#sandbox\)\./);
    assert.ok(text.indexOf('## bus') < text.indexOf('## sandbox'));
    assert.ok(text.endsWith('\n') && !text.endsWith('\n\n'));
  });
});

describe('results files', () => {
  it('parse one run a line and refuse a malformed one, naming its line', () => {
    const text = `${JSON.stringify(whole)}\n\n${JSON.stringify(partial('2026-11-02T00:00:00.000Z', 7))}\n`;
    assert.equal(page.parseRuns(text, 'bus.jsonl').length, 2);
    assert.throws(() => page.parseRuns(`${JSON.stringify(whole)}\n{"bench":"bus"`, 'bus.jsonl'), /bus\.jsonl:2: not JSON/);
    assert.throws(
      () => page.parseRuns(JSON.stringify({ ...whole, partial: 'no' }), 'bus.jsonl'),
      /bus\.jsonl:1: "partial" is not a boolean/,
    );
    assert.throws(() => page.parseRuns(JSON.stringify({ ...whole, rows: [{ metric: 'x', value: '1' }] }), 'f'), /a row without/);
  });

  it("a before/after table compares two runs' own rows only", () => {
    const after: Run = {
      ...whole,
      date: '2026-11-05T00:00:00.000Z',
      rows: [
        { metric: 'memory_msgs_per_s', value: 150, unit: 'msg/s' },
        { metric: 'new_metric', value: 1 },
      ],
    };
    const table = page.compareRuns(whole, after);
    assert.match(table, /\| memory_msgs_per_s \| 100 \| 150 \| 1\.50× \| msg\/s \|/);
    assert.match(table, /\| fanout_deliveries_per_s \| 5 \| — \| {2}\| deliveries\/s \|/);
    assert.match(table, /\| new_metric \| — \| 1 \| {2}\| {2}\|/);
    assert.match(table, /^before: Run 2026-11-01T00:00:00\.000Z/);
  });
});

describe('recording a run', () => {
  it("a mode of a benchmark (<name>-<mode>) gets its own section; other names stay in the benchmark's", () => {
    const rows = [
      { bench: 'density-cluster', metric: 'cluster_keys', value: 1 },
      { bench: 'density', metric: 'keys', value: 2 },
      { bench: 'cluster', metric: 'etcd_registry_ops_per_s', value: 3 },
    ];
    const bySection = rec.sectionsOf('density', rows);
    assert.deepEqual([...bySection.keys()], ['density-cluster', 'density']);
    assert.deepEqual(
      bySection.get('density-cluster')!.map((r) => r.metric),
      ['cluster_keys'],
    );
    assert.deepEqual(
      bySection.get('density')!.map((r) => r.metric),
      ['keys', 'etcd_registry_ops_per_s'],
    );
    // registry.ts prints `cluster` and `embedded` rows: they stay in the registry section.
    assert.deepEqual([...rec.sectionsOf('registry', rows).keys()], ['registry']);
  });

  it('makes one record per section, rows reduced to their fields, that the page reads back', () => {
    const printed = [
      { bench: 'density-cluster', metric: 'cluster_keys', value: 1, unit: 'keys', target: '', note: '' },
      { bench: 'density', metric: 'keys', value: 2, unit: 'keys', target: '>= 1', note: 'n' },
    ];
    const records = rec.runRecords('density', printed, { date: '2026-11-06T00:00:00.000Z', ...meta, partial: false });
    assert.deepEqual(
      records.map((r) => r.bench),
      ['density-cluster', 'density'],
    );
    assert.deepEqual(records[0]!.rows, [{ metric: 'cluster_keys', value: 1, unit: 'keys' }]);
    assert.deepEqual(records[1]!.rows, [{ metric: 'keys', value: 2, unit: 'keys', target: '>= 1', note: 'n' }]);
    assert.equal('dirty' in records[0]!, false);
    const back = page.parseRuns(records.map((r) => JSON.stringify(r)).join('\n'), 'x');
    assert.deepEqual(back, records);
  });
});
