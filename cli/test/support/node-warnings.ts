/**
 * A child Node process's stderr without Node's own warnings: an ExperimentalWarning, a deprecation
 * of Node's API (`[DEP0123] DeprecationWarning`), and the "(Use `node --trace-… ...`" line Node
 * prints after the first warning. A newer Node, or a dependency using an API Node now deprecates,
 * prints these without anything being wrong with what a test checks; tests that require a child's
 * stderr empty compare this instead. Everything else stays: another warning (a leaked listener's
 * MaxListenersExceededWarning, one a module emits), an error, any other text. A Node warning whose
 * message spans lines keeps its continuation lines, so the check fails naming them rather than
 * hiding more than one line per warning. A package that emits its own ExperimentalWarning, or a
 * deprecation under a `DEP####` code, is dropped too: the form is Node's, the source is not told
 * apart (nothing in this repository emits either; its own warnings print as `[sandbox.…] Warning`).
 */
const NODE_WARNING = /^\(node:\d+\) (?:\[DEP\d{4}\] DeprecationWarning|ExperimentalWarning): /;
const TRACE_HINT = /^\(Use `node --trace-(?:warnings|deprecation) \.\.\.` to show where the warning was created\)$/;

export function withoutNodeWarnings(stderr: string): string {
  return stderr
    .split('\n')
    .filter((line) => !NODE_WARNING.test(line) && !TRACE_HINT.test(line))
    .join('\n');
}
