/**
 * Replicas across a cluster's nodes (decision 2093; a cluster's one replica mode, decision 2168):
 * replica k ≥ 2 of a scaled agent X is the placement unit `X#r<k>`, a receiver with its own
 * partition, routed by the sender (`replicaFor`, core) and run on the node that consumes that
 * partition. This file is that node's side: a unit's sandbox is started on demand when mail for it
 * arrives (as a kind's instance is, decision 2060), runs X's recorded version (its sends are stamped
 * X's by the bus) and the init config `caxton.replica` = k, takes work only under the tenure of its
 * partition it was started in (the fence of its completions), and is stopped when idle, when its
 * partition leaves the node, or when X is no longer deployed. Nothing per unit is stored but what
 * the unit itself keeps as a stateless worker (decision 2163: its timers and pending HTTP calls,
 * under `X#r<k>`): a delivery written for a unit is handled by whichever node consumes its
 * partition, whatever the count says now, so a scale-down or a failover loses nothing.
 */
import { KIND_LIMITS, parseReplicaUnit, REPLICA_LIMITS, replicaUnitName, type AgentId } from '@caxton/core';
import { REPLICA_CONFIG_KEY } from '../../node/replicas/index.js';
import { budgetDecision, type HeldUnit } from './replica-budget.js';
import type { AgentRecord } from '../../storage/records.js';
import type { AgentHost } from '../../node/agent-host.js';
import type { AgentMessaging } from '../../node/agent-messaging.js';
import { agentLog, instanceLog, type AgentLifecycleEvent } from '../../node/local-agents.js';
import type { Instrumentation } from '@caxton/core';
import type { ExecutionResult } from '../../bus/executor.js';

export interface ReplicaUnitsOptions {
  host: AgentHost;
  messaging: AgentMessaging;
  events: Instrumentation<AgentLifecycleEvent>;
  identity: (name: string) => AgentId;
  /** X's current registry record (undefined: not deployed, or a kind). */
  record: (agent: string) => Promise<AgentRecord | undefined>;
  /** Prepares X's component on this node (fetched from the artifact store once per digest). */
  prepare: (record: AgentRecord) => Promise<void>;
  /** The tenure of the unit's partition here (undefined: not consumed here). */
  tenureOf: (unit: string) => number | undefined;
  /** X is stopped with its queue kept (its record's `absentSince`, from the watched mirror): its units stop and do not start. */
  isAbsent: (agent: string) => boolean;
  /**
   * X is held by the kill switch (frozen node, suspended agent; decision 1403): a unit's init is
   * agent code, so a unit does not start while held — its mail waits and it is tried again (the
   * sweep), as a named agent's start waits. Absent: never held.
   */
  held?: (agent: string) => boolean;
  /** X's deployed version as the watched mirror knows it (`<version>:<createdAt>`): a unit running another stops, drained. */
  versionOf?: (agent: string) => string | undefined;
  /** The watched mirror saw X undeployed (and not deployed again): its running units stop (decision 2096). */
  wasUndeployed?: (agent: string) => boolean;
  /** A unit started taking work here (true) or left memory (false): for operators' views (decision 2097). */
  onActive?: (unit: string, active: boolean) => void;
  /**
   * Units (starting or running) this node runs at once, with `othersRunning` (decision 2096):
   * decision 2010's budget of replica instances per node, which units count against as the
   * owner's replicas do. Default and ceiling REPLICA_LIMITS.maxReplicaInstances.
   */
  maxUnits?: number;
  /** Replica instances this node runs besides its units (AgentReplicas'): they share the one budget. */
  othersRunning?: () => number;
  /**
   * What a unit's init produced, applied as any agent's (decision 2163): its sends, its pending timers
   * re-armed and HTTP calls cut by a crash answered `interrupted` (the resume step), its own effects.
   * Absent: only the init's log lines are kept.
   */
  onStarted?: (init: ExecutionResult) => Promise<void>;
  /** The unit left memory here (`undeployed`: its agent is gone): what the node keeps per name goes (its in-memory timers; the registry's only if undeployed). */
  onStopped?: (unit: string, undeployed: boolean) => Promise<void>;
  /** The earliest due time of the timers this node holds for the unit (undefined: none): a unit with one is not idle. */
  timerDue?: (unit: string) => number | undefined;
  /** Whether the registry holds timers of the unit: asked for the units of a partition assigned here (their timers wake them). */
  hasTimers?: (unit: string) => Promise<boolean>;
}

