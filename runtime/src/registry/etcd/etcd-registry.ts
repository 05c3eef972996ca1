/**
 * The cluster registry: state in etcd (layout in keys.ts), a watched local mirror on every node.
 *
 * Reads (get/list/search) are served from the mirror: no round trip, eventually consistent across
 * nodes (typically milliseconds behind), read-your-writes on the node that wrote. Writes go to etcd;
 * the DF operations are compare-and-swap transactions, so FIPA's register/modify/deregister rules
 * hold across nodes (two nodes registering the same agent: exactly one wins). DF lease-times become
 * etcd leases, so an expired registration disappears for every node even if its node died.
 * Agent timers are not mirrored: they are read from etcd when needed (timers.ts).
 * Consistency details and failure behaviour: docs/registry.md.
 */
import type { RegistryStore } from '../registry-store.js';
import type { AgentRecord, NodeAnnouncement, NodeRecord, RegistryEvent, TimerRecord } from '../../storage/records.js';
import type { DfAgentDescription, DfSearchTemplate, TopicSubscription } from '@caxton/core';
import { AGENT_NAME, REGISTRY_CAS_ATTEMPTS, type FixedPlacement } from '@caxton/core';
import { isLive, normaliseDescription } from '../df-match.js';
import { copyDescription, DfDirectory } from '../df-directory.js';
import { alreadyRegistered, notOpen, notRegistered, RegistryError } from '../errors.js';
import { Listeners } from '../listeners.js';
import { validateAgentRecord, validateNodeAnnouncement, validateTtl } from '../records.js';
import { EtcdConnection, type EtcdConnectionOptions } from './connection.js';
import { KeyLayout } from './keys.js';
import { EtcdMirror, type MirrorChange, type MirrorEntry } from './mirror.js';
import { EtcdMembership, type EtcdMembershipOptions, type StoredNode } from './membership.js';
import { EtcdTimers, type WakePartitioning } from './timers.js';
import { EtcdTopics } from './topics.js';
import {
  keepReplicaMode,
  REPLICA_MODE,
  replicaModeMismatch,
  verifyReplicaMode,
  type KeptReplicaMode,
  type ReplicaMode,
} from './replica-mode.js';
import { activeUnits, publishUnit, withdrawUnit, type ActiveUnit } from './replica-unit-presence.js';
import type { Lease } from 'etcd3';

export interface EtcdRegistryOptions extends Partial<EtcdConnectionOptions> {
  /** Key prefix, ending in '/'. Default '/caxton/'. Clusters sharing an etcd use different prefixes. */
  prefix?: string;
  /** Share an existing connection (the registry will not close it). Otherwise `endpoints` is required. */
  connection?: EtcdConnection;
  membership?: EtcdMembershipOptions;
  now?: () => number;
}

/** A change to the mirrored range, with the raw entries placement needs (create revision, lease). */
export type MirrorListener = (changes: readonly MirrorChange[]) => void;

/** Under the control prefix: `placement/<name>` (decision 2189). */
const PLACEMENT_SECTION = 'placement/';

/** Another writer's value is checked like input: a key that is no agent name is ignored (placed by its name). */
function parsePlacement(value: Buffer): FixedPlacement | undefined {
  try {
    const v = JSON.parse(value.toString('utf8')) as { key?: unknown; near?: unknown };
    if (typeof v.key !== 'string' || !AGENT_NAME.test(v.key)) return undefined;
    if (v.near !== undefined && (typeof v.near !== 'string' || v.near.length > 300)) return undefined;
    return typeof v.near === 'string' ? { key: v.key, near: v.near } : { key: v.key };
  } catch {
    return undefined;
  }
}

function parse<T>(entry: MirrorEntry | undefined): T | undefined {
  if (!entry) return undefined;
  try {
    return JSON.parse(entry.value.toString('utf8')) as T;
  } catch {
    return undefined; // a foreign or damaged value: treated as absent rather than crashing readers
  }
}

/** A stored description, checked like a new one: other writers (or versions) may have put it there. */
function parseDescription(entry: MirrorEntry | undefined, name: string): DfAgentDescription | undefined {
  const raw = parse<DfAgentDescription>(entry);
  if (!raw || raw.name?.name !== name) return undefined;
  try {
    return normaliseDescription(raw, Number.NEGATIVE_INFINITY);
  } catch {
    return undefined;
  }
}

