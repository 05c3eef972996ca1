/**
 * What the pinger/echo crash tests (crash-recovery, group-crash) read from their child's records
 * (crash/node-child.ts: S start, A accepted, H handled, C completed, D chain done), one life per
 * `S` line.
 */
export interface NodeLife {
  accepted: Set<string>;
  handled: string[];
  completed: Set<string>;
  done: Set<string>;
}

/** Splits the record file into its lives (each starts with an `S` line). */
export function parseNodeLives(text: string): NodeLife[] {
  const lives: NodeLife[] = [];
  let life: NodeLife | undefined;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const kind = line[0];
    const rest = line.slice(2);
    if (kind === 'S') {
      life = { accepted: new Set(), handled: [], completed: new Set(), done: new Set() };
      lives.push(life);
      continue;
    }
    if (life === undefined) throw new Error(`record before the first start line: ${line}`);
    if (kind === 'A') life.accepted.add(rest);
    else if (kind === 'H') life.handled.push(rest);
    else if (kind === 'C') for (const id of rest.split(' ')) life.completed.add(id);
    else if (kind === 'D') life.done.add(rest);
  }
  return lives;
}