interface Unit {
  /** X, parsed once at the start (review finding 8: the dispatch check and the sweep do not parse the name again). */
  agent: string;
  tenure: number;
  /** X's record the unit runs (its HTTP egress rules are X's: review fix 2). */
  record?: AgentRecord;
  state: 'starting' | 'running' | 'stopping';
  lastMail: number;
}

/** How often idle units, partitions gone and units waiting to start are looked at. */
const SWEEP_MS = 250;
/** After a failed start (a record not found, an init that failed), the next try waits this long. */
const RETRY_MS = 2000;
/** An init that keeps failing waits twice as long after each failure, up to this. */
const MAX_RETRY_MS = 30_000;

export class ReplicaUnits {
  private readonly units = new Map<string, Unit>();
  /**
   * Units with mail here that could not start yet (the partition's assignment not applied yet — the
   * consumer can hand out a partition's first deliveries before the node has its tenure — or the
   * start failed): looked at again every sweep while their mailbox holds mail.
   */
  private readonly waiting = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  /**
   * Units whose start is in flight (review fix 4): one start of a unit at a time — a second would
   * find the first's sandbox under the same identity. The value: asked again meanwhile.
   */
  private readonly starting = new Map<string, boolean>();
  /** Units whose init failed, and how many times in a row: the wait before the next try grows with it. */
  private readonly failures = new Map<string, number>();

  constructor(private readonly o: ReplicaUnitsOptions) {
    this.timer = setInterval(() => this.sweep(), SWEEP_MS);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
  }

  /**
   * Takes work now: started under its partition's current tenure, not stopping, and its agent not
   * stopped with its queue kept (decision 2096: X's mail waits while X is absent, a unit's with it,
   * until the sweep has stopped the unit or a redeploy lets it go on).
   */
  isRunnable(unit: string): boolean {
    const u = this.units.get(unit);
    return u !== undefined && u.state === 'running' && this.o.tenureOf(unit) === u.tenure && !this.o.isAbsent(u.agent);
  }

  /**
   * The mirror learned agent X (decision 2096): mail for X's units that reached this node before it
   * did was not activated (`noticeMail` is asked only for units of agents the mirror knows), and
   * would wait for more mail; the units of X with mail here start now.
   */
  agentKnown(agent: string): void {
    for (let k = 2; k <= REPLICA_LIMITS.maxReplicas; k++) {
      const unit = replicaUnitName(agent, k);
      if (!this.units.has(unit) && this.o.messaging.mailboxDepth(unit) > 0 && this.o.tenureOf(unit) !== undefined) {
        this.waiting.delete(unit); // a start that found no record waits no longer: the record is here now
        void this.start(unit);
      }
    }
  }

  /** Units holding a sandbox here (starting, running or stopping): what they take of the node's budget (decision 2096). */
  held(): number {
    return this.units.size;
  }

  /** X's record a unit here runs (undefined: not running here). */
  recordOf(unit: string): AgentRecord | undefined {
    return this.units.get(unit)?.record;
  }

  /** Units running here now (for operators' views, decision 2097). */
  running(): string[] {
    return [...this.units].filter(([, u]) => u.state === 'running').map(([unit]) => unit);
  }

  /** In memory here (starting, running or stopping). */
  isActive(unit: string): boolean {
    return this.units.has(unit);
  }

  /** Mail for `unit` arrived in its mailbox here: start it if it is not running. */
  noticeMail(unit: string): void {
    const u = this.units.get(unit);
    if (u !== undefined) {
      u.lastMail = Date.now();
      if (u.state === 'running' && this.o.tenureOf(unit) !== u.tenure)
        void this.stop(unit, u, true, 'its partition came back under a new tenure');
      return;
    }
    void this.start(unit);
  }

