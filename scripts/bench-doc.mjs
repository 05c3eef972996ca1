// The benchmarks' section of docs/benchmarks.md, rewritten by `npm run bench -- <name>` (scripts/bench.mjs).
// Pure: a document and a run's rows in, the document out. A partial run (`--only fanout`) measures a few
// metrics; it replaces those rows and keeps the others, each kept row saying which earlier run it came
// from, so one phase re-run never erases the figures of the phases it did not run. A whole run
// replaces the section (a metric it no longer prints is gone, not kept stale).

/** @typedef {{metric: string, value: number, unit?: string, target?: string, note?: string}} Row */

const HEADER = ['| metric | value | unit | target | note |', '|---|---|---|---|---|'];
const KEPT = /^\(from the run of ([^)]+)\) /;

/**
 * @param {string} doc the whole document
 * @param {string} bench the benchmark's name
 * @param {Row[]} rows what this run measured
 * @param {{machine: string, now: string, partial?: boolean}} run  partial: the run measured only some phases
 * @returns {string}
 */
export function updateBenchSection(doc, bench, rows, run) {
  const re = new RegExp(`<!-- bench:${escape(bench)}:start -->[\\s\\S]*?<!-- bench:${escape(bench)}:end -->`);
  const old = re.exec(doc)?.[0];
  const measured = new Set(rows.map((r) => r.metric));
  const lines = rows.map(
    (r) => `| ${cell(r.metric)} | ${formatValue(r.value)} | ${cell(r.unit ?? '')} | ${cell(r.target ?? '')} | ${cell(r.note ?? '')} |`,
  );
  const oldRun = old ? /^Run (\S+) on /m.exec(old)?.[1] : undefined;
  let kept = 0;
  for (const line of old && run.partial ? tableRows(old) : []) {
    const cells = splitRow(line);
    if (cells.length < 5 || measured.has(cells[0])) continue;
    const note = cells.slice(4).join(' | ');
    const from = KEPT.test(note) || !oldRun ? note : `(from the run of ${oldRun}) ${note}`;
    lines.push(`| ${cells[0]} | ${cells[1]} | ${cells[2]} | ${cells[3]} | ${from} |`);
    kept++;
  }
  const partial = kept > 0 ? ` Partial run: ${kept} row${kept === 1 ? '' : 's'} not measured by it kept from earlier runs (marked).` : '';
  const section = `<!-- bench:${bench}:start -->\n## ${bench}\n\nRun ${run.now} on ${run.machine}.${partial}\n\n${HEADER.concat(lines).join('\n')}\n<!-- bench:${bench}:end -->`;
  return old ? doc.replace(re, () => section) : `${doc.trimEnd()}\n\n${section}\n`;
}

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

export function formatValue(v) {
  return Number.isInteger(v) ? String(v) : v.toPrecision(4);
}

function tableRows(section) {
  return section.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith(HEADER[0]) && !l.startsWith('|---'));
}

function splitRow(line) {
  return line.slice(2, line.endsWith(' |') ? -2 : undefined).split(' | ');
}

// A table cell cannot hold a newline or an unescaped pipe: both would break the row.
function cell(s) {
  return String(s).replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

function escape(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
