// Replacement for AssemblyScript's `abort` (wired in with `--use abort=...` by the toolchain).
// The default imports `env.abort`, which the agent world does not provide. This one writes the
// message to the agent's log, so the operator sees *why* the agent crashed, then traps: an abort is
// a crash (instance replaced, message retried), never an application-level error.
import { log } from "./wit/host";

export function caxtonAbort(
  message: string | null = null, fileName: string | null = null, line: u32 = 0, column: u32 = 0,
): void {
  let text = "abort: " + (message !== null ? message : "(no message)");
  if (fileName !== null) text += " at " + fileName + ":" + line.toString() + ":" + column.toString();
  log(4, changetype<usize>(text), <u32>text.length);
  unreachable();
}