  /**
   * Partitions were assigned here (decision 2163): the units of `scaled` agents (name → count) placed
   * on them that have timers in the registry start now, so their timers fire here — the node that ran
   * them before dropped them with the partition. One registry read per such unit not running here.
   */
  async arrived(isHere: (unit: string) => boolean, scaled: ReadonlyArray<readonly [string, number]>): Promise<void> {
    if (this.o.hasTimers === undefined) return;
    for (const [agent, count] of scaled) {
      for (let k = 2; k <= Math.min(count, REPLICA_LIMITS.maxReplicas); k++) {
        const unit = replicaUnitName(agent, k);
        if (this.units.has(unit) || !isHere(unit)) continue;
        try {
          if (await this.o.hasTimers(unit)) void this.start(unit);
        } catch (err) {
          agentLog(
            this.o.events,
            agent,
            'warn',
            `replica ${k}'s timers not read on this node: ${(err as Error).message}; they fire at its next activation`,
          );
        }
      }
    }
  }

  /** Units of partitions that left this node: dropped at once (their completions are fenced anyway). */
  leave(revoked: (unit: string) => boolean): void {
    for (const [unit, u] of this.units)
      if (revoked(unit) && u.state !== 'stopping') void this.stop(unit, u, true, 'its partition moved to another node');
  }

  private async start(unit: string): Promise<void> {
    // A failed start waits its time out (the sweep tries it then): mail arriving meanwhile, which
    // calls this for every batch, must not run the failing init back to back.
    const notBefore = this.waiting.get(unit);
    if (notBefore !== undefined && notBefore > Date.now()) return;
    if (this.starting.has(unit)) {
      this.starting.set(unit, true); // looked at again when the start in flight ends
      return;
    }
    this.starting.set(unit, false);
    try {
      await this.startOnce(unit);
    } finally {
      const again = this.starting.get(unit) === true;
      this.starting.delete(unit);
      if (again && !this.units.has(unit) && this.o.messaging.mailboxDepth(unit) > 0 && this.o.tenureOf(unit) !== undefined)
        void this.start(unit);
    }
  }

  private async startOnce(unit: string): Promise<void> {
    const parsed = parseReplicaUnit(unit);
    const tenure = this.o.tenureOf(unit);
    if (parsed === undefined) return;
    if (tenure === undefined) {
      this.waiting.set(unit, 0);
      return;
    }
    if (this.o.held?.(parsed.agent) === true) {
      this.waiting.set(unit, Date.now() + RETRY_MS);
      return;
    }
    this.waiting.delete(unit);
    const u: Unit = { agent: parsed.agent, tenure, state: 'starting', lastMail: Date.now() };
    this.units.set(unit, u);
    try {
      const record = await this.o.record(parsed.agent);
      // Not deployed (or a kind): the mail stays; ClusterMailboxes dead-letters it as any agent's gone.
      // Stopped with its queue kept (review fix 3): the mail waits, as X's own does, until a redeploy.
      // Not asked: the recorded count. Only the sender's replica choice writes to a unit (the bus refuses
      // a `#` receiver from outside, review fix 1), and it writes k only while X is scaled to ≥ k and
      // stateless (a stateful X is refused a scale): mail in a unit above today's count is the
      // scale-down's drain, which must be handled.
      if (record === undefined || record.kind !== undefined || record.absentSince !== undefined) {
        this.units.delete(unit);
        this.waiting.set(unit, Date.now() + RETRY_MS);
        return;
      }
      if (!this.withinBudget(unit, u)) return;
      await this.o.prepare(record);
      const deployment: AgentRecord = { ...record, name: unit, config: { ...record.config, [REPLICA_CONFIG_KEY]: String(parsed.replica) } };
      delete deployment.replicas;
      // The sandbox pool knows agents by identity: the unit's own (X may run on this node too); what
      // it sends is stamped X's by the bus (`Bus.prepare`).
      const init = await this.o.host.start({ deployment, identity: this.o.identity(unit) });
      if (this.o.onStarted !== undefined) await this.o.onStarted(init);
      else instanceLog(this.o.events, parsed.agent, `replica ${parsed.replica}`, init.logs);
      u.record = record;
      if (this.units.get(unit) !== u || u.state !== 'starting') {
        // Left meanwhile (its partition moved, review fix 4): `stop` did not stop a sandbox still
        // starting, so it is stopped here; the `finally` of `start` looks at its mail again.
        await this.o.host
          .stop(unit, true)
          .catch((err: unknown) =>
            agentLog(this.o.events, parsed.agent, 'warn', `replica ${parsed.replica} did not stop cleanly: ${(err as Error).message}`),
          );
        await this.o.onStopped?.(unit, false).catch(() => undefined); // timers its init re-armed here stay in etcd only
        if (this.units.get(unit) === u) this.units.delete(unit);
        this.starting.set(unit, true);
        return;
      }
      u.state = 'running';
      this.o.onActive?.(unit, true);
      agentLog(this.o.events, parsed.agent, 'info', `replica ${parsed.replica} activated here (version ${record.version}) for its mail`);
    } catch (err) {
      if (this.units.get(unit) === u) this.units.delete(unit);
      const failures = (this.failures.get(unit) ?? 0) + 1;
      this.failures.set(unit, failures);
      const waitMs = Math.min(RETRY_MS * 2 ** (failures - 1), MAX_RETRY_MS);
      this.waiting.set(unit, Date.now() + waitMs);
      agentLog(
        this.o.events,
        parsed.agent,
        'warn',
        `replica ${parsed.replica} not activated here: ${(err as Error).message}; its mail waits and is looked at again in ${Math.round(waitMs / 1000)} s`,
      );
      return;
    }
    this.failures.delete(unit);
    this.o.messaging.wake(unit);
  }

