#!/usr/bin/env node
// docs/benchmarks.md, generated from the recorded runs (bench/results/<bench>.jsonl, one JSON run a line,
// appended by `npm run bench -- <name> --record`) and a short hand-written note per benchmark
// (bench/notes/<bench>.md: what the figures mean, where the time goes). The page is never edited by hand.
//   node scripts/bench-page.mjs                      write docs/benchmarks.md
//   node scripts/bench-page.mjs --check              write nothing; exit 1 if the page differs from what the
//                                                    data makes, a note is too long, or the page too large
//   node scripts/bench-page.mjs --compare <bench> [<before> <after>]
//                                                    print a before/after table of two recorded runs (their
//                                                    indices in the file; negative counts from the end;
//                                                    default the last two)
//   --root <folder>                                  another tree with bench/ and docs/ (the repo test's copies)
// test/repo/benchmarks-page.test.ts runs --check on every `npm test`.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const NOTES_MAX_LINES = 20;
export const PAGE_MAX_BYTES = 40 * 1024;
// A row's note is cut on the page; the whole note stays in the results file.
const NOTE_MAX_CHARS = 50;
const BENCH_NAME = /^[a-z0-9][a-z0-9-]*$/;

/** @typedef {{metric: string, value: number, unit?: string, target?: string, note?: string}} Row */
/** @typedef {{bench: string, date: string, machine: string, node: string, commit: string | null, partial: boolean, rows: Row[], seeded?: boolean, dirty?: boolean, note?: string}} Run */

/**
 * The runs of one results file, oldest first.
 * @param {string} text the file's text
 * @param {string} file its name, for the messages
 * @returns {Run[]}
 */
export function parseRuns(text, file) {
  const runs = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let run;
    try {
      run = JSON.parse(line);
    } catch (e) {
      throw new Error(`${file}:${i + 1}: not JSON (${/** @type {Error} */ (e).message})`);
    }
    const problem = runProblem(run);
    if (problem) throw new Error(`${file}:${i + 1}: ${problem}`);
    runs.push(run);
  });
  return runs;
}

/** What makes `run` no run record, or undefined. */
export function runProblem(run) {
  if (typeof run !== 'object' || run === null) return 'not an object';
  for (const k of ['bench', 'date', 'machine', 'node'])
    if (typeof run[k] !== 'string' || run[k] === '') return `"${k}" is not a non-empty string`;
  if (!BENCH_NAME.test(run.bench)) return `"bench" ${JSON.stringify(run.bench)} is not a benchmark's name`;
  if (run.commit !== null && typeof run.commit !== 'string') return '"commit" is neither a string nor null';
  if (typeof run.partial !== 'boolean') return '"partial" is not a boolean';
  if (!Array.isArray(run.rows) || run.rows.length === 0) return '"rows" is not a non-empty list';
  for (const r of run.rows) {
    if (typeof r?.metric !== 'string' || typeof r.value !== 'number')
      return `a row without a string "metric" and a number "value": ${JSON.stringify(r)}`;
  }
  return undefined;
}

/**
 * The table a benchmark's page shows: its latest run's rows, and, when that run (or the runs after the
 * last whole one) measured only some metrics, the others from the latest earlier run that measured
 * them, each marked with that run's date. A whole run's table is its own: a metric it no longer
 * prints is gone, not kept stale.
 * @param {Run[]} runs oldest first
 * @returns {{run: Run, rows: (Row & {from?: string})[]}}
 */
export function tableOf(runs) {
  const run = runs[runs.length - 1];
  if (!run) throw new Error('no runs');
  const seen = new Set();
  const rows = [];
  for (let i = runs.length - 1; i >= 0; i--) {
    for (const r of runs[i].rows) {
      if (seen.has(r.metric)) continue;
      seen.add(r.metric);
      rows.push(i === runs.length - 1 ? r : { ...r, from: runs[i].date });
    }
    if (!runs[i].partial) break;
  }
  return { run, rows };
}

export function formatValue(v) {
  return Number.isInteger(v) ? String(v) : v.toPrecision(4);
}

