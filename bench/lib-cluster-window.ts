/**
 * Whether the cluster bench's throughput window measured the message path (decision 2120). The
 * messages are counted from the nodes' `messagesHandled`, a live figure of the node running each
 * agent: an agent that moves during the window (a lapsed lease or Kafka session on a loaded
 * machine) starts again from zero on its new node. A window that counts fewer messages than its
 * chains make therefore held agent moves — their claims, artifact fetches and instantiations are
 * in its CPU — and its divisor is short: its CPU per message is not the path's cost.
 */

/** The words to add to the window's notes; '' when every chain message was counted. */
export function shortCountNote(handled: number, expected: number): string {
  if (handled >= expected) return '';
  return `; ${expected - handled} fewer messages counted than the chains make: agents moved during the window ` +
    `(an agent's messagesHandled starts again on its new node), so the CPU of the moves is in this window and its divisor is short — not the message path's cost (decision 2120)`;
}