  /**
   * Room for `u` in the node's budget of replica instances (decision 2096). At the budget, a unit
   * idle here (empty mailbox) is stopped for it and `unit` waits for the next sweep; with none idle,
   * `unit`'s mail is dead-lettered `activation-limit` with the hint (as kinds' past their bound):
   * its senders are told, and a redrive goes to X, whose sender chooses a replica again.
   */
  private withinBudget(unit: string, u: Unit): boolean {
    const max = Math.min(this.o.maxUnits ?? REPLICA_LIMITS.maxReplicaInstances, REPLICA_LIMITS.maxReplicaInstances);
    const others: HeldUnit[] = [];
    for (const [name, other] of this.units) {
      if (other !== u) others.push({ name, state: other.state, idle: this.o.messaging.mailboxDepth(name) === 0, lastMail: other.lastMail });
    }
    const decision = budgetDecision(others, this.o.othersRunning?.() ?? 0, max);
    if (decision.kind === 'room') return true;
    this.units.delete(unit);
    const parsed = parseReplicaUnit(unit)!;
    if (decision.kind === 'wait') {
      // A unit is on its way out (an eviction, an idle stop): `unit` starts when that stop ends
      // (`stop` looks at the waiting), not before.
      this.waiting.set(unit, 0);
      return false;
    }
    if (decision.kind === 'evict') {
      const victim = this.units.get(decision.name)!;
      this.waiting.set(unit, 0);
      void this.stop(
        decision.name,
        victim,
        false,
        `the node's budget of ${max} replica instances is full and mail for replica ${parsed.replica} of ${parsed.agent} waits`,
      );
      return false;
    }
    const reason = `replica ${parsed.replica} of ${parsed.agent} cannot be activated on this node: its budget of ${max} replica instances (decision 2010) is full with replicas that have work in hand; retry later, or scale ${parsed.agent} (or other agents) down`;
    agentLog(this.o.events, parsed.agent, 'warn', reason);
    const refuse = this.o.messaging.refuseNewest;
    if (refuse === undefined) {
      this.waiting.set(unit, Date.now() + RETRY_MS); // nothing can refuse it here: it waits
      return false;
    }
    void refuse.call(this.o.messaging, unit, 0, reason, 'activation-limit').then(
      () => {
        if (this.o.messaging.mailboxDepth(unit) > 0) this.waiting.set(unit, Date.now() + RETRY_MS);
      }, // a letter not written: its delivery waits
      (err: unknown) => {
        agentLog(
          this.o.events,
          parsed.agent,
          'warn',
          `mail for replica ${parsed.replica} past the node's budget was not refused: ${(err as Error).message}`,
        );
        this.waiting.set(unit, Date.now() + RETRY_MS);
      },
    );
    return false;
  }

