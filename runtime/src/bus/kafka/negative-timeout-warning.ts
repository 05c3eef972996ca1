/**
 * kafkajs's request queue arms `setTimeout(…, throttledUntil - Date.now())` even when it is not
 * throttled (throttledUntil is -1), a delay of about minus the epoch. Node 20 clamped that to 1 ms
 * silently; Node 23 and later clamp it the same way but print a `TimeoutNegativeWarning` for every
 * one — a node on the Kafka log printed several a minute, to an operator, about a library's
 * arithmetic. kafkajs is unmaintained (client.ts), so the warning is dropped here, and only that
 * one: its name, with a kafkajs request-queue frame in its stack. Every other warning still reaches
 * Node's own printer, unchanged.
 */
const FROM_KAFKAJS_QUEUE = /kafkajs[\\/]src[\\/]network[\\/]requestQueue/;

let installed = false;

export function dropKafkajsNegativeTimeoutWarnings(): void {
  if (installed) return;
  installed = true;
  const printers = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning: Error) => {
    if (warning.name === 'TimeoutNegativeWarning' && FROM_KAFKAJS_QUEUE.test(warning.stack ?? '')) return;
    for (const print of printers) print.call(process, warning);
  });
}