export class EtcdRegistry implements RegistryStore {
  readonly connection: EtcdConnection;
  readonly keys: KeyLayout;
  private readonly ownsConnection: boolean;
  private readonly mirror: EtcdMirror;
  private readonly timers: EtcdTimers;
  private readonly topics: EtcdTopics;
  private readonly now: () => number;
  private readonly listeners = new Listeners<RegistryEvent>();
  private readonly rawListeners = new Listeners<readonly MirrorChange[]>();
  private readonly members = new Set<EtcdMembership>();
  /** This node's replica mode once kept (decision 2097): every join compares it. */
  private replicaMode: ReplicaMode | undefined;
  private readonly agents = new Map<string, AgentRecord>();
  /**
   * Each name's placement (decision 2189), from `control/placement/<name>`: written by the name's
   * first deploy `--near` another (and for that one, the root, by itself) and never removed, so its
   * key outlives an undeploy and a restart.
   */
  private readonly placements = new Map<string, FixedPlacement>();
  private readonly df = new DfDirectory();
  private readonly nodes = new Map<string, StoredNode>();
  private opened = false;

  constructor(private readonly opts: EtcdRegistryOptions) {
    this.now = opts.now ?? Date.now;
    this.keys = new KeyLayout(opts.prefix);
    this.ownsConnection = opts.connection === undefined;
    this.connection =
      opts.connection ??
      new EtcdConnection({ endpoints: opts.endpoints ?? [], callTimeoutMs: opts.callTimeoutMs, tls: opts.tls, auth: opts.auth });
    this.mirror = new EtcdMirror(this.connection, this.keys.mirrorRange(), (changes) => this.onMirror(changes));
    this.timers = new EtcdTimers(this.connection, this.keys);
    this.topics = new EtcdTopics(this.connection, this.keys);
  }

  async open(): Promise<void> {
    if (this.opened) return;
    await this.mirror.start();
    this.opened = true;
  }

  async close(): Promise<void> {
    if (!this.opened) return;
    this.opened = false;
    await Promise.all([...this.members].map((m) => m.leave()));
    await this.mirror.stop();
    if (this.ownsConnection) this.connection.close();
    this.listeners.clear();
    this.rawListeners.clear();
  }

  /** Revision of etcd the local mirror reflects, and whether its watch is live. */
  get mirrorStatus(): { revision: number; state: string } {
    return { revision: this.mirror.revision, state: this.mirror.state };
  }

  // --- deployments ---------------------------------------------------------------------------

  async putAgent(agent: AgentRecord): Promise<void> {
    this.requireOpen();
    const record = validateAgentRecord(agent);
    const key = this.keys.key('agents', record.name);
    const value = JSON.stringify(record);
    const res = await this.connection.call('store an agent', () => this.connection.client.put(key).value(value).exec());
    const rev = Number(res.header.revision);
    const prev = this.mirror.get(key);
    this.mirror.applyLocal(
      key,
      { key, value: Buffer.from(value), createRevision: prev?.createRevision ?? rev, modRevision: rev, lease: '0' },
      rev,
    );
  }

  async getAgent(name: string): Promise<AgentRecord | undefined> {
    this.requireOpen();
    const a = this.agents.get(name);
    return a && structuredClone(a);
  }

  /** Is the stored record of `name` a kind (decision 2060)? Synchronous, from the mirror: placement asks while it plans. */
  isKindRecord(name: string): boolean {
    return this.agents.get(name)?.kind !== undefined;
  }

  /**
   * The placement key fixed for `name` (decision 2189), from the mirror; undefined when none is
   * (placed by its name). The mirror applies placements BEFORE it tells any listener, so
   * placement, which plans on the raw change, already sees the key.
   */
  placementKeyOf(name: string): string | undefined {
    return this.placements.get(name)?.key;
  }

  /** The placement fixed for `name` (decision 2189), from the mirror; undefined: none recorded. */
  placementOf(name: string): FixedPlacement | undefined {
    const p = this.placements.get(name);
    return p === undefined ? undefined : { ...p };
  }

