/**
 * A name's placement in a cluster (decision 2189). A name deployed `--near` another gets that one's
 * key, fixed by its first such deploy and kept for good in etcd (`control/placement/<name>`): its
 * deliveries and state then live in that key's partition, and a key that changed after anything
 * was written would leave them behind. The key's own name (the chain's root) is fixed by itself at
 * the same time, so it can never move away from what is placed near it. Every other name is placed
 * by itself with nothing written. A first `--near` is refused with `--keep-state` (the kept state
 * is in its name's partition), while a live node does not place by keys (an older version would
 * read the agent's deliveries from the partition of its name), and while a record of the agent
 * exists (a deploy racing a running one through another node's lagging mirror).
 */
import {
  AlreadyExistsError,
  NearKeepStateError,
  NearUnsupportedError,
  settlePlacement,
  wantedPlacement,
  type AgentNear,
} from '@caxton/core';
import type { EtcdRegistry } from '../../registry/etcd/etcd-registry.js';

const FEATURE = 'placement-keys';

export async function fixClusterPlacement(
  registry: EtcdRegistry,
  name: string,
  asked: AgentNear | undefined,
  keepState: boolean,
): Promise<AgentNear | undefined> {
  const held = await registry.readPlacement(name);
  const settled = settlePlacement(name, asked, held);
  const wanted = held === undefined ? wantedPlacement(name, settled) : undefined;
  if (wanted === undefined) return settled;
  if (keepState) throw new NearKeepStateError(name, wanted.near ?? wanted.key);
  const older = (await registry.listNodes()).find((n) => n.features?.includes(FEATURE) !== true);
  if (older !== undefined) throw new NearUnsupportedError(name, wanted.near ?? wanted.key, older.id);
  // The root first: fixed by itself unless it was fixed near another meanwhile, whose key then holds.
  const root = (await registry.fixPlacement(wanted.key, { key: wanted.key })) ?? { key: wanted.key };
  const key = root.key;
  // Another deploy of the name may have fixed one meanwhile: the first wins, this one is judged by it.
  const fixed = await registry.fixPlacement(name, { ...wanted, key }, true);
  if (fixed === undefined) throw new AlreadyExistsError('agent', name);
  return settlePlacement(name, asked === undefined ? undefined : { ...asked, key }, fixed);
}
