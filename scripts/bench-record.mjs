// A benchmark run as data: `npm run bench -- <name> --record` (scripts/bench.mjs) turns the JSON lines
// the bench printed into one run record per section and appends each to bench/results/<section>.jsonl;
// scripts/bench-page.mjs makes docs/benchmarks.md from those files.
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { runProblem } from './bench-page.mjs';

/**
 * Which section each row of a run of benchmark `name` goes to: its own, unless the row names a mode
 * of it, `<name>-<mode>` (density --cluster prints `density-cluster` rows), so one mode's run does not
 * replace the other's figures. A row naming another benchmark altogether stays in `name`'s section.
 * @template {{bench?: unknown}} R
 * @param {string} name
 * @param {R[]} rows
 * @returns {Map<string, R[]>}
 */
export function sectionsOf(name, rows) {
  const out = new Map();
  for (const r of rows) {
    const section = typeof r.bench === 'string' && r.bench.startsWith(`${name}-`) ? r.bench : name;
    out.set(section, [...(out.get(section) ?? []), r]);
  }
  return out;
}

/**
 * The run records of one run of benchmark `name`: one per section it printed rows for, each row
 * reduced to its fields (metric, value, unit, target, note).
 * @param {string} name
 * @param {{bench?: unknown, metric: string, value: number, unit?: string, target?: string, note?: string}[]} printed
 * @param {{date: string, machine: string, node: string, commit: string | null, dirty?: boolean, partial: boolean}} run
 */
export function runRecords(name, printed, run) {
  return [...sectionsOf(name, printed)].map(([bench, rows]) => {
    const record = {
      bench,
      date: run.date,
      machine: run.machine,
      node: run.node,
      commit: run.commit,
      ...(run.dirty ? { dirty: true } : {}),
      partial: run.partial,
      rows: rows.map(({ metric, value, unit, target, note }) => ({
        metric,
        value,
        ...(unit !== undefined ? { unit } : {}),
        ...(target !== undefined && target !== '' ? { target } : {}),
        ...(note !== undefined && note !== '' ? { note } : {}),
      })),
    };
    const problem = runProblem(record);
    if (problem) throw new Error(`a run of ${bench} cannot be recorded: ${problem}`);
    return record;
  });
}

/** Appends each record to bench/results/<bench>.jsonl under `resultsDir`, one line each. */
export function appendRuns(resultsDir, records) {
  mkdirSync(resultsDir, { recursive: true });
  for (const r of records) appendFileSync(path.join(resultsDir, `${r.bench}.jsonl`), `${JSON.stringify(r)}\n`);
}
