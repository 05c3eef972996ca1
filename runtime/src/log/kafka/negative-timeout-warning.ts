/**
 * kafkajs's request queue arms `setTimeout(…, throttledUntil - Date.now())` even when it is not
 * throttled (throttledUntil is -1), a delay of about minus the epoch. Node 20 clamped that to 1 ms
 * silently; Node 23 and later clamp it the same way but print a `TimeoutNegativeWarning` for every
 * one — a node on the Kafka log printed several a minute, to an operator, about a library's
 * arithmetic. kafkajs is unmaintained (client.ts), so the warning is dropped here, and only that
 * one: its type, raised while a kafkajs request-queue frame is on the stack. Node raises it through
 * `process.emitWarning`, which is what is wrapped; the process's `warning` listeners (Node's printer,
 * an embedder's own) are left as they are and get every other warning unchanged.
 */
const FROM_KAFKAJS_QUEUE = /kafkajs[\\/]src[\\/]network[\\/]requestQueue/;

let installed = false;

/** The type a warning is raised as: an Error's name, or the type given beside a message. */
function typeOf(warning: string | Error, rest: readonly unknown[]): string | undefined {
  if (warning instanceof Error) return warning.name;
  const [second] = rest;
  if (typeof second === 'string') return second;
  return typeof second === 'object' && second !== null ? (second as { type?: string }).type : undefined;
}

export function dropKafkajsNegativeTimeoutWarnings(): void {
  if (installed) return;
  installed = true;
  const emit = process.emitWarning as (...args: unknown[]) => void;
  process.emitWarning = function emitWarning(warning: string | Error, ...rest: unknown[]): void {
    if (typeOf(warning, rest) === 'TimeoutNegativeWarning' && FROM_KAFKAJS_QUEUE.test(new Error().stack ?? '')) return;
    emit.call(process, warning, ...rest);
  } as typeof process.emitWarning;
}
