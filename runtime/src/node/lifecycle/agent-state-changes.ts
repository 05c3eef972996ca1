/**
 * An agent's durable state changed from outside its handlings (decision 1600): an operator's import
 * committed while the agent takes no work, a rewind after a failed commit (issue 24), and the pause
 * a stateful rollout's handover runs in (decision 2170).
 */
import { ConflictError } from '@caxton/core';
import { agentLog } from '../local-agents.js';
import type { AgentScaling } from './agent-scaling.js';
import { refuseDuringRollout, type LifecycleParts } from './lifecycle-parts.js';

export class AgentStateChanges {
  /** Agents paused by `paused` (a handover): still their running version, `upgrading` meanwhile. */
  private readonly pausing = new Set<string>();

  constructor(
    private readonly p: LifecycleParts,
    private readonly scaling: AgentScaling,
  ) {}

  /** Paused for a handover: still its running version (decision 2170). */
  isPausing(name: string): boolean {
    return this.pausing.has(name);
  }

  /**
   * Commit an operator's change to an agent's state (`commit`) and make its running instance see it
   * (decision 1600). The agent takes no work meanwhile: what it handles next sees the new state. An
   * agent deployed but running on another node is refused: its view lives there.
   */
  async changeState(name: string, commit: () => Promise<void>): Promise<void> {
    // The agent's operation lock: no scale-up passes its stateless check while the import commits.
    return this.p.replicas.exclusive(name, () => this.changeStateNow(name, commit));
  }

  private async changeStateNow(name: string, commit: () => Promise<void>): Promise<void> {
    refuseDuringRollout(this.p.rollouts, name); // a rollout runs only while the agent keeps no state (decision 1871)
    this.scaling.refuseWhileScaled(name, 'import the state of'); // replicas keep no state (decision 2010)
    const local = this.p.local.get(name);
    if (local === undefined && this.p.kinds.isActive(name)) {
      throw new ConflictError(`instance ${name} is active`, {
        context: { agent: name },
        hint: "retry once it is passivated (after its kind's idle period); a passivated instance reads its state when next activated",
      });
    }
    if (local === undefined) {
      if (this.p.residency.isDeployedAnywhere(name)) {
        throw new ConflictError(`agent ${name} runs on another node`, {
          context: { agent: name },
          hint: 'import through the API of the node that runs it (`caxton status` names it)',
        });
      }
      return commit(); // not deployed: read when it is next deployed with --keep-state
    }
    // Cluster (decision 2096): the owner runs one replica when they are spread across nodes (its own
    // count says 1), so the recorded count is asked too — the registry's, read now, not the copy here.
    if (this.p.residency.recordReplicas !== undefined)
      this.p.clusterReplicas.refuseRecordedScaled(await this.p.residency.upgradeBase(name), 'import the state of');
    if (local.state !== 'running' && local.state !== 'failed') {
      throw new ConflictError(`agent ${name} is ${local.state}`, {
        context: { agent: name, state: local.state },
        hint: 'retry once it is running',
      });
    }
    const before = local.state;
    let after = before;
    local.state = 'upgrading';
    try {
      await this.p.o.messaging.idle(name);
      await commit();
      if (before !== 'running') return; // a failed agent loads the state when it is started again
      const entries = await this.p.o.state!.readState(name);
      if (this.p.o.host.resetState !== undefined) {
        await this.p.o.host.resetState(name, entries);
      } else {
        await this.p.o.host.stop(name, false);
        try {
          await this.p.local.startInstance(local.record, this.p.o.messaging.agentId(name));
        } catch (err) {
          after = 'failed';
          this.p.local.fail(local, err);
          throw err;
        }
      }
      agentLog(this.p.events, name, 'info', `state imported (${entries.size} entries)`);
    } finally {
      local.state = after;
      this.p.o.messaging.wake(name);
    }
  }

  /**
   * Make the agent's running instance see its committed state again (a rewind after a commit that
   * failed, issue 24): the bus calls this while the agent takes no work. Its sandbox view is
   * swapped in place where the sandbox can, otherwise the instance is restarted on it.
   */
  async reloadState(name: string): Promise<void> {
    // A stateful rollout's new instance holds the view (decision 2170): the rewound writes are its.
    const holder = this.p.rollouts.stateHolder(name);
    if (holder !== undefined && this.p.o.state !== undefined && this.p.o.host.resetState !== undefined) {
      if (await this.p.o.host.resetState(holder, await this.p.o.state.readState(name))) return;
    }
    if (this.p.kinds.isActive(name) && this.p.o.state !== undefined) {
      // An instance of a kind: swapped in place where the sandbox can; otherwise a passivation and
      // a fresh activation on the committed state do the same (its mail waits meanwhile).
      const entries = await this.p.o.state.readState(name);
      if (this.p.o.host.resetState !== undefined) await this.p.o.host.resetState(name, entries);
      return;
    }
    const local = this.p.local.get(name);
    // Paused for a handover it is still its running version (decision 2170): its view is reset too.
    const running = local?.state === 'running' || (local?.state === 'upgrading' && this.pausing.has(name));
    if (local === undefined || !running || this.p.o.state === undefined) return;
    const entries = await this.p.o.state.readState(name);
    if (this.p.o.host.resetState !== undefined) {
      await this.p.o.host.resetState(name, entries);
      return;
    }
    await this.p.o.host.stop(name, false);
    try {
      await this.p.local.startInstance(local.record, this.p.o.messaging.agentId(name));
    } catch (err) {
      this.p.local.fail(local, err);
      throw err;
    }
  }

  /**
   * Runs `fn` while `name` takes no new work (`upgrading` while it was running) and nothing of it
   * is in flight or settling, then lets it run again (a stateful rollout's handover, decision 2170).
   */
  async paused<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const local = this.p.local.get(name);
    const pause = local?.state === 'running';
    if (pause) {
      local.state = 'upgrading';
      this.pausing.add(name);
    }
    try {
      await this.p.o.messaging.idle(name);
      return await fn();
    } finally {
      if (pause) {
        this.pausing.delete(name);
        if (local.state === 'upgrading') local.state = 'running';
      }
      this.p.o.messaging.wake(name);
      // A cluster's record change seen during the pause (a swap skips an agent not running) is
      // looked at again, queued behind the agent's steps: never awaited, the pause may be one.
      void this.p.residency.settle?.(name).catch(() => undefined);
    }
  }
}