  /** The placement fixed for `name`, read from etcd itself (not the mirror, which may lag), and applied to the mirror; undefined: none. */
  async readPlacement(name: string): Promise<FixedPlacement | undefined> {
    this.requireOpen();
    const key = this.placementKey(name);
    const { connection } = this;
    const res = await connection.call(`read the placement of ${name}`, () => connection.client.get(key).exec());
    const held = res.kvs[0];
    return held === undefined ? undefined : this.heldPlacement(name, key, held);
  }

  /**
   * Fixes `name`'s placement unless one is recorded already (an etcd transaction: the first wins,
   * on whichever node), and only while no record of the agent `name` exists (`whileUndeployed`:
   * a deploy racing a running deployment of the name through another node's lagging mirror never
   * moves it); returns the placement that holds now, or undefined when the agent's record exists.
   * Never removed: a name's deliveries and state stay in its key's partition for as long as
   * anything of it remains.
   */
  async fixPlacement(name: string, wanted: FixedPlacement, whileUndeployed = false): Promise<FixedPlacement | undefined> {
    this.requireOpen();
    const key = this.placementKey(name);
    const agent = this.keys.key('agents', name);
    const value = JSON.stringify({ ...wanted, at: Date.now() });
    const { connection } = this;
    const res = await connection.call(`fix the placement of ${name}`, () => {
      const txn = connection.client.if(key, 'Create', '==', 0);
      if (whileUndeployed) txn.and(agent, 'Create', '==', 0);
      return txn.then(connection.client.put(key).value(value)).else(connection.client.get(key), connection.client.get(agent)).commit();
    });
    const revision = Number(res.header.revision);
    if (res.succeeded) {
      this.mirrorApply(key, { key, value: Buffer.from(value), createRevision: revision, modRevision: revision, lease: '0' }, revision);
      return { ...wanted };
    }
    const held = res.responses[0]?.response_range?.kvs[0];
    if (held !== undefined) return this.heldPlacement(name, key, held);
    if ((res.responses[1]?.response_range?.kvs.length ?? 0) > 0) return undefined;
    throw new RegistryError('registry.etcd-failed', `the placement of ${name} was neither written nor found`, {
      context: { agent: name },
      hint: 'etcd answered a transaction inconsistently: deploy again',
    });
  }

  private placementKey(name: string): string {
    return `${this.keys.controlPrefix()}${PLACEMENT_SECTION}${name}`;
  }

  /** A placement read from etcd: checked like input, and applied to the mirror so this node places by it at once. */
  private heldPlacement(
    name: string,
    key: string,
    kv: { value: Buffer; create_revision: string; mod_revision: string; lease: string },
  ): FixedPlacement {
    const fixed = parsePlacement(kv.value);
    if (fixed === undefined)
      throw new RegistryError('registry.corrupt', `the placement recorded for ${name} in etcd is not readable`, {
        context: { agent: name, key },
        hint: `another writer left it; remove the key ${key} with etcdctl once nothing of ${name} remains, then deploy again`,
      });
    const revision = Number(kv.mod_revision);
    this.mirrorApply(
      key,
      { key, value: kv.value, createRevision: Number(kv.create_revision), modRevision: revision, lease: String(kv.lease) },
      revision,
    );
    return fixed;
  }

  async listAgents(): Promise<AgentRecord[]> {
    this.requireOpen();
    return [...this.agents.values()].sort((a, b) => (a.name < b.name ? -1 : 1)).map((a) => structuredClone(a));
  }

