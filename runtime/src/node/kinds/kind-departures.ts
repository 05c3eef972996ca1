/**
 * Out of memory (decisions 1980, 2060): every way an instance leaves — passivated once idle (after
 * its last handling is durable), moved to another version, evicted to make room under its kind's
 * cap, dropped when it failed past its restart budget, retired when its partition's tenure changed,
 * gone with its partition to another node, or stopped with its kind. Its state stays in the state
 * store; its timers stay in the registry and wake it here (`KindWakes`) or on its next node.
 */
import type { AgentStatus } from '@caxton/core';
import { parseInstanceName } from '@caxton/core';
import { agentLog } from '../local-agents.js';
import type { AgentKindsOptions } from './kind-options.js';
import type { Instance, Kind } from './kind-model.js';
import { versionForKey, type KindRollouts } from './kind-rollouts.js';
import { kindCounts, kindStatus } from './kind-status.js';
import type { KindTable, PassivationReason } from './kind-table.js';
import type { KindActivation } from './kind-activation.js';
import { deadLetterWaiting } from '../agent-messaging.js';

export class KindDepartures {
  private readonly o: AgentKindsOptions;
  /** The sweep that passivates idle instances. */
  private sweep: NodeJS.Timeout | undefined;

  constructor(
    private readonly t: KindTable,
    private readonly activation: KindActivation,
    private readonly rollouts: KindRollouts,
  ) {
    this.o = t.o;
  }

  async stopKind(kind: Kind, name: string, force: boolean, deleteRecord: boolean): Promise<AgentStatus> {
    kind.stopping = true;
    this.rollouts.forget(name);
    for (const i of [...kind.instances.values()]) {
      // An activation under way ends first: otherwise it would leave a sandbox running that no one tracks.
      // (Not one held by the kill switch: it returns on its own once released, seeing its kind gone.)
      if (i.starting !== undefined && !this.o.held(name)) await i.starting;
      i.state = 'passivating';
      if (!force) await this.o.messaging.idle(i.name);
      try {
        await this.o.host.stop(i.name, force);
      } catch (err) {
        agentLog(this.o.events, name, 'warn', `instance ${i.name} did not stop cleanly (${(err as Error).message}); dropped anyway`);
        await this.o.host.stop(i.name, true).catch(() => {});
      }
      await deadLetterWaiting(this.o.messaging, i.name, `kind ${name} was stopped before instance ${i.name} handled it`, 0, this.t.now);
      this.t.drop(kind, i);
      await this.o.onDropped(i.name, true).catch(() => {});
    }
    for (const w of [...this.t.waiting]) {
      if (parseInstanceName(w)?.kind !== name) continue;
      this.t.waiting.delete(w);
      await deadLetterWaiting(this.o.messaging, w, `kind ${name} was stopped before instance ${w} was activated`, 0, this.t.now);
    }
    // Passivated instances' timers are deleted with them: a kind deployed later under the same name must not get them.
    const mine = (n: string): boolean => n.startsWith(`${name}/`);
    this.t.wakes.removeWhere(mine);
    if (deleteRecord) {
      const timers = this.o.timers;
      const deleted = timers?.deleteKind !== undefined ? timers.deleteKind(name) : timers?.deleteWhere?.(mine);
      await deleted?.catch((err: unknown) =>
        agentLog(this.o.events, name, 'warn', `timers of passivated instances not deleted: ${(err as Error).message}`),
      );
      await this.o.store?.deleteAgent(name);
    }
    const status = { ...kindStatus(kind, kindCounts(kind, this.t.defaultIdleMs), this.rollouts.view(name)), state: 'stopped' as const };
    if (this.t.kinds.get(name) === kind) this.t.kinds.delete(name);
    agentLog(this.o.events, name, 'info', force ? 'kind stopped (forced)' : 'kind stopped');
    return status;
  }

