/** Progress for long operations goes to stderr so stdout stays machine-readable (`status --json`). */
export function progress(message) {
  if (process.env.CAXTON_INFRA_QUIET === '1') return;
  process.stderr.write(`[infra] ${message}\n`);
}
