// A node:test reporter that records the run's totals as JSON, so `npm test` can end with one
// plain closing line ("tests: N passed, N failed, N skipped") after the servers are stopped.
// The totals are the runner's own end-of-run diagnostics (tests, pass, fail, skipped, …), counted
// once by the runner rather than re-derived here. It also sums each file's top-level test times,
// so the run can name its slowest files: CI time is a budget, and this is where it goes.
// And it keeps each failed test's name, file and first error line: a long run's output is often
// read from its tail alone, so `npm test` names its failures again as its very last lines.
const KEYS = new Set(['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo', 'duration_ms']);

export default async function* summaryReporter(source) {
  const totals = {};
  const perFile = new Map();
  const failures = [];
  for await (const event of source) {
    if ((event.type === 'test:pass' || event.type === 'test:fail') && event.data.nesting === 0 && event.data.file) {
      const ms = event.data.details?.duration_ms ?? 0;
      perFile.set(event.data.file, (perFile.get(event.data.file) ?? 0) + ms);
    }
    // A todo's failure (a known bug the test shows) does not fail the run: not listed with the failures.
    if (event.type === 'test:fail' && (event.data.todo === undefined || event.data.todo === false) && !isParentFailure(event.data)) {
      failures.push({ file: event.data.file ?? '', name: event.data.name, error: firstLine(event.data.details?.error) });
    }
    if (event.type !== 'test:diagnostic' || event.data.nesting !== 0) continue;
    const m = /^(\w+) ([\d.]+)$/.exec(event.data.message);
    if (m && KEYS.has(m[1])) totals[m[1]] = Number(m[2]);
  }
  totals.failures = failures;
  totals.files = [...perFile].map(([file, ms]) => ({ file, ms: Math.round(ms) })).sort((a, b) => b.ms - a.ms);
  yield `${JSON.stringify(totals)}\n`;
}

/** A suite or test that failed only because a subtest did: its subtest is already listed. */
function isParentFailure(data) {
  return data.details?.error?.failureType === 'subtestsFailed';
}

/** The error's first meaningful lines, joined (the cause's message for a test-function failure). */
function firstLine(error) {
  const inner = error?.cause ?? error;
  const text = String(inner?.message ?? inner ?? '');
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .slice(0, 3)
    .join(' / ')
    .slice(0, 300);
}
