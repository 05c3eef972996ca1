/**
 * The default registry: one node, durable on local disk.
 *
 * Storage (see docs/decisions/0700-embedded-registry-journal.md): `<dir>/snapshot` (a checksummed
 * frame, replaced atomically) plus `<dir>/journal-<generation>.log`, an append-only list of
 * group-committed, checksummed mutation batches applied on top of it. When the journal grows past
 * `compactAfterBytes` the state is written as a new snapshot and a new journal generation begins.
 * Writes are fsynced before they are acknowledged; a torn final write is truncated on open.
 *
 * Mutations are applied in memory when called (so register/register races are decided in call
 * order) and acknowledged, and announced to watchers, once durable. A failed fsync latches the store
 * into refusing writes: memory may then be ahead of disk and only a restart re-derives the truth.
 */
import { mkdir, readFile, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { RegistryStore } from '../registry-store.js';
import type { AgentRecord, Membership, NodeAnnouncement, NodeRecord, RegistryEvent, TimerRecord } from '../../storage/records.js';
import { TOPIC_LIMITS, type DfAgentDescription, type DfSearchTemplate, type TopicSubscription } from '@caxton/core';
import { isLive, normaliseDescription } from '../df-match.js';
import { alreadyRegistered, notOpen, notRegistered, RegistryError } from '../errors.js';
import { Listeners } from '../listeners.js';
import {
  byDueTime,
  validateAgentRecord,
  validateNodeAnnouncement,
  validateTimerRecord,
  validateTopicSubscription,
  validateTtl,
} from '../records.js';
import { tooManySubscriptions } from '../topic-table.js';
import { encodeFrame, scanFrames } from './framing.js';
import { JournalWriter, recoverJournal } from './journal.js';
import { isTempFile, syncDir, writeFileAtomic } from './durable-fs.js';
import { parseSnapshot, RegistryState, type Mutation } from './registry-state.js';
import { EmbeddedMembership } from './embedded-membership.js';

export interface EmbeddedRegistryOptions {
  /** Directory holding the registry files; created if missing. One registry per directory. */
  dir: string;
  /** Snapshot and start a new journal once the journal exceeds this size. Default 4 MiB. */
  compactAfterBytes?: number;
  /** Clock (ms since epoch), for lease expiry. Default Date.now. */
  now?: () => number;
}

export interface EmbeddedRecovery {
  generation: number;
  /** Mutations replayed from the journal on top of the snapshot. */
  replayedMutations: number;
  /** Bytes of a torn final journal write that were dropped. */
  droppedBytes: number;
}

const SNAPSHOT = 'snapshot';
const journalName = (generation: number): string => `journal-${generation}.log`;
const JOURNAL_RE = /^journal-(\d+)\.log$/;
/** setTimeout's ceiling; leases further out are re-armed when the timer fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class EmbeddedRegistry implements RegistryStore {
  private readonly dir: string;
  private readonly compactAfterBytes: number;
  private readonly now: () => number;
  private state = new RegistryState();
  private writer: JournalWriter | undefined;
  private generation = 0;
  private compacting: Promise<void> | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  private readonly listeners = new Listeners<RegistryEvent>();
  private readonly members = new Map<string, EmbeddedMembership>();
  private recoveryInfo: EmbeddedRecovery | undefined;

  constructor(opts: EmbeddedRegistryOptions) {
    this.dir = opts.dir;
    this.compactAfterBytes = opts.compactAfterBytes ?? 4 * 1024 * 1024;
    this.now = opts.now ?? Date.now;
  }

  /** What open() found on disk; undefined before open. */
  get recovery(): EmbeddedRecovery | undefined {
    return this.recoveryInfo;
  }

  async open(): Promise<void> {
    if (this.writer) return;
    await mkdir(this.dir, { recursive: true });
    const { state, generation } = await this.loadSnapshot();
    await this.removeLeftovers(generation);
    const journalPath = join(this.dir, journalName(generation));
    const { mutations, droppedBytes } = await recoverJournal(journalPath);
    for (const m of mutations) state.apply(m);
    this.state = state;
    this.generation = generation;
    this.writer = await JournalWriter.open(journalPath);
    await syncDir(this.dir);
    this.recoveryInfo = { generation, replayedMutations: mutations.length, droppedBytes };
    this.armLeaseTimer();
  }

  async close(): Promise<void> {
    const writer = this.writer;
    if (!writer) return;
    this.writer = undefined;
    clearTimeout(this.leaseTimer);
    for (const m of [...this.members.values()]) m.end();
    await this.compacting?.catch(() => undefined);
    await writer.close();
    this.listeners.clear();
  }

  // --- deployments ---------------------------------------------------------------------------

  async putAgent(agent: AgentRecord): Promise<void> {
    await this.commit([{ op: 'agent-put', agent: validateAgentRecord(agent) }]);
  }

  /**
   * Compare-and-swap on one record: `decide` sees the record as it is and its answer is applied in
   * the same turn (the state changes before the journal append is awaited), so no other write can
   * come between the read and the write. Undefined from `decide`: nothing written.
   */
  async updateAgent(name: string, decide: (current: AgentRecord | undefined) => AgentRecord | undefined): Promise<AgentRecord | undefined> {
    this.requireOpen();
    const current = this.state.agents.get(name);
    const next = decide(current && structuredClone(current));
    if (next === undefined) return undefined;
    const valid = validateAgentRecord(next);
    await this.commit([{ op: 'agent-put', agent: valid }]);
    return structuredClone(valid);
  }

  async getAgent(name: string): Promise<AgentRecord | undefined> {
    this.requireOpen();
    const a = this.state.agents.get(name);
    return a && structuredClone(a);
  }

  async listAgents(): Promise<AgentRecord[]> {
    this.requireOpen();
    return [...this.state.agents.values()].sort((a, b) => (a.name < b.name ? -1 : 1)).map((a) => structuredClone(a));
  }

  /** Idempotent: deleting an unknown agent is not an error (undeploy may be retried). */
  async deleteAgent(name: string): Promise<void> {
    this.requireOpen();
    if (!this.state.agents.has(name)) return;
    await this.commit([{ op: 'agent-del', name }]);
  }

  // --- directory facilitator -----------------------------------------------------------------

  async registerDf(description: DfAgentDescription): Promise<void> {
    this.requireOpen();
    const d = normaliseDescription(description, this.now());
    if (this.liveDescription(d.name.name)) throw alreadyRegistered(d.name.name);
    await this.commit([{ op: 'df-put', description: d }]);
  }

  async modifyDf(description: DfAgentDescription): Promise<void> {
    this.requireOpen();
    const d = normaliseDescription(description, this.now());
    if (!this.liveDescription(d.name.name)) throw notRegistered(d.name.name);
    await this.commit([{ op: 'df-put', description: d }]);
  }

  async deregisterDf(agentName: string): Promise<void> {
    this.requireOpen();
    if (!this.liveDescription(agentName)) throw notRegistered(agentName);
    await this.commit([{ op: 'df-del', name: agentName }]);
  }

  async searchDf(template: DfSearchTemplate, limit?: number): Promise<DfAgentDescription[]> {
    this.requireOpen();
    return this.state.df.search(template, this.now(), limit);
  }

  // --- agent timers --------------------------------------------------------------------------

  async putTimer(timer: TimerRecord): Promise<void> {
    await this.commit([{ op: 'timer-put', timer: validateTimerRecord(timer, true) }]);
  }

  async deleteTimer(agent: string, id: string): Promise<void> {
    this.requireOpen();
    if (!this.state.timers.get(agent)?.has(id)) return;
    await this.commit([{ op: 'timer-del', agent, id }]);
  }

  async deleteTimers(agent: string): Promise<void> {
    this.requireOpen();
    if (!this.state.timers.has(agent)) return;
    await this.commit([{ op: 'timers-del', agent }]);
  }

  async listTimers(agent: string): Promise<TimerRecord[]> {
    this.requireOpen();
    return [...(this.state.timers.get(agent)?.values() ?? [])].sort(byDueTime).map((t) => ({ ...t }));
  }

  async nextDuePerAgent(matches: (agent: string) => boolean): Promise<Array<{ name: string; dueAt: number }>> {
    this.requireOpen();
    const out: Array<{ name: string; dueAt: number }> = [];
    for (const [agent, mine] of this.state.timers) {
      if (!matches(agent)) continue;
      let dueAt = Infinity;
      for (const t of mine.values()) dueAt = Math.min(dueAt, t.dueAt);
      if (dueAt !== Infinity) out.push({ name: agent, dueAt });
    }
    return out;
  }

  // --- topic subscriptions (decision 1960) ----------------------------------------------------

  async putSubscription(subscription: TopicSubscription): Promise<void> {
    this.requireOpen();
    const sub = validateTopicSubscription(subscription);
    if (!this.state.topics.has(sub.agent, sub.topic) && this.state.topics.count(sub.agent) >= TOPIC_LIMITS.maxSubscriptionsPerAgent)
      throw tooManySubscriptions(sub.agent);
    await this.commit([{ op: 'topic-put', subscription: sub }]);
  }

  async deleteSubscription(agent: string, topic: string): Promise<void> {
    this.requireOpen();
    if (!this.state.topics.has(agent, topic)) return;
    await this.commit([{ op: 'topic-del', agent, topic }]);
  }

  async deleteSubscriptions(agent: string): Promise<void> {
    this.requireOpen();
    if (this.state.topics.count(agent) === 0) return;
    await this.commit([{ op: 'topics-del', agent }]);
  }

  async listSubscriptions(topic?: string): Promise<Readonly<TopicSubscription>[]> {
    this.requireOpen();
    return this.state.topics.list(topic);
  }

  // --- the audit trail's anchor (decision 1750) -----------------------------------------------

  async readAuditAnchor(): Promise<string | undefined> {
    this.requireOpen();
    return this.state.auditAnchor;
  }

  /** One process anchors here, in order (audit-anchoring.ts), so the anchor only moves forward. */
  async writeAuditAnchor(anchor: string): Promise<void> {
    await this.commit([{ op: 'audit-anchor-put', anchor }]);
  }

  // --- membership: one process, so a member is only lost by leaving or closing --------------

  async joinCluster(node: NodeAnnouncement, ttlSeconds: number): Promise<Membership> {
    this.requireOpen();
    validateNodeAnnouncement(node);
    validateTtl(ttlSeconds);
    if (this.members.has(node.id)) {
      throw new RegistryError('cluster.node-id-taken', `node ${node.id} has already joined`, {
        context: { node: node.id },
        hint: 'leave() the existing membership first, or use another node id',
      });
    }
    const now = this.now();
    const record: NodeRecord = { id: node.id, address: node.address, startedAt: now, lastSeen: now };
    const membership = new EmbeddedMembership(record, () => {
      this.members.delete(node.id);
      this.listeners.emit({ kind: 'node-down', id: node.id });
    });
    this.members.set(node.id, membership);
    this.listeners.emit({ kind: 'node-up', node: structuredClone(record) });
    return membership;
  }

  async listNodes(): Promise<NodeRecord[]> {
    this.requireOpen();
    return [...this.members.values()].map((m) => ({ ...m.node, lastSeen: this.now() }));
  }

  watch(listener: (event: RegistryEvent) => void): () => void {
    return this.listeners.add(listener);
  }

  // --- internals -----------------------------------------------------------------------------

  private requireOpen(): JournalWriter {
    if (!this.writer) throw notOpen('embedded registry');
    const failed = this.writer.failed;
    if (failed) throw failed;
    return this.writer;
  }

  private liveDescription(agent: string): DfAgentDescription | undefined {
    const d = this.state.df.get(agent);
    return d && isLive(d, this.now()) ? d : undefined;
  }

  private async commit(mutations: Mutation[]): Promise<void> {
    const writer = this.requireOpen();
    const events = mutations.map((m) => this.state.apply(m)).filter((e): e is RegistryEvent => e !== undefined);
    await writer.append(mutations);
    for (const e of events) this.listeners.emit(e);
    if (mutations.some((m) => m.op === 'df-put' || m.op === 'df-del')) this.armLeaseTimer();
    this.maybeCompact(writer);
  }

  private maybeCompact(writer: JournalWriter): void {
    if (this.compacting || writer.sizeBytes < this.compactAfterBytes) return;
    const next = this.generation + 1;
    this.compacting = writer
      .rotate(async () => {
        // Runs after every earlier append is durable, so the snapshot covers the whole journal.
        const body = this.state.toSnapshot(next);
        await writeFileAtomic(join(this.dir, SNAPSHOT), encodeFrame(Buffer.from(JSON.stringify(body), 'utf8')));
        this.generation = next;
        return join(this.dir, journalName(next));
      })
      .catch(() => undefined) // a failed snapshot leaves the old journal authoritative; retried later
      .finally(() => {
        this.compacting = undefined;
      });
  }

  private async loadSnapshot(): Promise<{ state: RegistryState; generation: number }> {
    const path = join(this.dir, SNAPSHOT);
    let buf: Buffer;
    try {
      buf = await readFile(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: new RegistryState(), generation: 0 };
      throw err;
    }
    const scan = scanFrames(buf);
    const payload = scan.payloads[0];
    try {
      // Snapshots are renamed into place after fsync, so anything but one clean frame is damage.
      if (scan.tail !== 'clean' || scan.payloads.length !== 1 || !payload) throw new Error('checksum or framing mismatch');
      const body = parseSnapshot(payload);
      return { state: RegistryState.fromSnapshot(body), generation: body.generation };
    } catch (cause) {
      throw new RegistryError('registry.corrupt', `registry snapshot ${path} is damaged`, {
        context: { path },
        hint: 'restore the data dir from a backup; the snapshot is written atomically, so this is disk damage or a foreign file',
        cause,
      });
    }
  }

  /** Temp files from an interrupted snapshot and journals of generations the snapshot covers. */
  private async removeLeftovers(generation: number): Promise<void> {
    for (const name of await readdir(this.dir)) {
      const m = JOURNAL_RE.exec(name);
      if (m && Number(m[1]) > generation) {
        // Journals are created only after the snapshot naming them is durable.
        throw new RegistryError('registry.corrupt', `registry journal ${name} is newer than the snapshot (generation ${generation})`, {
          context: { dir: this.dir, file: name },
          hint: 'the snapshot was replaced by an older one; restore the data dir from a backup',
        });
      }
      if ((m && Number(m[1]) < generation) || isTempFile(name)) await unlink(join(this.dir, name));
    }
  }

  /** Expired leases are filtered on read at once; the timer makes them go away (with an event). */
  private armLeaseTimer(): void {
    clearTimeout(this.leaseTimer);
    if (!this.writer) return;
    let earliest = Infinity;
    for (const d of this.state.df.values()) if (d.leaseUntil !== undefined && d.leaseUntil < earliest) earliest = d.leaseUntil;
    if (earliest === Infinity) return;
    const delay = Math.min(Math.max(0, earliest - this.now()), MAX_TIMER_MS);
    this.leaseTimer = setTimeout(() => void this.expireLeases(), delay);
    this.leaseTimer.unref();
  }

  private async expireLeases(): Promise<void> {
    if (!this.writer || this.writer.failed) return;
    const now = this.now();
    const expired = [...this.state.df.values()].filter((d) => !isLive(d, now)).map((d) => d.name.name);
    if (expired.length === 0) return this.armLeaseTimer();
    await this.commit(expired.map((name) => ({ op: 'df-del', name }))).catch(() => undefined);
  }
}
