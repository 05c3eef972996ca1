/**
 * One replica mode per cluster (decision 2097): whether a scaled agent's replicas run across nodes
 * (decision 2093) or all on its owner (decision 2091) is a fact of the cluster, not of a node. A
 * node with the switch off never activates a unit `X#r<k>` that a node with it on sends mail to, so
 * a mixed cluster would leave that mail waiting until it is dead-lettered.
 *
 * The mode is kept in etcd (`<prefix>store/replica-mode`, no lease) by the first node to start. A
 * node whose setting differs is refused `cluster.replica-mode-mismatch` before it joins, unless no
 * node of the cluster is live (no `nodes/*` key): then it is the first node of a cluster started
 * again and records its own setting — how an operator changes the mode (stop every node, start
 * them with the new setting). Both writes are one compare-and-swap each: on the record's revision
 * and, for a change, on the `nodes/` range being empty, so a change cannot land while any node is
 * a member. Every join — the first and each rejoin after a lease loss — compares the record in
 * the transaction that writes `nodes/<id>` (EtcdRegistry's join guard), so a node whose mode is no
 * longer the record's never becomes a member again: not two first nodes racing on a stopped
 * cluster, not an old node rejoining after etcd was out past the lease TTL while a node with the
 * other setting started. Not closed: between `keepReplicaMode` and the join the node's Kafka
 * consumer already runs (it starts before placement); a node whose record is overwritten in that
 * window consumes in its mode until its join is refused and the start is undone.
 */

import { REGISTRY_CAS_ATTEMPTS } from '@caxton/core';
import type { IRangeResponse } from 'etcd3';
import { RegistryError } from '../errors.js';
import type { EtcdConnection } from './connection.js';
import type { KeyLayout } from './keys.js';

/** What the record holds: one word per mode, so `etcdctl get` reads as English. */
export type ReplicaMode = 'across-nodes' | 'on-owner';

export function replicaModeOf(acrossNodes: boolean): ReplicaMode {
  return acrossNodes ? 'across-nodes' : 'on-owner';
}

/** The kept value, read hostile: anything but the two words is shown cut short, never trusted as a mode. */
function shown(kept: string): string {
  return JSON.stringify(kept.slice(0, 32));
}

function flagOf(mode: string): string {
  return mode === 'across-nodes' ? '--replicas-across-nodes' : '--no-replicas-across-nodes';
}

export function replicaModeMismatch(prefix: string, kept: string, given: ReplicaMode, liveNodes?: number): RegistryError {
  const keptMode = kept === 'across-nodes' || kept === 'on-owner' ? kept : undefined;
  return new RegistryError(
    'cluster.replica-mode-mismatch',
    `the cluster (etcd prefix ${prefix}) runs replicas ${keptMode === undefined ? `in an unknown mode ${shown(kept)}` : keptMode === 'across-nodes' ? 'across nodes' : "on their agent's owner"}, this node was started with replicas ${given === 'across-nodes' ? 'across nodes' : 'on the owner'} (${flagOf(given)}): a node with another mode would send mail to replica units no other node activates, or leave theirs unactivated`,
    {
      context: { kept: kept.slice(0, 32), given, prefix, ...(liveNodes === undefined ? {} : { liveNodes }) },
      hint:
        keptMode === undefined
          ? `the record ${prefix}store/replica-mode holds neither "across-nodes" nor "on-owner": stop every node of the cluster and start them all with one setting (the first records it)`
          : `restart this node with ${flagOf(keptMode)} (the cluster's setting), or change the whole cluster: stop all ${liveNodes ?? 'the'} live node(s), then start every node with ${flagOf(given)} — the first node to start with no live member records the new mode (docs/cluster.md, decision 2097)`,
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
 * Records this node's mode if the cluster has none or has no live node; refuses it if the cluster
 * keeps another and a node is live. Called before the node joins (it is not yet a live node itself).
 */
export async function keepReplicaMode(connection: EtcdConnection, keys: KeyLayout, acrossNodes: boolean): Promise<KeptReplicaMode> {
  const mine = replicaModeOf(acrossNodes);
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
    if (kept !== undefined && live > 0) throw replicaModeMismatch(keys.prefix, kept, mine, live);
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
      hint: 'nodes are being started with different --replicas-across-nodes settings at once: start them with one setting',
    },
  );
}

/**
 * After the join: the record still holds this node's mode. The join's own compare already refuses
 * a changed record; this read is a second look for a node whose registry had no mode kept.
 * While this node holds its membership no other node can change the record (a change needs an
 * empty nodes/ range); once it loses it, its rejoin compares the record again.
 */
export async function verifyReplicaMode(connection: EtcdConnection, keys: KeyLayout, acrossNodes: boolean): Promise<void> {
  const mine = replicaModeOf(acrossNodes);
  const got = await connection.call('read the replica mode', () => connection.client.get(keys.replicaModeKey()).string());
  if (got === mine) return;
  const live = await connection.call('list the live nodes (a count)', () =>
    connection.client.getAll().prefix(keys.sectionPrefix('nodes')).count(),
  );
  throw replicaModeMismatch(keys.prefix, got ?? '', mine, live);
}
