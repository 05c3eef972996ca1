/**
 * The embedded registry's agent records, read without opening the registry (for tools beside a
 * node, such as `caxton replay --data-dir`): the snapshot and its journal generation are read as
 * they are, a torn journal tail is left where it is (ignored, not truncated), nothing is created,
 * locked or removed. A snapshot replaced while it is read (the node compacted) is read again once.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentRecord } from '../../storage/records.js';
import { RegistryError } from '../errors.js';
import { servicesByType } from '../services-by-type.js';
import { scanFrames } from './framing.js';
import { parseMutations, parseSnapshot, RegistryState } from './registry-state.js';

async function readOrUndefined(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function readOnce(dir: string): Promise<RegistryState | 'raced'> {
  const snapshot = await readOrUndefined(join(dir, 'snapshot'));
  let state = new RegistryState();
  let generation = 0;
  if (snapshot !== undefined) {
    const scan = scanFrames(snapshot);
    const payload = scan.payloads[0];
    if (scan.tail !== 'clean' || scan.payloads.length !== 1 || payload === undefined)
      throw new RegistryError('registry.corrupt', `registry snapshot ${join(dir, 'snapshot')} is damaged`, {
        context: { dir },
        hint: 'restore the data dir from a backup; the snapshot is written atomically, so this is disk damage or a foreign file',
      });
    const body = parseSnapshot(payload);
    state = RegistryState.fromSnapshot(body);
    generation = body.generation;
  }
  const journal = await readOrUndefined(join(dir, `journal-${generation}.log`));
  // The node moved to a newer generation between the two reads: read both again.
  if (journal === undefined && generation > 0) return 'raced';
  if (journal !== undefined) {
    const scan = scanFrames(journal);
    if (scan.tail === 'corrupt')
      throw new RegistryError(
        'registry.corrupt',
        `registry journal ${join(dir, `journal-${generation}.log`)} is damaged at byte ${scan.validBytes}`,
        {
          context: { dir, offset: scan.validBytes },
          hint: 'start the node on this data dir once: it reports the damage and what to do about it',
        },
      );
    for (const payload of scan.payloads) for (const m of parseMutations(payload)) state.apply(m);
  }
  return state;
}

export interface RegistryView {
  /** Every agent record, by name. */
  agents: Map<string, AgentRecord>;
  /** Service type → the agents advertising it, sorted, as the node hands its sandbox (directory-sync.ts). */
  servicesByType: Map<string, { name: string }[]>;
}

/** The agent records and the directory of the embedded registry in `dir` (`<data-dir>/registry`). */
export async function readEmbeddedRegistry(dir: string): Promise<RegistryView> {
  let state = await readOnce(dir);
  if (state === 'raced') state = await readOnce(dir);
  if (state === 'raced')
    throw new RegistryError('registry.unavailable', `the registry in ${dir} changed twice while it was read`, {
      context: { dir },
      hint: 'try again; a node compacting its registry that often is very busy',
    });
  return { agents: state.agents, servicesByType: servicesByType(state.df.values()) };
}