  /**
   * Compare-and-swap on one agent record (decision 2091, review finding 1): reads the LIVE record
   * from etcd (not the mirror, which may lag another node's delete or upgrade), lets `decide` build
   * the next record from it, and writes only if nobody changed the key in between (mod_revision
   * compare); on a lost compare it reads and decides again. `decide` sees `undefined` for an absent
   * record; it returns `undefined` to write nothing, or throws to refuse. Resolves to the record
   * written (or `undefined` when nothing was).
   */
  async updateAgent(name: string, decide: (current: AgentRecord | undefined) => AgentRecord | undefined): Promise<AgentRecord | undefined> {
    this.requireOpen();
    const { client } = this.connection;
    const key = this.keys.key('agents', name);
    for (let attempt = 1; ; attempt++) {
      const read = await this.connection.call('read an agent', () => client.get(key).exec());
      const kv = read.kvs[0];
      const stored = kv ? parse<AgentRecord>({ key, value: kv.value, createRevision: 0, modRevision: 0, lease: '0' }) : undefined;
      const decided = decide(stored && structuredClone(stored));
      if (decided === undefined) return undefined;
      const next = validateAgentRecord(decided);
      const value = JSON.stringify(next);
      const modRevision = kv ? Number(kv.mod_revision) : 0;
      const res = await this.connection.call('update an agent', () =>
        client.if(key, 'Mod', '==', modRevision).then(client.put(key).value(value)).commit(),
      );
      if (res.succeeded) {
        const rev = Number(res.header.revision);
        this.mirror.applyLocal(
          key,
          { key, value: Buffer.from(value), createRevision: kv ? Number(kv.create_revision) : rev, modRevision: rev, lease: '0' },
          rev,
        );
        return structuredClone(next);
      }
      if (attempt >= REGISTRY_CAS_ATTEMPTS.agentRecord) {
        throw this.connection.failure('update an agent', new Error(`${attempt} concurrent-update conflicts on ${key}`));
      }
    }
  }

  async deleteAgent(name: string): Promise<void> {
    this.requireOpen();
    const key = this.keys.key('agents', name);
    const res = await this.connection.call('delete an agent', () => this.connection.client.delete().key(key).exec());
    this.mirror.applyLocal(key, undefined, Number(res.header.revision));
  }

  // --- directory facilitator: compare-and-swap on the stored description ---------------------

  async registerDf(description: DfAgentDescription): Promise<void> {
    this.requireOpen();
    const d = normaliseDescription(description, this.now());
    await this.casDf(d.name.name, (current) => {
      if (current) throw alreadyRegistered(d.name.name);
      return d;
    });
  }

  async modifyDf(description: DfAgentDescription): Promise<void> {
    this.requireOpen();
    const d = normaliseDescription(description, this.now());
    await this.casDf(d.name.name, (current) => {
      if (!current) throw notRegistered(d.name.name);
      return d;
    });
  }

  async deregisterDf(agentName: string): Promise<void> {
    this.requireOpen();
    await this.casDf(agentName, (current) => {
      if (!current) throw notRegistered(agentName);
      return undefined;
    });
  }

  async searchDf(template: DfSearchTemplate, limit?: number): Promise<DfAgentDescription[]> {
    this.requireOpen();
    return this.df.search(template, this.now(), limit);
  }

  /**
   * Reads the stored description from etcd (not the mirror: the decision must be current), lets
   * `decide` check FIPA's rule against its LIVE value, and writes only if nobody changed the key in
   * between (mod_revision compare). An expired description still in etcd counts as absent.
   */
  private async casDf(agent: string, decide: (current: DfAgentDescription | undefined) => DfAgentDescription | undefined): Promise<void> {
    const { client } = this.connection;
    const key = this.keys.key('df', agent);
    for (let attempt = 1; ; attempt++) {
      const read = await this.connection.call('read a DF entry', () => client.get(key).exec());
      const kv = read.kvs[0];
      const stored = kv ? parse<DfAgentDescription>({ key, value: kv.value, createRevision: 0, modRevision: 0, lease: '0' }) : undefined;
      const next = decide(stored && isLive(stored, this.now()) ? stored : undefined);
      const modRevision = kv ? Number(kv.mod_revision) : 0;
      const oldLease = kv ? String(kv.lease) : '0';
      const lease = next?.leaseUntil !== undefined ? await this.grantDfLease(next.leaseUntil) : undefined;
      const value = next && JSON.stringify(next);
      const write =
        value !== undefined ? (lease ? client.put(key).value(value).lease(lease) : client.put(key).value(value)) : client.delete().key(key);
      const res = await this.connection.call('write a DF entry', () => client.if(key, 'Mod', '==', modRevision).then(write).commit());
      // Refused: but the key may hold exactly what this write wrote — it committed, and the etcd
      // client sent it again after its answer timed out, the retry finding the revision it had moved.
      // Revoking its lease then would delete the entry it just wrote.
      const landed = res.succeeded ? undefined : await this.landedDf(key, value, lease);
      if (res.succeeded || landed !== undefined) {
        const rev = landed ?? Number(res.header.revision);
        const entry =
          value === undefined
            ? undefined
            : {
                key,
                value: Buffer.from(value),
                createRevision: kv ? Number(kv.create_revision) : rev,
                modRevision: rev,
                lease: lease ?? '0',
              };
        this.mirror.applyLocal(key, entry, rev);
        if (oldLease !== '0') void this.revokeQuietly(oldLease);
        return;
      }
      if (lease) void this.revokeQuietly(lease);
      if (attempt >= REGISTRY_CAS_ATTEMPTS.dfEntry) {
        throw this.connection.failure('update a DF entry', new Error(`${attempt} concurrent-update conflicts on ${key}`));
      }
    }
  }

