/**
 * Fault points for crash tests (issue 24): a test arms one by starting the node's process with
 * `CAXTON_FAULT_POINT=<name>[:<n>]`, and the process kills itself with SIGKILL the n-th time (1 by
 * default) execution reaches that point — exactly at a step boundary of a handling plan, which no
 * timing-based kill can hit reliably. Unarmed (every production process), a point is one property
 * read.
 *
 * Points: `before-commit` (outbox and effects durable, commit point not made), `after-commit`
 * (commit point durable, HTTP release and timer deletion not done), `after-forget-timer` (timer
 * deleted from the registry, its done marker not cleared yet).
 */
const armed = parse(process.env['CAXTON_FAULT_POINT']);

function parse(spec: string | undefined): { name: string; remaining: number } | undefined {
  if (spec === undefined || spec === '') return undefined;
  const [name, count] = spec.split(':');
  const n = count === undefined ? 1 : Number(count);
  if (!name || !Number.isInteger(n) || n < 1) return undefined;
  return { name, remaining: n };
}

export function faultPoint(name: string): void {
  if (armed === undefined || armed.name !== name) return;
  armed.remaining -= 1;
  if (armed.remaining === 0) process.kill(process.pid, 'SIGKILL');
}
