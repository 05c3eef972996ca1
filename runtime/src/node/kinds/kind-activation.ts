/**
 * Into memory (decision 1980): an instance that took a slot starts on the version its key runs
 * (a rollout by key, decision 2175), in a cluster on the component prepared on this node and
 * stamped with its partition's tenure (decision 2060). An activation that fails is the rollout's
 * failure (the new version), a passing one (the node, not the instance: retried, its mail kept),
 * or the instance's (its mail dead-lettered, its timers deleted, with why).
 */
import { KIND_LIMITS } from '@caxton/core';
import { agentLog, errorSummary } from '../local-agents.js';
import type { AgentKindsOptions } from './kind-options.js';
import { instanceRecord, isPassingActivationError, type Instance, type Kind } from './kind-model.js';
import { versionForKey, type KindRollouts } from './kind-rollouts.js';
import type { KindTable, PassivationReason } from './kind-table.js';
import { deadLetterWaiting } from '../agent-messaging.js';

export class KindActivation {
  private readonly o: AgentKindsOptions;
  /**
   * The start in flight per name: an instance dropped while its start was still running (its
   * partition left and came back, its kind stopped) ends before the name's next instance starts.
   * The sandbox host knows one sandbox per name: two starts at once would replace each other's.
   */
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(
    private readonly t: KindTable,
    private readonly rollouts: KindRollouts,
    /** An instance that started on a version its key no longer runs moves on (`KindDepartures.passivate`). */
    private readonly passivate: (kind: Kind, instance: Instance, why: PassivationReason) => Promise<void>,
  ) {
    this.o = t.o;
  }

  /** Starts a reserved (or passivating, mail having come) instance in its slot. */
  begin(kind: Kind, instance: Instance): void {
    instance.state = 'activating';
    kind.activations += 1;
    const before = this.inFlight.get(instance.name);
    const run = before === undefined ? this.start(kind, instance) : before.catch(() => {}).then(() => this.start(kind, instance));
    const starting = run.finally(() => {
      if (instance.starting === starting) delete instance.starting;
      if (this.inFlight.get(instance.name) === starting) this.inFlight.delete(instance.name);
    });
    instance.starting = starting;
    this.inFlight.set(instance.name, starting);
  }

  /** Still the instance its kind holds under its name, and still to be started. */
  private current(kind: Kind, instance: Instance): boolean {
    return (
      kind.instances.get(instance.name) === instance &&
      !kind.stopping &&
      this.t.kinds.get(kind.record.name) === kind &&
      instance.state === 'activating'
    );
  }

  /**
   * An instance dropped while it started: its own sandbox goes, and what its init armed under the
   * name (timers resumed) with it; the name's mail and registry timers are the next instance's.
   */
  private async discard(instance: Instance): Promise<void> {
    await this.o.host.stop(instance.name, true).catch(() => {});
    await this.o.onDropped(instance.name, false).catch(() => {});
  }

  private async start(kind: Kind, instance: Instance): Promise<void> {
    try {
      if (this.o.held(kind.record.name)) {
        await this.o.untilRunnable(kind.record.name); // init is agent code
        if (kind.instances.get(instance.name) !== instance || kind.stopping) return; // its kind was stopped while held
      }
      const version = versionForKey(kind.record, instance.key);
      instance.version = version.version;
      if (this.t.placed !== undefined) {
        await this.t.placed.prepare(version);
        if (!this.current(kind, instance)) return; // dropped while its component was prepared: never started
      }
      await this.o.local.startInstance(
        instanceRecord(version, instance.name, instance.key),
        this.o.messaging.agentId(instance.name),
        instance.shard,
      );
      if (!this.current(kind, instance)) {
        // Dropped while it started (its kind stopped), or being dropped (its partition left, `leave`):
        // the sandbox must not run on, untracked, nor take work.
        await this.discard(instance);
        return;
      }
      instance.state = 'running';
      this.t.touch(kind, instance);
      this.o.onResidency?.(instance.name, 'activated');
      this.o.messaging.wake(instance.name);
      // Upgraded (or its key moved by a rollout) while it started: it moves to the version of its key now.
      if (instance.version !== versionForKey(kind.record, instance.key).version)
        void this.passivate(kind, instance, 'swap').catch(() => {});
    } catch (err) {
      if (!this.current(kind, instance)) {
        // The failure of an instance dropped, or being dropped (`leave` marks all it will drop
        // before it stops them one by one), while it started: nothing of the name — its mail, its
        // timers, a rollout — is its to judge.
        await this.discard(instance);
        return;
      }
      const rollout = kind.record.rollout;
      if (!this.t.closed && rollout !== undefined && instance.version === rollout.candidate.version) {
        // A rollout's new version that cannot start (its init failed) is the rollout's failure, not
        // the key's (decision 2175): the rollout is rolled back, and the key's mail and timers wait,
        // durable, to be activated on the version before it.
        await this.o.host.stop(instance.name, true).catch(() => {});
        this.t.drop(kind, instance);
        const why = `the new version could not be activated for ${instance.name}: ${errorSummary(err).message}`;
        agentLog(this.o.events, kind.record.name, 'warn', `[version ${rollout.candidate.version}] ${why}; its mail waits`);
        this.rollouts.fail(kind.record.name, why);
        this.retryLater(instance.name);
        return;
      }
      if (this.t.closed || isPassingActivationError(err)) {
        // The node is stopping, or something of the node (not the instance's code) failed for now:
        // its mail stays in the log and in its mailbox, and only the slot is given back. A stopping
        // node replays the mail at its next start; a running one tries the activation again.
        await this.o.host.stop(instance.name, true).catch(() => {});
        this.t.drop(kind, instance);
        if (!this.t.closed) {
          agentLog(
            this.o.events,
            kind.record.name,
            'warn',
            `instance ${instance.name} could not be activated now (${errorSummary(err).message}); its mail waits and the activation is retried`,
          );
          this.retryLater(instance.name);
        }
        return;
      }
      kind.failed += 1;
      const why = errorSummary(err);
      agentLog(this.o.events, kind.record.name, 'error', `instance ${instance.name} could not be activated: ${why.message}`);
      // Its mail would otherwise wait for an activation that keeps failing: dead-lettered, with why.
      await deadLetterWaiting(
        this.o.messaging,
        instance.name,
        `instance ${instance.name} could not be activated: ${why.message}`,
        1,
        this.t.now,
      );
      await this.o.host.stop(instance.name, true).catch(() => {});
      this.t.drop(kind, instance);
      await this.o.onDropped(instance.name, false).catch(() => {});
      // Its timers would wake it (after every rebuild of the wake index) into the same failure:
      // they go, as its mail did, with why in its kind's log.
      const del = this.o.timers?.deleteOf;
      if (del !== undefined) {
        await del(instance.name).then(
          () =>
            agentLog(
              this.o.events,
              kind.record.name,
              'warn',
              `instance ${instance.name}: its pending timers were deleted (its activation failed)`,
            ),
          (e: unknown) =>
            agentLog(
              this.o.events,
              kind.record.name,
              'warn',
              `instance ${instance.name}: pending timers not deleted: ${(e as Error).message}`,
            ),
        );
      }
    }
  }

  /** An instance whose activation failed for a passing reason waits, its mail durable, and is tried again. */
  retryLater(name: string, afterMs: number = KIND_LIMITS.activationRetryAfterMs): void {
    this.t.waiting.add(name);
    this.t.later(afterMs, () => {
      if (this.t.closed || !this.t.waiting.delete(name)) return;
      this.t.activate(name, true);
    });
  }
}