  /**
   * The revision at which `key` holds `value` under `lease` (absent, for a delete) now, or undefined
   * if it holds anything else: whether a DF write the compare refused had committed after all.
   */
  private async landedDf(key: string, value: string | undefined, lease: string | undefined): Promise<number | undefined> {
    const read = await this.connection.call('read a DF entry', () => this.connection.client.get(key).exec());
    const kv = read.kvs[0];
    if (value === undefined) return kv === undefined ? Number(read.header.revision) : undefined;
    if (kv === undefined || kv.value.toString('utf8') !== value || String(kv.lease) !== (lease ?? '0')) return undefined;
    return Number(kv.mod_revision);
  }

  /** etcd deletes the entry a second after its lease-time; reads filter by leaseUntil meanwhile. */
  private async grantDfLease(leaseUntil: number): Promise<string> {
    const ttl = Math.max(1, Math.ceil((leaseUntil - this.now()) / 1000) + 1);
    const res = await this.connection.call('grant a DF lease', () =>
      this.connection.client.leaseClient.leaseGrant({ TTL: ttl }, { deadline: this.connection.deadline() }),
    );
    return String(res.ID);
  }

  private async revokeQuietly(lease: string): Promise<void> {
    await this.connection.client.leaseClient.leaseRevoke({ ID: lease }, { deadline: this.connection.deadline() }).catch(() => undefined);
  }

  // --- agent timers: shared cluster state, read from etcd (not the mirror) -------------------

  async putTimer(timer: TimerRecord): Promise<void> {
    this.requireOpen();
    await this.timers.put(timer);
  }

  async deleteTimer(agent: string, id: string): Promise<void> {
    this.requireOpen();
    await this.timers.delete(agent, id);
  }

  async deleteTimers(agent: string): Promise<void> {
    this.requireOpen();
    await this.timers.deleteAll(agent);
  }

  async deleteKindTimers(kind: string): Promise<void> {
    this.requireOpen();
    await this.timers.deleteKind(kind);
  }

  async listTimers(agent: string): Promise<TimerRecord[]> {
    this.requireOpen();
    return this.timers.list(agent);
  }

  kindTimersDue(kind: string, pageSize: number): AsyncIterable<Array<{ name: string; dueAt: number }>> {
    this.requireOpen();
    return this.timers.kindDue(kind, pageSize);
  }

  /**
   * A Kafka cluster: instance timers keep a wake per partition from now on, and the timer table
   * stored before is swept into the index once (decision 2060, 2026-11-24 *Wake index*). Call it
   * before any timer is written through this registry: the partitioning is taken at once, the
   * sweep runs as the returned promise.
   */
  indexWakes(partitioning: WakePartitioning): Promise<{ enabled: boolean; swept: number }> {
    this.requireOpen();
    return this.timers.indexWakes(partitioning);
  }

  wakesReady(): boolean {
    return this.timers.wakesReady();
  }

  partitionWakesDue(partition: number, kind: string, pageSize: number): AsyncIterable<Array<{ name: string; dueAt: number }>> {
    this.requireOpen();
    return this.timers.partitionDue(partition, kind, pageSize);
  }

