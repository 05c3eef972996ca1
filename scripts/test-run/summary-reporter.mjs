// A node:test reporter that records the run's totals as JSON, so `npm test` can end with one
// plain closing line ("tests: N passed, N failed, N skipped") after the servers are stopped.
// The totals are the runner's own end-of-run diagnostics (tests, pass, fail, skipped, …), counted
// once by the runner rather than re-derived here.
const KEYS = new Set(['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo', 'duration_ms']);

export default async function* summaryReporter(source) {
  const totals = {};
  for await (const event of source) {
    if (event.type !== 'test:diagnostic' || event.data.nesting !== 0) continue;
    const m = /^(\w+) ([\d.]+)$/.exec(event.data.message);
    if (m && KEYS.has(m[1])) totals[m[1]] = Number(m[2]);
  }
  yield `${JSON.stringify(totals)}\n`;
}
