/**
 * A name's placement in a cluster (decision 2189), fixed at its first deploy and kept for good in
 * etcd (`control/placement/<name>`): its deliveries and its state live in the partition of that key,
 * so a key that changed after anything was written would leave them behind. `--near` is refused
 * while a live node does not place by keys (an older version would read the agent's deliveries
 * from the partition of its name).
 */
import { NearUnsupportedError, settlePlacement, wantedPlacement, type AgentNear } from '@caxton/core';
import type { EtcdRegistry } from '../../registry/etcd/etcd-registry.js';

const FEATURE = 'placement-keys';

export async function fixClusterPlacement(
  registry: EtcdRegistry,
  name: string,
  asked: AgentNear | undefined,
): Promise<AgentNear | undefined> {
  const wanted = wantedPlacement(name, asked);
  if (wanted.near !== undefined) {
    const older = (await registry.listNodes()).find((n) => n.features?.includes(FEATURE) !== true);
    if (older !== undefined) throw new NearUnsupportedError(name, wanted.near, older.id);
  }
  return settlePlacement(name, asked, await registry.fixPlacement(name, wanted));
}