// A table cell cannot hold a newline or an unescaped pipe: both would break the row.
function cell(s) {
  return String(s).replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

// The note's first clause, cut at NOTE_MAX_CHARS: what the figure is, not every detail of the run.
function shortNote(note) {
  const clause = note.split('; ')[0];
  const head = clause.slice(0, NOTE_MAX_CHARS);
  const space = head.lastIndexOf(' ');
  const cut =
    clause.length <= NOTE_MAX_CHARS ? clause : `${(space > NOTE_MAX_CHARS / 2 ? head.slice(0, space) : head).replace(/[\s,;:(]+$/, '')}…`;
  return cut.length < note.length && !cut.endsWith('…') ? `${cut} …` : cut;
}

/**
 * The rows named `<group>.<figure>` (one dot, both parts non-empty), when at least two groups share
 * them: a matrix of groups by figures (columns in first-seen order, each with its unit), the rest
 * plain. Their notes stay in the results file.
 * @param {(Row & {from?: string})[]} rows
 */
export function splitGrouped(rows) {
  const dotted = rows.filter((r) => /^[^.]+\.[^.]+$/.test(r.metric));
  const groups = new Map();
  const columns = [];
  for (const r of dotted) {
    const [group, name] = r.metric.split('.');
    if (!groups.has(group)) groups.set(group, new Map());
    groups.get(group).set(name, r);
    if (!columns.some((c) => c.name === name)) columns.push({ name, unit: r.unit ?? '' });
  }
  if (groups.size < 2) return { grouped: undefined, plain: rows };
  return { grouped: { groups, columns }, plain: rows.filter((r) => !dotted.includes(r)) };
}

/** One run's identity line: when, which build, on what. */
export function runLine(run) {
  const build = run.commit ? `commit ${run.commit}${run.dirty ? ' with uncommitted changes' : ''}` : 'commit not recorded';
  const kind = [run.partial ? 'partial run' : '', run.seeded ? 'seeded' : ''].filter(Boolean).join('; ');
  return `Run ${run.date}, ${build}, Node ${run.node}, on ${run.machine}${kind ? ` (${kind})` : ''}.`;
}

/**
 * One benchmark's section.
 * @param {string} bench
 * @param {Run[]} runs oldest first
 * @param {string | undefined} notes the hand-written note, markdown
 */
export function renderBench(bench, runs, notes) {
  const { run, rows } = tableOf(runs);
  const out = [`## ${bench}`, '', runLine(run)];
  if (run.note) out.push(run.note);
  const jade = rows.filter((r) => /_vs_jade$/.test(r.metric));
  if (jade.length > 0) {
    out.push(
      '',
      `Against JADE in the same run: ${jade.map((r) => `${r.metric} **${formatValue(r.value)}${r.unit === 'x' ? '×' : ` ${r.unit ?? ''}`}**${r.target ? ` (target ${r.target})` : ''}`).join(', ')}.`,
    );
  }
  const earlierRuns = [...new Set(rows.flatMap((r) => (r.from ? [r.from] : [])))];
  const mark = (r) => (r.from ? ` [${earlierRuns.indexOf(r.from) + 1}]` : '');
  const { grouped, plain } = splitGrouped(rows);
  if (plain.length > 0) out.push('', '| metric | value | unit | target | note |', '|---|---|---|---|---|');
  let previous;
  for (const r of plain) {
    const note = shortNote(r.note ?? '');
    const shown = note !== '' && note === previous ? '″' : note;
    previous = note;
    out.push(
      `| ${cell(r.metric)}${mark(r)} | ${formatValue(r.value)} | ${cell(r.unit ?? '')} | ${cell(r.target ?? '')} | ${cell(shown)} |`,
    );
  }
  if (grouped !== undefined) {
    // Metrics named <group>.<figure> (a language's, a node count's): one row a group, one column a figure.
    out.push('', `| | ${grouped.columns.map((c) => cell(`${c.name}${c.unit ? ` (${c.unit})` : ''}`)).join(' | ')} |`);
    out.push(`|---|${grouped.columns.map(() => '---|').join('')}`);
    for (const [group, byName] of grouped.groups) {
      const cells = grouped.columns.map((c) => {
        const r = byName.get(c.name);
        return r === undefined ? '' : cell(`${formatValue(r.value)}${r.target ? ` (${r.target})` : ''}${mark(r)}`);
      });
      out.push(`| ${cell(group)} | ${cells.join(' | ')} |`);
    }
  }
  if (earlierRuns.length > 0) {
    out.push(
      '',
      `Rows this partial run did not measure are kept from earlier runs: ${earlierRuns.map((d, i) => `[${i + 1}] the run of ${d}`).join(', ')}.`,
    );
  }
  if (notes && notes.trim() !== '') out.push('', notes.trim());
  return out.join('\n');
}

/**
 * The whole page.
 * @param {{intro: string, benches: {name: string, runs: Run[], notes?: string}[]}} input
 */
export function renderPage({ intro, benches }) {
  const sorted = [...benches].sort((a, b) => a.name.localeCompare(b.name));
  const toc = sorted.map((b) => `[${b.name}](#${b.name})`).join(' · ');
  const head = [
    '<!-- Generated by scripts/bench-page.mjs from bench/results/ and bench/notes/: edit those, not this page. -->',
    intro.trim(),
    '',
    `Benchmarks: ${toc}.`,
  ].join('\n');
  return `${[head, ...sorted.map((b) => renderBench(b.name, b.runs, b.notes))].join('\n\n')}\n`;
}

/**
 * A before/after table of two runs of one benchmark, from their own rows only (no row kept from an
 * earlier run): for each metric either measured, both values and after / before.
 * @param {Run} before
 * @param {Run} after
 */
export function compareRuns(before, after) {
  const b = new Map(before.rows.map((r) => [r.metric, r]));
  const a = new Map(after.rows.map((r) => [r.metric, r]));
  const metrics = [...new Set([...b.keys(), ...a.keys()])];
  const lines = [
    `before: ${runLine(before)}`,
    `after: ${runLine(after)}`,
    '',
    '| metric | before | after | after / before | unit |',
    '|---|---|---|---|---|',
  ];
  for (const m of metrics) {
    const x = b.get(m);
    const y = a.get(m);
    const ratio = x && y && x.value !== 0 ? `${(y.value / x.value).toFixed(2)}×` : '';
    lines.push(
      `| ${cell(m)} | ${x ? formatValue(x.value) : '—'} | ${y ? formatValue(y.value) : '—'} | ${ratio} | ${cell((y ?? x)?.unit ?? '')} |`,
    );
  }
  return lines.join('\n');
}

/** Where a tree keeps the page's inputs and the page. */
export function pagePaths(root) {
  return {
    results: path.join(root, 'bench', 'results'),
    notes: path.join(root, 'bench', 'notes'),
    intro: path.join(root, 'bench', 'notes', 'README.md'),
    page: path.join(root, 'docs', 'benchmarks.md'),
  };
}

/** Reads every benchmark's runs and notes under `root`; the problems found (stale or long notes). */
export function readInputs(root) {
  const p = pagePaths(root);
  const problems = [];
  const benches = readdirSync(p.results)
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => {
      const name = f.slice(0, -'.jsonl'.length);
      const runs = parseRuns(readFileSync(path.join(p.results, f), 'utf8'), `bench/results/${f}`);
      if (runs.length === 0) problems.push(`bench/results/${f} holds no run`);
      for (const r of runs) if (r.bench !== name) problems.push(`bench/results/${f} holds a run of "${r.bench}"`);
      const notesFile = path.join(p.notes, `${name}.md`);
      return { name, runs, notes: existsSync(notesFile) ? readFileSync(notesFile, 'utf8') : undefined };
    });
  const names = new Set(benches.map((b) => b.name));
  for (const f of readdirSync(p.notes).filter((n) => n.endsWith('.md') && n !== 'README.md')) {
    const lines = readFileSync(path.join(p.notes, f), 'utf8').trimEnd().split('\n').length;
    if (lines > NOTES_MAX_LINES)
      problems.push(`bench/notes/${f} has ${lines} lines; at most ${NOTES_MAX_LINES}: keep what explains the figures, git keeps the rest`);
    if (!names.has(f.slice(0, -3))) problems.push(`bench/notes/${f} is the note of no recorded benchmark`);
  }
  return { intro: readFileSync(p.intro, 'utf8'), benches: benches.filter((b) => b.runs.length > 0), problems };
}

