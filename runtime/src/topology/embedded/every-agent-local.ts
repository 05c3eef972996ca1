/**
 * The embedded residency: every deployed agent runs on this node. A deploy starts the instance at
 * once and records it; an upgrade drains the message in hand, swaps, and rolls back to the previous
 * version when the new one does not start; a stop drains, stops and dead-letters what is left —
 * or, stopped with its queue kept (decision 1990), leaves the name `stopped` (its record marked
 * `absentSince`) with its messages waiting in the log for the next deploy of the name.
 */
import type { AgentStatus } from '@caxton/core';
import { AlreadyExistsError, ConflictError, NotFoundError } from '@caxton/core';
import type { AgentRecord } from '../../storage/records.js';
import type { AgentStore, DirectoryStore } from '../../storage/ports.js';
import type { AgentResidency, ResidencyContext } from '../../node/agent-residency.js';
import { agentLog, type LocalAgent } from '../../node/local-agents.js';
import { deadLetterWaiting } from '../../node/agent-messaging.js';

export class EveryAgentLocal implements AgentResidency {
  constructor(
    private readonly c: ResidencyContext,
    private readonly store: { agents: AgentStore; directory: DirectoryStore },
  ) {}

  isDeployedAnywhere(): boolean {
    return false;
  }

  mayRun(): boolean {
    return true;
  }

  ownership(): undefined {
    return undefined;
  }

  noticeMail(): void {}

  /** Starts every agent the registry says should run. Failures are reported, not fatal. */
  async restore(): Promise<void> {
    // Kinds (decision 1980) are the lifecycle's: nothing of theirs starts until a message comes.
    const records = (await this.store.agents.listAgents()).filter((r) => r.kind === undefined);
    // Every agent is known before any init runs: what one init sends to another is routed, not
    // refused as addressed to an unknown agent (it waits in the mailbox until that one runs).
    const locals = records.map(
      (record): LocalAgent => ({ record, state: record.absentSince === undefined ? 'starting' : 'stopped', artifactSize: 0 }),
    );
    for (const local of locals) this.c.local.add(local);
    for (const local of locals) {
      if (local.state === 'stopped') continue; // absent (decision 1990): its queue waits for a deploy
      // Held by the kill switch (decision 1403): its init is agent code, so it starts after the thaw
      // or resume, without holding up the node's start (whose API is how the operator thaws it).
      if (this.c.held(local.record.name)) void this.startWhenRunnable(local);
      else await this.start(local);
    }
  }

  private async startWhenRunnable(local: LocalAgent): Promise<void> {
    try {
      await this.c.untilRunnable(local.record.name);
    } catch {
      return; // the node shut down first
    }
    if (this.c.local.get(local.record.name) !== local) return; // stopped meanwhile
    await this.start(local);
    this.c.messaging.wake(local.record.name); // mail replayed meanwhile waits for it
  }

  private async start(local: LocalAgent): Promise<void> {
    const record = local.record;
    try {
      const bytes = await this.c.artifacts.get(record.artifactDigest);
      local.artifactSize = bytes.byteLength;
      await this.c.host.prepare(bytes);
      await this.c.local.startInstance(record, this.c.identity(record.name));
      local.state = 'running';
    } catch (err) {
      this.c.local.fail(local, err);
    }
  }

  /** A name stopped with its queue kept (decision 1990) is free to deploy: the deploy takes its queue. */
  async refuseExisting(name: string): Promise<void> {
    const local = this.c.local.get(name);
    if (local !== undefined && !isAbsent(local)) throw new AlreadyExistsError('agent', name);
  }

  async upgradeBase(name: string): Promise<AgentRecord> {
    const local = this.require(name);
    if (isAbsent(local)) {
      throw new ConflictError(`agent ${name} is stopped (its queue is kept)`, {
        context: { agent: name, state: 'stopped' },
        hint: `deploy it again (\`caxton deploy ${name} …\`): the deploy takes over its queue`,
      });
    }
    if (local.state !== 'running' && local.state !== 'failed') {
      throw new ConflictError(`agent ${name} is ${local.state}`, {
        context: { agent: name },
        hint: 'wait for the current operation to finish, then retry',
      });
    }
    return local.record;
  }

  async deploy(record: AgentRecord, artifactSize: number): Promise<AgentStatus> {
    const name = record.name;
    // Stopped with its queue kept (decision 1990): this deploy returns it; its queue is delivered
    // first, in order, once it runs. If it does not start, the name stays absent as it was.
    const absent = this.c.local.get(name);
    const local: LocalAgent = { record, state: 'starting', artifactSize };
    this.c.local.add(local);
    try {
      await this.c.local.startInstance(record, this.c.identity(name));
    } catch (err) {
      if (absent !== undefined) this.c.local.add(absent);
      else this.c.local.remove(name);
      throw err;
    }
    await this.store.agents.putAgent(record);
    local.state = 'running';
    if (absent !== undefined)
      agentLog(
        this.c.events,
        name,
        'info',
        `deployed again after a stop with its queue kept: ${this.c.messaging.mailboxDepth(name)} waiting messages are delivered first`,
      );
    agentLog(
      this.c.events,
      name,
      'info',
      `deployed version 1 (${record.artifactDigest.slice(0, 12)}, fuel ${record.limits.fuelPerMessage}/message, ${record.limits.memoryPages} pages)`,
    );
    this.c.messaging.wake(name);
    return (await this.c.local.status(name))!;
  }

