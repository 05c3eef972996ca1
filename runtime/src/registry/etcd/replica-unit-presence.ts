/**
 * Where replica units are active (decision 2097): a node running a unit `X#r<k>` (decision 2093)
 * keeps `<prefix>store/units/<unit>/<node>` under its membership lease while the unit is in
 * memory, so any node can tell an operator which of X's replicas run and where. Outside the
 * mirrored range (read only when asked); bound to the lease, so a dead node's entries go with it.
 * Written on activation and passivation only — a unit lives 30 s idle at least — never per message.
 */
import { parseReplicaUnit, REPLICA_LIMITS } from '@caxton/core';
import type { Lease } from 'etcd3';
import type { EtcdConnection } from './connection.js';
import type { KeyLayout } from './keys.js';

export interface ActiveUnit {
  unit: string;
  node: string;
}

function unitsPrefix(keys: KeyLayout): string {
  return `${keys.prefix}store/units/`;
}

export async function publishUnit(connection: EtcdConnection, keys: KeyLayout, lease: Lease, unit: string, node: string): Promise<void> {
  await connection.call('store an active replica unit', () =>
    lease
      .put(`${unitsPrefix(keys)}${unit}/${node}`)
      .value(JSON.stringify({ since: Date.now() }))
      .exec(),
  );
}

export async function withdrawUnit(connection: EtcdConnection, keys: KeyLayout, unit: string, node: string): Promise<void> {
  await connection.call('delete an active replica unit', () =>
    connection.client
      .delete()
      .key(`${unitsPrefix(keys)}${unit}/${node}`)
      .exec(),
  );
}

/** X's units active anywhere: keys read hostile, anything not `<X#r<k>>/<node>` is skipped. */
export async function activeUnits(connection: EtcdConnection, keys: KeyLayout, agent: string): Promise<ActiveUnit[]> {
  const from = `${unitsPrefix(keys)}${agent}#r`;
  const found = await connection.call('list active replica units', () =>
    connection.client.getAll().prefix(from).limit(REPLICA_LIMITS.unitPresenceRead).keys(),
  );
  const out: ActiveUnit[] = [];
  for (const key of found) {
    const rest = key.slice(unitsPrefix(keys).length);
    const slash = rest.indexOf('/');
    if (slash <= 0 || slash === rest.length - 1) continue;
    const unit = rest.slice(0, slash);
    if (parseReplicaUnit(unit)?.agent !== agent) continue;
    out.push({ unit, node: rest.slice(slash + 1) });
  }
  return out;
}