/** Picks a run by its index in the file; negative counts from the end. */
function runAt(runs, index) {
  const i = index < 0 ? runs.length + index : index;
  const run = runs[i];
  if (!run) throw new Error(`no run ${index} among ${runs.length}`);
  return run;
}

function main(argv) {
  const flag = (name) => argv.includes(name);
  const valueOf = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
  const root = path.resolve(valueOf('--root') ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..'));
  const p = pagePaths(root);
  if (flag('--compare')) {
    const [bench, before = '-2', after = '-1'] = argv
      .slice(argv.indexOf('--compare') + 1)
      .filter((a) => a !== '--root' && a !== valueOf('--root'));
    const file = path.join(p.results, `${bench}.jsonl`);
    if (!bench || !existsSync(file)) {
      console.error(`usage: --compare <bench> [<before> <after>]; no results file bench/results/${bench ?? '?'}.jsonl`);
      return 64;
    }
    const runs = parseRuns(readFileSync(file, 'utf8'), file);
    console.log(compareRuns(runAt(runs, Number(before)), runAt(runs, Number(after))));
    return 0;
  }
  const { intro, benches, problems } = readInputs(root);
  const page = renderPage({ intro, benches });
  const bytes = Buffer.byteLength(page);
  if (bytes > PAGE_MAX_BYTES) problems.push(`the page would be ${bytes} bytes; at most ${PAGE_MAX_BYTES}: shorten the notes`);
  if (flag('--check')) {
    const current = existsSync(p.page) ? readFileSync(p.page, 'utf8') : '';
    if (current !== page)
      problems.push('docs/benchmarks.md is out of date with bench/results and bench/notes: run `node scripts/bench-page.mjs`');
    for (const problem of problems) console.error(problem);
    return problems.length > 0 ? 1 : 0;
  }
  for (const problem of problems) console.error(problem);
  writeFileSync(p.page, page);
  console.error(`wrote docs/benchmarks.md (${bytes} bytes)`);
  return problems.length > 0 ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    // A malformed results file: say which line, write nothing.
    console.error(/** @type {Error} */ (e).message);
    process.exitCode = 1;
  }
}
