/**
 * The line a cluster node writes to stderr each time the consumer group changes the partitions it
 * consumes (docs/cluster.md, *Which partitions a node consumes*): with the partitions, an operator
 * reads a rebalance — and which node's agents moved — without a metrics stack. Sorted, so one
 * assignment is always one line, and the node says a line only when it differs from its last (a
 * re-join reports `none` first, then the partitions it got back: two lines for no net change).
 */
export function assignmentLine(nodeId: string, partitions: readonly number[], of: number): string {
  const list = [...partitions].sort((a, b) => a - b);
  return list.length === 0
    ? `node ${nodeId} consumes none of the deliveries topic's ${of} partitions`
    : `node ${nodeId} consumes ${list.length} of the deliveries topic's ${of} partitions: ${list.join(' ')}`;
}

/** The partitions an assignment line names, or undefined for any other line (tests and tools read it back). */
export function parseAssignmentLine(line: string): { nodeId: string; partitions: number[]; of: number } | undefined {
  const m =
    /^(?:caxton: cluster: )?node (\S+) consumes (?:none|(\d+)) of the deliveries topic's (\d+) partitions(?:: (\d+(?: \d+)*))?$/.exec(line);
  if (!m) return undefined;
  const partitions = m[4] === undefined ? [] : m[4].split(' ').map(Number);
  // "none" has no list; a count has its list, as long as the count says.
  if ((m[2] === undefined) !== (m[4] === undefined) || (m[2] !== undefined && Number(m[2]) !== partitions.length)) return undefined;
  return { nodeId: m[1]!, of: Number(m[3]), partitions };
}
