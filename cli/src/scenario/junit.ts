/**
 * JUnit XML for `caxton test --reporter junit` (decision 2030): the de facto schema CI systems
 * read (Jenkins, GitLab, GitHub annotations): one `<testsuite>` for the run, one `<testcase>` per
 * scenario file, a `<failure>` holding every failed step's problems. Pure: strings in, string out.
 */

export interface JUnitCase {
  /** The scenario file, as shown. */
  name: string;
  /** The agent under test: the test case's class. */
  classname: string;
  timeMs: number;
  /** One line each; empty: the case passed. */
  failures: readonly string[];
  /** Whole failure text (expected and actual for each failed step). */
  details?: string;
}

/** XML 1.0 text: escape the five specials, drop what XML cannot carry at all (control characters, lone surrogates). */
export function xmlEscape(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

const seconds = (ms: number): string => (ms / 1000).toFixed(3);

export function junitReport(suite: string, cases: readonly JUnitCase[], opts: { timestamp: string; error?: string }): string {
  const failures = cases.filter((c) => c.failures.length > 0).length;
  const time = cases.reduce((t, c) => t + c.timeMs, 0);
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="caxton test" tests="${cases.length}" failures="${failures}" errors="${opts.error ? 1 : 0}" time="${seconds(time)}">`,
    `  <testsuite name="${xmlEscape(suite)}" tests="${cases.length}" failures="${failures}" errors="${opts.error ? 1 : 0}" skipped="0" time="${seconds(time)}" timestamp="${xmlEscape(opts.timestamp)}">`,
  ];
  if (opts.error) out.push(`    <error message="${xmlEscape(opts.error)}" type="caxton.run"/>`);
  for (const c of cases) {
    const head = `    <testcase name="${xmlEscape(c.name)}" classname="${xmlEscape(c.classname)}" time="${seconds(c.timeMs)}"`;
    if (c.failures.length === 0) {
      out.push(`${head}/>`);
      continue;
    }
    out.push(`${head}>`);
    out.push(`      <failure message="${xmlEscape(c.failures.join('; '))}" type="caxton.scenario">${xmlEscape(c.details ?? c.failures.join('\n'))}</failure>`);
    out.push('    </testcase>');
  }
  out.push('  </testsuite>', '</testsuites>', '');
  return out.join('\n');
}
