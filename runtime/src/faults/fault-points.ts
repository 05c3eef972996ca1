/**
 * Fault points for crash tests (issue 24): a test arms one by starting the node's process with
 * `CAXTON_FAULT_POINT=<name>[:<n>]`, and the process kills itself with SIGKILL the n-th time (1 by
 * default) execution reaches that point — exactly at a step boundary of a handling plan, which no
 * timing-based kill can hit reliably. Unarmed (every production process), a point is one property
 * read.
 *
 * Points: `before-commit` (outbox and effects durable, commit point not made; on the in-order
 * path of decision 2111, outbox queued in the commit group the completion is about to join), `after-commit`
 * (commit point durable, HTTP release and timer deletion not done), `after-forget-timer` (timer
 * deleted from the registry, its done marker not cleared yet); in the embedded log's segment writer
 * (decision 2111), `group-written` (a commit group written, not fdatasynced: the process dies, the
 * page cache keeps it) and `group-torn` (only the first half of a group's bytes written, then killed:
 * a torn tail that recovery cuts at its first incomplete frame). In a stateful rollout's handover
 * (decision 2170, node/rollouts/rollouts.ts): `rollout-taken-over` (the new version holds the state, routing
 * to it begun, nothing handled on it yet) and `rollout-handed-back` (its instance stopped, the
 * running instance's view not reset yet, the rollout still recorded). In a replay (issue 57,
 * replay/replayer.ts): `replay-handled` (a handling replayed and compared, the next not begun). In
 * an agent's own replay history (decision 2182, log/embedded/agent-history-store.ts):
 * `agent-history-copied` (a segment's copy renamed into place, its progress not written) and
 * `agent-history-recorded` (the progress written, the segment not deleted yet).
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
  if (faultDue(name)) process.kill(process.pid, 'SIGKILL');
}

/**
 * For a point that must do something before it kills (a torn write): true the n-th time it is
 * reached; the caller does its part and kills the process itself.
 */
export function faultDue(name: string): boolean {
  if (armed === undefined || armed.name !== name) return false;
  armed.remaining -= 1;
  return armed.remaining === 0;
}
