/**
 * One replica mode per cluster (decisions 2097, 2168). A scaled agent's workers run across nodes
 * (decision 2093): worker k ≥ 2 is the unit `X#r<k>`, activated by the node that consumes its
 * partition. Before decision 2168 a cluster could instead run every replica on the agent's owner
 * (`on-owner`, decision 2091); a node of that kind never activates a unit that this node sends mail
 * to, so a cluster mixing the two would leave that mail waiting until it is dead-lettered.
 *
 * The mode is kept in etcd (`<prefix>store/replica-mode`, no lease). This version knows only
 * `across-nodes`: it records it where none is kept, and where an older version kept `on-owner` it
 * replaces it only while no node of the cluster is live (no `nodes/*` key) — otherwise the node is
 * refused `cluster.replica-mode-mismatch` before it joins, with how to upgrade (stop every node,
 * start them on this version). Both writes are one compare-and-swap each: on the record's revision
 * and, for a change, on the `nodes/` range being empty, so a change cannot land while any node is a
 * member. Every join — the first and each rejoin after a lease loss — compares the record in the
 * transaction that writes `nodes/<id>` (EtcdRegistry's join guard), so this node never becomes a
 * member beside a node that recorded `on-owner` after it started (an older version started on a
 * stopped cluster while this node was out past its lease). Not closed: between `keepReplicaMode`
 * and the join the node's Kafka consumer already runs (it starts before placement); a node whose
 * record is overwritten in that window consumes until its join is refused and the start is undone.
 */

import { REGISTRY_CAS_ATTEMPTS } from '@caxton/core';
import type { IRangeResponse } from 'etcd3';
import { RegistryError } from '../errors.js';
import type { EtcdConnection } from './connection.js';
import type { KeyLayout } from './keys.js';

/** What the record holds: one word per mode, so `etcdctl get` reads as English. This version runs only `across-nodes`. */
export type ReplicaMode = 'across-nodes';
export const REPLICA_MODE: ReplicaMode = 'across-nodes';
/** The word an older version (before decision 2168) records for replicas on the agent's owner. */
const ON_OWNER = 'on-owner';

/** The kept value, read hostile: anything but the two words is shown cut short, never trusted as a mode. */
function shown(kept: string): string {
  return JSON.stringify(kept.slice(0, 32));
}

export function replicaModeMismatch(prefix: string, kept: string, liveNodes?: number): RegistryError {
  const known = kept === ON_OWNER;
  return new RegistryError(
    'cluster.replica-mode-mismatch',
    `the cluster (etcd prefix ${prefix}) runs replicas ${known ? "on their agent's owner (recorded by a node of a version before decision 2168)" : `in an unknown mode ${shown(kept)}`}, and this node runs a scaled agent's workers across nodes: the two would send mail to replica units the other never activates`,
    {
      context: { kept: kept.slice(0, 32), given: REPLICA_MODE, prefix, ...(liveNodes === undefined ? {} : { liveNodes }) },
      hint: known
        ? `upgrade the whole cluster at once: stop all ${liveNodes ?? 'the'} live node(s), then start every node on this version — the first node to start with no live member records across-nodes (docs/cluster.md, decision 2168); or start this node on the cluster's older version`
        : `the record ${prefix}store/replica-mode holds neither "across-nodes" nor "on-owner": stop every node of the cluster and start them again (the first records across-nodes)`,
    },
  );
}

function firstValue(range: IRangeResponse | undefined): string | undefined {
  return range?.kvs[0]?.value.toString('utf8');
}

/** What keeping the mode did: `changedFrom` is the record this node replaced (shown cut short), for the caller's log. */
export interface KeptReplicaMode {
  mode: ReplicaMode;
  changedFrom?: string;
}

/**
 * Records across-nodes if the cluster keeps no mode or has no live node; refuses the node if the
 * cluster keeps another and a node is live. Called before the node joins (it is not yet a live node itself).
 */
export async function keepReplicaMode(connection: EtcdConnection, keys: KeyLayout): Promise<KeptReplicaMode> {
  const mine = REPLICA_MODE;
  const key = Buffer.from(keys.replicaModeKey());
  const nodesStart = keys.sectionPrefix('nodes');
  // '0' is the byte after '/': [nodes/, nodes0) is every member's key.
  const nodes = { key: Buffer.from(nodesStart), range_end: Buffer.from(`${nodesStart.slice(0, -1)}0`) };
  const readBoth = [{ request_range: { key } }, { request_range: { ...nodes, count_only: true } }];
  let state = await connection.call('read the replica mode', () => connection.client.kv.txn({ success: readBoth }));
  for (let attempt = 0; attempt < REGISTRY_CAS_ATTEMPTS.replicaMode; attempt++) {
    const record = state.responses[0]?.response_range;
    const kept = firstValue(record);
    if (kept === mine) return { mode: mine };
    const live = Number(state.responses[1]?.response_range.count ?? 0);
    if (kept !== undefined && live > 0) throw replicaModeMismatch(keys.prefix, kept, live);
    const modRevision = record?.kvs[0]?.mod_revision ?? 0;
    state = await connection.call('write the replica mode', () =>
      connection.client.kv.txn({
        compare: [
          { key, target: 'Mod', result: 'Equal', mod_revision: modRevision },
          // A change (not the first record) only while no node is a member: every member's key
          // has a create revision above 0, an empty range compares as one key that has none.
          ...(kept === undefined ? [] : [{ ...nodes, target: 'Create' as const, result: 'Equal' as const, create_revision: 0 }]),
        ],
        success: [{ request_put: { key, value: Buffer.from(mine) } }],
        failure: readBoth,
      }),
    );
    if (state.succeeded) return kept === undefined ? { mode: mine } : { mode: mine, changedFrom: shown(kept) };
  }
  throw new RegistryError(
    'registry.unavailable',
    `the cluster's replica mode (etcd prefix ${keys.prefix}) changed under this node ${REGISTRY_CAS_ATTEMPTS.replicaMode} times while it started`,
    {
      context: { prefix: keys.prefix, given: mine },
      hint: 'nodes of different versions are being started at once (one before decision 2168 records on-owner): start every node on one version',
    },
  );
}

/**
 * After the join: the record still holds this node's mode. The join's own compare already refuses
 * a changed record; this read is a second look for a node whose registry had no mode kept.
 * While this node holds its membership no other node can change the record (a change needs an
 * empty nodes/ range); once it loses it, its rejoin compares the record again.
 */
export async function verifyReplicaMode(connection: EtcdConnection, keys: KeyLayout): Promise<void> {
  const mine = REPLICA_MODE;
  const got = await connection.call('read the replica mode', () => connection.client.get(keys.replicaModeKey()).string());
  if (got === mine) return;
  const live = await connection.call('list the live nodes (a count)', () =>
    connection.client.getAll().prefix(keys.sectionPrefix('nodes')).count(),
  );
  throw replicaModeMismatch(keys.prefix, got ?? '', live);
}