  /**
   * Drops an idle instance from memory once its last handling is durable (the bus's `idle` waits
   * for the commit). Mail that arrived meanwhile keeps it (`idle`), unless `swap` (an upgrade,
   * which activates it again at once on the new version) or `evict` (passivated early at its
   * kind's cap: its slot is promised to another key, and mail that came for it meanwhile waits,
   * durable, for a slot of its own — otherwise a sender pinging evicted instances would pass the
   * cap). Its state stays where it is: the state store.
   */
  async passivate(kind: Kind, instance: Instance, why: PassivationReason): Promise<void> {
    if (instance.state !== 'running') return;
    instance.state = 'passivating';
    await this.o.messaging.idle(instance.name);
    if (why === 'idle' && this.o.messaging.mailboxDepth(instance.name) > 0) {
      instance.state = 'running';
      this.o.messaging.wake(instance.name);
      return;
    }
    try {
      await this.o.host.stop(instance.name, false);
    } catch (err) {
      // It did not stop: it stays in memory, running, and takes its mail (a later sweep tries again).
      agentLog(this.o.events, kind.record.name, 'warn', `instance ${instance.name} not passivated: ${(err as Error).message}`);
      instance.state = 'running';
      this.t.touch(kind, instance);
      this.o.messaging.wake(instance.name);
      return;
    }
    if (kind.instances.get(instance.name) !== instance) return; // its kind was stopped meanwhile
    if (this.o.messaging.mailboxDepth(instance.name) > 0) {
      if (why === 'evict') {
        // Its slot goes to the key it was evicted for; its own mail (durable) waits for the next free one.
        await this.leaveMemory(kind, instance);
        this.t.activate(instance.name, true);
        return;
      }
      // Mail came while it stopped: start again (on the kind's current version), keeping the slot.
      this.activation.begin(kind, instance);
      return;
    }
    this.o.messaging.forget(instance.name); // empty: the mailbox itself goes
    // A closed breaker keeps nothing worth keeping past the instance; an open one keeps its cool-down.
    if (this.o.messaging.breaker?.(instance.name) === undefined) this.o.messaging.replaced?.(instance.name);
    await this.leaveMemory(kind, instance);
  }

  /**
   * A passivated instance leaves memory: its slot is freed, and its timers stay in the registry —
   * the node wakes it when the soonest is due (read before onDropped forgets them).
   */
  private async leaveMemory(kind: Kind, instance: Instance): Promise<void> {
    kind.passivated += 1;
    const due = this.o.timers?.nextDue(instance.name);
    this.t.drop(kind, instance);
    if (due !== undefined) this.t.wakes.add(instance.name, due);
    await this.o
      .onDropped(instance.name, false)
      .catch((err: unknown) => agentLog(this.o.events, kind.record.name, 'warn', `instance ${instance.name}: ${(err as Error).message}`));
  }

  /**
   * An instance the sandbox marked failed (it crashed past its restart budget) would keep its slot
   * and its mail for ever, and many such keys would take every slot from the other kinds. It is
   * dropped, its slot freed, its mail kept (in the log and its mailbox), and it is activated
   * afresh after another idle period: the mail is retried, slowly, never lost.
   */
  private async evictIfFailed(kind: Kind, instance: Instance, idleMs: number): Promise<void> {
    if ((await this.o.host.stats(instance.name))?.state !== 'failed') return;
    if (instance.state !== 'running' || kind.instances.get(instance.name) !== instance || this.t.closed) return;
    instance.state = 'passivating';
    await this.o.host.stop(instance.name, true).catch(() => {});
    if (kind.instances.get(instance.name) !== instance) return;
    kind.failed += 1;
    agentLog(
      this.o.events,
      kind.record.name,
      'warn',
      `instance ${instance.name} failed (crashed past its restart budget): dropped from memory; its ${this.o.messaging.mailboxDepth(instance.name)} waiting message(s) are kept and retried in ${idleMs} ms`,
    );
    this.t.drop(kind, instance);
    await this.o.onDropped(instance.name, false).catch(() => {});
    this.activation.retryLater(instance.name, idleMs);
  }

  /** Every sweep passivates the instances idle past their kind's period. */
  armSweep(): void {
    if (this.sweep !== undefined || this.t.closed) return;
    const every = Math.max(25, Math.min(1_000, Math.floor(this.shortestIdleMs() / 4)));
    this.sweep = setInterval(() => this.passivateIdle(), every);
    this.sweep.unref();
  }

  private shortestIdleMs(): number {
    let min = this.t.defaultIdleMs;
    for (const k of this.t.kinds.values()) min = Math.min(min, k.record.kind?.idleMs ?? min);
    return min;
  }