  // --- topic subscriptions: shared cluster state, read from etcd at send time (decision 1960) ---

  async putSubscription(subscription: TopicSubscription): Promise<void> {
    this.requireOpen();
    await this.topics.put(subscription);
  }

  async deleteSubscription(agent: string, topic: string): Promise<void> {
    this.requireOpen();
    await this.topics.delete(agent, topic);
  }

  async deleteSubscriptions(agent: string): Promise<void> {
    this.requireOpen();
    await this.topics.deleteAll(agent);
  }

  async listSubscriptions(topic?: string): Promise<TopicSubscription[]> {
    this.requireOpen();
    return this.topics.list(topic);
  }

  // --- membership ----------------------------------------------------------------------------

  /**
   * The cluster's platform name (decision 1910): the first node to start keeps its name in etcd
   * (`<prefix>store/platform`, outside the mirrored range); a node started with another is refused
   * `cluster.platform-changed` before it joins. Its members' messages, outbox records and directory
   * entries name agents `<name>@<platform>`: a member under another name would take the others'
   * agents for a peer platform's.
   */
  /** The platform name the cluster's first node kept (keepPlatform), read only; undefined when none was. */
  async keptPlatform(): Promise<string | undefined> {
    const key = this.keys.platformKey();
    const client = this.connection.client;
    const value = await this.connection.call('read the platform name', () => client.get(key).string());
    return value ?? undefined;
  }

  async keepPlatform(platform: string): Promise<void> {
    this.requireOpen();
    const key = this.keys.platformKey();
    const client = this.connection.client;
    const res = await this.connection.call('keep the platform name', () =>
      client.if(key, 'Create', '==', 0).then(client.put(key).value(platform)).else(client.get(key)).commit(),
    );
    if (res.succeeded) return;
    const kept = res.responses[0]?.response_range?.kvs[0]?.value?.toString('utf8');
    if (kept === undefined || kept === platform) return;
    throw new RegistryError(
      'cluster.platform-changed',
      `the cluster (etcd prefix ${this.keys.prefix}) is platform ${JSON.stringify(kept.slice(0, 128))}, not ${JSON.stringify(platform)}: its messages and records name its agents <name>@${kept.slice(0, 128)}`,
      {
        context: { kept: kept.slice(0, 128), given: platform, prefix: this.keys.prefix },
        hint: `start this node with --platform ${kept.slice(0, 128)} (every node of a cluster uses the name its first node started with), or run platform ${platform} as a cluster of its own (another cluster name, so another etcd prefix)`,
      },
    );
  }

  /** The cluster's replica mode (decisions 2097, 2168, replica-mode.ts): kept before this node joins. */
  async keepReplicaMode(): Promise<KeptReplicaMode> {
    this.requireOpen();
    const kept = await keepReplicaMode(this.connection, this.keys);
    this.replicaMode = REPLICA_MODE;
    return kept;
  }

  /**
   * Once the mode is kept, every join (the first and each rejoin after a lease loss) compares the
   * record in the transaction that writes nodes/<id>: a record changed while this node was out
   * (no member live, a node of an older version started and recorded on-owner) refuses the rejoin.
   */
  private modeGuard(): Pick<EtcdMembershipOptions, 'joinsOnlyIf'> {
    const mode = this.replicaMode;
    if (mode === undefined) return {};
    return {
      joinsOnlyIf: {
        key: this.keys.replicaModeKey(),
        value: mode,
        refuse: (held) => replicaModeMismatch(this.keys.prefix, held ?? ''),
      },
    };
  }

  /** After the join: the record still holds this node's mode (the race of two first nodes, replica-mode.ts). */
  async verifyReplicaMode(): Promise<void> {
    this.requireOpen();
    await verifyReplicaMode(this.connection, this.keys);
  }

  /** A replica unit is active on `node` (decision 2097): kept under the node's membership lease. */
  async publishReplicaUnit(lease: Lease, unit: string, node: string): Promise<void> {
    this.requireOpen();
    await publishUnit(this.connection, this.keys, lease, unit, node);
  }

  async withdrawReplicaUnit(unit: string, node: string): Promise<void> {
    this.requireOpen();
    await withdrawUnit(this.connection, this.keys, unit, node);
  }

