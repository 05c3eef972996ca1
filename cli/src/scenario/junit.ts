/**
 * JUnit XML for `caxton test --reporter junit` (decision 2030): the de facto schema CI systems
 * read (Jenkins, GitLab, GitHub annotations): one `<testsuite>` for the run, one `<testcase>` per
 * scenario file, a `<failure>` holding every failed step's problems. Pure: strings in, string out.
 */

export interface JUnitCase {
  /** The scenario file, as shown (or `build` for a build that failed). */
  name: string;
  /** The agent under test: the test case's class (the project directory's name for `build`). */
  classname: string;
  timeMs: number;
  /** One line each; empty: the case passed. */
  failures: readonly string[];
  /** Whole failure text (expected and actual for each failed step). */
  details?: string;
  /** The case could not run at all (the build failed): an `<error>`, not a failure of the agent. */
  error?: string;
  /** The case was not run (the run was interrupted before it), and why. */
  skipped?: string;
}

/** XML 1.0 text: escape the five specials, drop what XML cannot carry at all (control characters, lone surrogates). */
export function xmlEscape(text: string): string {
  return (
    text
      .replace(
        /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
        '\uFFFD',
      )
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
      // A parser turns a raw CR (a CR LF) into LF: kept as a reference, it reads back as written.
      .replace(/\r/g, '&#13;')
  );
}

/** An attribute value: a parser turns raw newlines and tabs there into spaces, so they go as references. */
function xmlAttr(text: string): string {
  return xmlEscape(text).replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
}

const seconds = (ms: number): string => (ms / 1000).toFixed(3);

/**
 * The report. `timestamp`: when the run started, as the Ant schema writes it (no zone, no
 * milliseconds: `toISOString().slice(0, 19)`, UTC). `<error>` and `<skipped>` sit in a
 * `<testcase>`, where CI systems look for them: one beside `<testsuite>` is not shown at all.
 */
export function junitReport(suite: string, cases: readonly JUnitCase[], opts: { timestamp: string }): string {
  const failures = cases.filter((c) => c.failures.length > 0).length;
  const errors = cases.filter((c) => c.error !== undefined).length;
  const skipped = cases.filter((c) => c.skipped !== undefined).length;
  const time = cases.reduce((t, c) => t + c.timeMs, 0);
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="caxton test" tests="${cases.length}" failures="${failures}" errors="${errors}" time="${seconds(time)}">`,
    `  <testsuite name="${xmlAttr(suite)}" tests="${cases.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${seconds(time)}" timestamp="${xmlAttr(opts.timestamp)}">`,
  ];
  for (const c of cases) {
    const head = `    <testcase name="${xmlAttr(c.name)}" classname="${xmlAttr(c.classname)}" time="${seconds(c.timeMs)}"`;
    const inner: string[] = [];
    if (c.error !== undefined)
      inner.push(`      <error message="${xmlAttr(c.error.split('\n')[0]!)}" type="caxton.run">${xmlEscape(c.error)}</error>`);
    if (c.skipped !== undefined) inner.push(`      <skipped message="${xmlAttr(c.skipped)}"/>`);
    if (c.failures.length > 0)
      inner.push(
        `      <failure message="${xmlAttr(c.failures.join('; '))}" type="caxton.scenario">${xmlEscape(c.details ?? c.failures.join('\n'))}</failure>`,
      );
    if (inner.length === 0) {
      out.push(`${head}/>`);
      continue;
    }
    out.push(`${head}>`, ...inner, '    </testcase>');
  }
  out.push('  </testsuite>', '</testsuites>', '');
  return out.join('\n');
}