  /** One sweep (also called by tests and the bench through `passivateIdleNow`). */
  passivateIdle(): void {
    const now = this.t.now();
    for (const kind of this.t.kinds.values()) {
      const idleMs = kind.record.kind?.idleMs ?? this.t.defaultIdleMs;
      for (const i of kind.instances.values()) {
        if (i.state === 'reserved' && now - i.lastActive >= idleMs && this.o.messaging.mailboxDepth(i.name) === 0) {
          // A reservation no mail ever reached (a race the bus could not report): its slot goes back.
          this.t.drop(kind, i);
          continue;
        }
        // The version its key runs now (a rollout by key keeps some keys on the new one, decision 2175).
        const wanted = versionForKey(kind.record, i.key).version;
        if (i.state === 'running' && i.version !== wanted) {
          void this.passivate(kind, i, 'swap').catch((err: unknown) =>
            agentLog(
              this.o.events,
              kind.record.name,
              'warn',
              `instance ${i.name} not moved to version ${wanted}: ${(err as Error).message}`,
            ),
          );
          continue;
        }
        if (i.state === 'running' && now - i.lastActive >= idleMs && this.o.messaging.mailboxDepth(i.name) > 0) {
          // Mail, yet no work taken for a whole idle period: perhaps failed (a crash loop).
          void this.evictIfFailed(kind, i, idleMs).catch((err: unknown) =>
            agentLog(this.o.events, kind.record.name, 'warn', `instance ${i.name} not checked: ${(err as Error).message}`),
          );
          continue;
        }
        if (i.state === 'running' && now - i.lastActive >= idleMs && this.o.messaging.mailboxDepth(i.name) === 0) {
          void this.passivate(kind, i, 'idle').catch((err: unknown) =>
            agentLog(this.o.events, kind.record.name, 'warn', `instance ${i.name} not passivated: ${(err as Error).message}`),
          );
        }
      }
    }
  }

  /**
   * A cluster (decision 2060): the partitions holding these instances' mail are consumed by another
   * node now. Each one in memory here is dropped at once (forced: its completions would be fenced
   * anyway, and the next node activates it on its committed state), and its mailbox is forgotten,
   * not dead-lettered: the mail is the next node's, in the log. Instances waiting for a slot go too.
   */
  async leave(matches: (name: string) => boolean): Promise<number> {
    // Waiting ones first: a slot freed below would otherwise activate one of them here. So is mail
    // waiting for its kind's record (it is the next owner's too).
    for (const w of [...this.t.waiting]) {
      if (!matches(w)) continue;
      this.t.waiting.delete(w);
      this.o.messaging.forget(w);
    }
    for (const w of [...this.t.unknownKindSince.keys()]) {
      if (!matches(w)) continue;
      this.t.unknownKindSince.delete(w);
      this.o.messaging.forget(w);
    }
    // Every instance to go is chosen and taken out of service before the first await: a stop takes
    // time, and a partition given back meanwhile (a new tenure) must not keep an instance that still
    // holds the earlier tenure's state in its sandbox (it would commit a stale count over the other
    // node's). Marked `passivating`, none of them takes work (`isRunnable`) while the stops run.
    const leaving: Array<[Kind, Instance]> = [];
    for (const kind of this.t.kinds.values()) {
      for (const i of kind.instances.values()) {
        if (!matches(i.name)) continue;
        i.state = 'passivating';
        leaving.push([kind, i]);
      }
    }
    this.t.wakes.removeWhere(matches);
    /** Instances whose partition was given back here while this ran (a rejoin revokes and assigns at once). */
    const back = new Set<string>();
    const backKinds = new Set<string>();
    for (const [kind, i] of leaving) {
      await this.o.host.stop(i.name, true).catch(() => {});
      // Given back meanwhile: its mailbox holds the new tenure's mail (the earlier tenure's went with
      // the revocation), which stays and activates it afresh, as in `retire`. Forgetting it would
      // leave those deliveries pending in the log, handed out to no one until the next rebalance.
      const here = this.t.placed?.isHere(i.name) === true;
      if (!here) this.o.messaging.forget(i.name);
      this.t.drop(kind, i);
      await this.o.onDropped(i.name, false).catch(() => {});
      if (here) {
        back.add(i.name);
        backKinds.add(kind.record.name);
        if (this.o.messaging.mailboxDepth(i.name) > 0) this.t.activate(i.name, true);
      }
    }
    // Their timers: the walk for the partition given back skipped them while they were still in
    // hand here, and dropping them forgot the node's copy. Walked again for these names alone.
    if (back.size > 0)
      void this.t.wakes.arrived((name) => back.has(name), [...backKinds], this.t.placed?.partitionsHere?.()).catch(() => 0);
    return leaving.length;
  }

  /**
   * A cluster: an instance activated under an earlier tenure of its partition is dropped (forced);
   * its mail stays if the partition is consumed here now (a fresh activation takes it, on the
   * committed state), and is the next owner's otherwise.
   */
  async retire(kind: Kind, instance: Instance): Promise<void> {
    if (instance.state !== 'running') return;
    instance.state = 'passivating';
    await this.o.host.stop(instance.name, true).catch(() => {});
    const here = this.t.placed?.isHere(instance.name) === true;
    if (!here) this.o.messaging.forget(instance.name);
    this.t.drop(kind, instance);
    await this.o.onDropped(instance.name, false).catch(() => {});
    if (here && this.o.messaging.mailboxDepth(instance.name) > 0) this.t.activate(instance.name, true);
  }

  close(): void {
    if (this.sweep !== undefined) clearInterval(this.sweep);
    this.sweep = undefined;
  }
}