  /** Agent X's replica units active on any live node. */
  async activeReplicaUnits(agent: string): Promise<ActiveUnit[]> {
    this.requireOpen();
    return activeUnits(this.connection, this.keys, agent);
  }

  async joinCluster(node: NodeAnnouncement, ttlSeconds: number): Promise<EtcdMembership> {
    this.requireOpen();
    validateNodeAnnouncement(node);
    validateTtl(ttlSeconds);
    const m = await EtcdMembership.join(
      this.connection,
      this.keys,
      node,
      ttlSeconds,
      { now: this.now, ...this.opts.membership, ...this.modeGuard() },
      (gone) => this.members.delete(gone),
    );
    this.members.add(m);
    return m;
  }

  async listNodes(): Promise<NodeRecord[]> {
    this.requireOpen();
    return [...this.nodes.values()].sort((a, b) => (a.id < b.id ? -1 : 1)).map(({ lease: _lease, ...n }) => n);
  }

  watch(listener: (event: RegistryEvent) => void): () => void {
    return this.listeners.add(listener);
  }

  /** Raw changes to the mirrored range (all sections, with revisions and leases), for placement. */
  watchRaw(listener: MirrorListener): () => void {
    return this.rawListeners.add(listener);
  }

  /** Mirrored entries of one section, raw; for placement (ownership claims). */
  entries(section: 'owners' | 'nodes' | 'agents' | 'df'): MirrorEntry[] {
    return [...this.mirror.withPrefix(this.keys.sectionPrefix(section))];
  }

  /** Mirrored entries under a raw key prefix (e.g. the kill switch's `control/`). */
  entriesUnder(prefix: string): MirrorEntry[] {
    return [...this.mirror.withPrefix(prefix)];
  }

  /**
   * Records the effect of a write made on this registry's connection (e.g. a placement claim) in
   * the mirror at once, so this node reads its own write before the watch echoes it back.
   */
  mirrorApply(key: string, entry: MirrorEntry | undefined, revision: number): void {
    this.mirror.applyLocal(key, entry, revision);
  }

  /** Waits until the mirror's watch is live (after an etcd outage); for readiness checks and tests. */
  async settled(): Promise<void> {
    await this.mirror.settled();
  }

  // --- internals -----------------------------------------------------------------------------

  private requireOpen(): void {
    if (!this.opened) throw notOpen('etcd registry');
  }

  private onMirror(changes: MirrorChange[]): void {
    const events: RegistryEvent[] = [];
    const placementPrefix = `${this.keys.controlPrefix()}${PLACEMENT_SECTION}`;
    for (const c of changes) {
      if (c.key.startsWith(placementPrefix)) {
        // Applied before any listener runs: placement, which plans on the raw change, sees the key.
        const placed = c.entry === undefined ? undefined : parsePlacement(c.entry.value);
        const agent = c.key.slice(placementPrefix.length);
        if (placed) this.placements.set(agent, placed);
        else this.placements.delete(agent);
        continue;
      }
      const parsed = this.keys.parse(c.key);
      if (!parsed) continue;
      const { section, name } = parsed;
      if (section === 'agents') {
        const a = parse<AgentRecord>(c.entry);
        if (a) this.agents.set(name, a);
        else this.agents.delete(name);
        events.push(a ? { kind: 'agent-put', agent: structuredClone(a) } : { kind: 'agent-deleted', name });
      } else if (section === 'df') {
        const d = parseDescription(c.entry, name);
        if (d) this.df.set(d);
        else this.df.delete(name);
        events.push({ kind: 'service-changed', agentName: name, description: d && copyDescription(d) });
      } else if (section === 'nodes') {
        const n = parse<StoredNode>(c.entry);
        if (n) this.nodes.set(name, n);
        else this.nodes.delete(name);
        if (n && !c.previous)
          events.push({ kind: 'node-up', node: { id: n.id, address: n.address, startedAt: n.startedAt, lastSeen: n.lastSeen } });
        if (!n && c.previous) events.push({ kind: 'node-down', id: name });
      }
    }
    this.rawListeners.emit(changes);
    for (const e of events) this.listeners.emit(e);
  }
}