  async upgrade(previous: AgentRecord, next: AgentRecord, artifactSize: number): Promise<AgentStatus> {
    const name = next.name;
    const local = this.require(name);
    local.state = 'upgrading';
    // The state after the upgrade says what can run: the new version, the old one rolled back, or
    // nothing (`failed`, with the reason) when neither starts. Never `running` by default.
    let after: LocalAgent['state'] = 'running';
    try {
      await this.c.messaging.idle(name); // drain: the message in hand finishes on the old version
      await this.c.host.stop(name, false);
      // The new version's init subscribes under the new record's allow-list (decision 2050): it is
      // the record the node checks from before the instance starts, and the old one again on failure.
      local.record = next;
      try {
        await this.c.local.startInstance(next, this.c.identity(name));
      } catch (err) {
        local.record = previous;
        try {
          await this.c.local.startInstance(previous, this.c.identity(name)); // roll back; the error below says why the upgrade failed
        } catch (rollbackError) {
          after = 'failed';
          this.c.local.fail(local, rollbackError);
          agentLog(
            this.c.events,
            name,
            'error',
            `upgrade to version ${next.version} failed and version ${previous.version} did not start again: the agent is failed`,
          );
        }
        throw err;
      }
      await this.store.agents.putAgent(next);
      local.artifactSize = artifactSize;
      delete local.lastError;
      agentLog(this.c.events, name, 'info', `upgraded to version ${next.version} (${next.artifactDigest.slice(0, 12)})`);
    } finally {
      local.state = after;
      this.c.messaging.wake(name);
    }
    return (await this.c.local.status(name))!;
  }

  async stop(name: string, force: boolean, keepQueue = false): Promise<AgentStatus> {
    const local = this.require(name);
    if (local.state === 'stopping') throw new ConflictError(`agent ${name} is already stopping`, { context: { agent: name } });
    const wasAbsent = isAbsent(local);
    if (wasAbsent && keepQueue) {
      throw new ConflictError(`agent ${name} is stopped already, with its queue kept`, {
        context: { agent: name, state: 'stopped' },
        hint: `deploy it again to deliver its queue, or \`caxton stop ${name}\` (without --keep-queue) to dead-letter it and free the name`,
      });
    }
    const before = local.state;
    local.state = 'stopping';
    try {
      if (!wasAbsent) {
        if (!force) await this.c.messaging.idle(name);
        await this.c.host.stop(name, force);
      }
      if (keepQueue) {
        const now = Date.now();
        // The replica count goes (the stop is the audited change that writes it): nothing runs, a
        // redeploy writes a fresh record, and a count left here would read as "N recorded" and be
        // downgraded, audited, at the next start.
        const { replicas: _dropped, ...kept } = local.record;
        local.record = { ...kept, absentSince: now, updatedAt: now };
        await this.store.agents.putAgent(local.record);
      } else {
        await this.store.agents.deleteAgent(name);
      }
    } catch (err) {
      if (wasAbsent) local.state = before;
      throw err;
    }
    if (!wasAbsent) await this.store.directory.deregisterDf(this.c.messaging.agentId(name).name).catch(() => {}); // not registered: fine
    if (keepQueue) {
      // Its messages stay pending in the log and in its mailbox; nothing runs them while it is absent.
      // Its timers go, as on any stop: they belonged to the instance's work in progress. Its topic
      // subscriptions stay, so what is published while it is absent waits for it too (decision 2050).
      await this.c
        .onStopped(name, true, true)
        .catch((err: unknown) => agentLog(this.c.events, name, 'warn', `pending timers not removed: ${(err as Error).message}`));
      local.state = 'stopped';
      agentLog(
        this.c.events,
        name,
        'info',
        `${force ? 'stopped (forced)' : 'stopped'}, queue kept: ${this.c.messaging.mailboxDepth(name)} messages wait for its next deploy`,
      );
      return (await this.c.local.status(name))!;
    }
    // Accepted messages nobody will handle are dead-lettered, not silently dropped.
    const reason = `agent ${name} was stopped before handling it`;
    await deadLetterWaiting(this.c.messaging, name, reason, 0, Date.now);
    await this.c
      .onStopped(name, true)
      .catch((err: unknown) => agentLog(this.c.events, name, 'warn', `pending timers not removed: ${(err as Error).message}`));
    local.state = 'stopped';
    const status = (await this.c.local.status(name))!;
    this.c.local.remove(name);
    // Until the line above it was still an agent: a rewind in the meantime (a forced stop does not
    // wait for its completions) put its deliveries back into a re-created mailbox, and a send may
    // have been accepted into one. Nothing dispatches that mailbox now, so take it again, at once
    // (no await between the remove and this), and dead-letter what it held. A rewind from now on
    // finds no agent and dead-letters on its own (decision 2070): each goes once.
    for (const d of this.c.messaging.forget(name)) {
      await this.c.messaging
        .deadLetter({ delivery: d, reason, attempts: 0, at: Date.now() })
        .catch((err: unknown) =>
          agentLog(
            this.c.events,
            name,
            'warn',
            `${d.id} could not be dead-lettered: ${(err as Error).message}; it stays pending in the log (handed out again after a restart)`,
          ),
        );
    }
    agentLog(this.c.events, name, 'info', force ? 'stopped (forced)' : 'stopped');
    return status;
  }

  status(name: string): Promise<AgentStatus | undefined> {
    return this.c.local.status(name);
  }

  async list(): Promise<AgentStatus[]> {
    const all = await Promise.all(
      this.c.local
        .names()
        .sort()
        .map((n) => this.c.local.status(n)),
    );
    return all.filter((s): s is AgentStatus => s !== undefined);
  }

  private require(name: string): LocalAgent {
    const local = this.c.local.get(name);
    if (!local) throw new NotFoundError('agent', name);
    return local;
  }
}

/** Stopped with its queue kept (decision 1990): the name is taken, nothing runs. */
function isAbsent(local: LocalAgent): boolean {
  return local.state === 'stopped' && local.record.absentSince !== undefined;
}
