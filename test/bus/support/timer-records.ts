/**
 * What the timer-counter crash tests (timer-exactly-once, commit-order-crash) read after a life:
 * the child's records (crash/timer-child.ts) and, with no node running, the agent's committed state
 * in the log and its timers in the registry.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { EmbeddedMessageLog, EmbeddedRegistry } from '@caxton/runtime';

export const AGENT = 'timer-counter';

export interface Records {
  lives: number;
  /** Request ids in the order they were accepted (A lines), with their kind. */
  accepted: { id: string; kind: 'tick' | 'note' }[];
  /** Per request id: the counts its timer's informs carried. */
  fired: Map<string, string[]>;
  /** Per request id: the performatives of its other answers. */
  answers: Map<string, string[]>;
}

export async function readRecords(file: string): Promise<Records> {
  const r: Records = { lives: 0, accepted: [], fired: new Map(), answers: new Map() };
  for (const line of (await readFile(file, 'utf8')).split('\n')) {
    const [kind, id, value] = line.split(' ');
    if (kind === 'S') r.lives++;
    else if (kind === 'A') r.accepted.push({ id: id!, kind: value === 'note' ? 'note' : 'tick' });
    else if (kind === 'F') r.fired.set(id!, [...(r.fired.get(id!) ?? []), value ?? '']);
    else if (kind === 'G') r.answers.set(id!, [...(r.answers.get(id!) ?? []), value ?? '']);
  }
  return r;
}

/** The agent's committed state and the timers still registered, read with no node running. */
export async function committed(nodeDir: string): Promise<{ state: Map<string, string>; timers: number }> {
  const log = new EmbeddedMessageLog({ dir: path.join(nodeDir, 'log') });
  log.events.on(() => {}, ['warning']);
  await log.open();
  const state = new Map(await log.readState(AGENT));
  await log.close();
  const registry = new EmbeddedRegistry({ dir: path.join(nodeDir, 'registry') });
  await registry.open();
  const timers = (await registry.listTimers(AGENT)).length;
  await registry.close();
  return { state, timers };
}
