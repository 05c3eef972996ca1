/**
 * TAP version 13 (testanything.org) for `caxton test`: the plan first, one `ok`/`not ok` line per
 * step, a YAML block under a failure saying what was expected and what came back, `Bail out!` when
 * the run cannot go on (the build failed). CI systems and `tap-*` reporters read it as it is.
 * Pure: strings in, strings out.
 */

export function tapPlan(count: number): string {
  return `TAP version 13\n1..${count}\n`;
}

/** TAP descriptions end at a newline and must not start with a number or contain `#` (a directive). */
function description(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/#/g, '\\#');
}

export interface TapStep {
  n: number;
  description: string;
  /** Empty: ok. */
  problems: readonly string[];
  /** Shown under a failure, in order. */
  details?: ReadonlyArray<[string, unknown]>;
}

export function tapStep(step: TapStep): string {
  const head = `${step.problems.length === 0 ? 'ok' : 'not ok'} ${step.n} - ${description(step.description)}\n`;
  if (step.problems.length === 0) return head;
  const yaml = ['  ---', '  problems:', ...step.problems.map((p) => `    - ${JSON.stringify(p)}`)];
  for (const [key, value] of step.details ?? []) yaml.push(`  ${key}: ${JSON.stringify(value)}`);
  yaml.push('  ...');
  return `${head}${yaml.join('\n')}\n`;
}

export function tapBailOut(reason: string): string {
  return `Bail out! ${description(reason)}\n`;
}

export function tapSummary(passed: number, failed: number): string {
  return `# pass ${passed}\n# fail ${failed}\n`;
}