  private async stop(unit: string, u: Unit, force: boolean, why: string): Promise<void> {
    if (u.state === 'stopping') return;
    const wasStarting = u.state === 'starting';
    u.state = 'stopping';
    const parsed = parseReplicaUnit(unit)!;
    try {
      if (!force) await this.o.messaging.idle(unit);
      if (!wasStarting) await this.o.host.stop(unit, force);
    } catch (err) {
      agentLog(this.o.events, parsed.agent, 'warn', `replica ${parsed.replica} did not stop cleanly: ${(err as Error).message}`);
    } finally {
      if (this.units.get(unit) === u) this.units.delete(unit);
      if (!wasStarting) this.o.onActive?.(unit, false);
    }
    // Its timers stay in the registry for its next activation (here or where its partition goes),
    // unless its agent is gone.
    const undeployed = this.o.wasUndeployed?.(u.agent) === true && this.o.versionOf?.(u.agent) === undefined;
    await this.o
      .onStopped?.(unit, undeployed)
      .catch((err: unknown) =>
        agentLog(this.o.events, parsed.agent, 'warn', `replica ${parsed.replica}'s timers not released here: ${(err as Error).message}`),
      );
    agentLog(this.o.events, parsed.agent, 'info', `replica ${parsed.replica} passivated here: ${why}`);
    // Its place in the budget is free: units waiting for room start now (review finding 3).
    for (const [other, notBefore] of [...this.waiting])
      if (notBefore === 0 && other !== unit && this.o.messaging.mailboxDepth(other) > 0) void this.start(other);
    // Mail that came meanwhile (or stays after a forced stop on a partition still here) starts it
    // again — after a start still in flight has ended (`start` queues behind it).
    if (this.o.messaging.mailboxDepth(unit) > 0 && this.o.tenureOf(unit) !== undefined) void this.start(unit);
  }

  /**
   * The mirror knows X at a newer version than the unit runs (an upgrade), or another deployment (an
   * undeploy and redeploy: another createdAt). A mirror behind the registry read at the start (an
   * older version) is not a change: the unit would stop and start until the mirror caught up.
   */
  private replaced(_unit: string, u: Unit): boolean {
    const now = this.o.versionOf?.(u.agent);
    if (now === undefined || u.record === undefined) return false;
    const [version, createdAt] = now.split(':').map(Number) as [number, number];
    return createdAt !== u.record.createdAt || version > u.record.version;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [unit, notBefore] of [...this.waiting]) {
      if (this.units.has(unit)) this.waiting.delete(unit);
      else if (this.o.messaging.mailboxDepth(unit) === 0) {
        this.waiting.delete(unit); // handled elsewhere, or dead-lettered
        this.failures.delete(unit);
      } else if (now >= notBefore) void this.start(unit);
    }
    for (const [unit, u] of this.units) {
      if (u.state !== 'running') continue;
      if (this.o.tenureOf(unit) !== u.tenure) void this.stop(unit, u, true, 'its partition left this node');
      else if (this.o.isAbsent(u.agent)) void this.stop(unit, u, false, 'its agent was stopped with its queue kept');
      else if (this.o.wasUndeployed?.(u.agent) === true && this.o.versionOf?.(u.agent) === undefined)
        void this.stop(unit, u, false, 'its agent was undeployed');
      else if (this.replaced(unit, u))
        void this.stop(unit, u, false, 'its agent was upgraded or redeployed (its mail starts the new version)');
      // A unit waiting for a timer of its own is not idle: passivated, nothing here would fire it.
      else if (
        this.o.messaging.mailboxDepth(unit) === 0 &&
        now - u.lastMail >= KIND_LIMITS.defaultIdleMs &&
        this.o.timerDue?.(unit) === undefined
      )
        void this.stop(unit, u, false, 'idle');
    }
  }
}
