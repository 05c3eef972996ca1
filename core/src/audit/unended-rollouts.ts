/**
 * Rollouts the trail shows started but never closed (decision 1871): an `UpgradeAgent` with a
 * strategy that succeeded (or whose outcome never came: the node stopped in its starting window)
 * and no later end of the agent. A node restarting finds them so that it can write their closing
 * record: a rollout does not survive a restart (the node comes back on the running version), and
 * the trail must say how it ended.
 *
 * The ends: `PromoteRollout`, `RollBackRollout`, `AbortRollout` (whatever their outcome: each is
 * the end's own record), and a `RollbackAgent`, `StopAgent`, `DeployAgent` or plain `UpgradeAgent`
 * of the agent that succeeded. During a rollout an operator's rollback or stop IS its abort; a trail
 * written before decision 1871's closing records has only those, and a later abort whose own
 * `AbortRollout` could not be written has them too.
 *
 * An outcome can come out on its own line (`AuditChangeReader` pairs an intent with its outcome only
 * within its window): it still counts. A refused upgrade never started a rollout; a refused rollback
 * or stop did not end one.
 *
 * Pure: fed the trail's changes in order (`AuditChangeReader`'s lines), it answers what is open.
 */
import type { AuditLine, AuditOutcomeRecord } from './changes.js';

/** What the trail says of a rollout that has no end in it. */
export interface UnendedRollout {
  agent: string;
  /** As `--strategy` takes it (`blue-green`, `canary:25`). */
  strategy: string;
  /** sha256 of the new version's artifact. */
  artifact: string;
  /** When the upgrade that started it was asked (ms since the epoch). */
  startedAt: number;
  /** The node that started it (a trail in etcd is shared by a cluster's nodes). */
  node: string;
  /** The index of the upgrade's intent record in the trail. */
  intentIndex: number;
  /** The intent's safe fields, thresholds asked included (what the closing record repeats). */
  fields: Record<string, string>;
}

/** Changes that end a rollout of their agent, whatever their outcome (each is the end's own record). */
const ENDS = new Set(['PromoteRollout', 'RollBackRollout', 'AbortRollout']);
/** Changes that end a rollout of their agent when they succeed. */
const ENDS_WHEN_OK = new Set(['RollbackAgent', 'StopAgent', 'DeployAgent', 'UpgradeAgent']);

export interface UnendedRolloutsOptions {
  /**
   * Open only the rollouts this node started (a trail shared by a cluster's nodes); ends from any
   * node still close. Absent: every start counts (a node's own file trail, whatever its node id was).
   */
  node?: string;
}

export class UnendedRollouts {
  private readonly open = new Map<string, UnendedRollout>();
  /** Ends whose outcome has not been seen, by intent index: undone if it comes refused. */
  private readonly pendingEnds = new Map<number, UnendedRollout>();

  constructor(private readonly options: UnendedRolloutsOptions = {}) {}

  /** Takes the next line of the trail (in trail order). */
  take(line: AuditLine): void {
    if (line.type === 'outcome') return this.lateOutcome(line.outcome);
    if (line.type !== 'change') return;
    const { intent, outcome } = line;
    const fields = intent.args.fields;
    const agent = fields['agent'];
    if (agent === undefined) return;
    const code = outcome?.result.code;
    if (ENDS.has(intent.method)) {
      this.open.delete(agent);
      this.forgetPendingEnds(agent);
    } else if (intent.method === 'UpgradeAgent' && fields['strategy'] !== undefined) {
      const startedAt = Date.parse(intent.time);
      if ((code === undefined || code === 'OK') && !Number.isNaN(startedAt) && this.mine(intent.node)) {
        this.forgetPendingEnds(agent);
        this.open.set(agent, {
          agent,
          strategy: fields['strategy'],
          artifact: fields['artifact'] ?? '',
          startedAt,
          node: intent.node,
          intentIndex: intent.index,
          fields: { ...fields },
        });
      }
    } else if (ENDS_WHEN_OK.has(intent.method)) {
      const ended = this.open.get(agent);
      if (ended === undefined || (code !== undefined && code !== 'OK')) return;
      this.open.delete(agent);
      // No outcome yet: taken as done (a node that went down during a stop came back without the
      // rollout either way); a refused outcome on its own line later puts it back.
      if (code === undefined) this.pendingEnds.set(intent.index, ended);
    }
  }

  /** An outcome its intent's line came out without (past the reader's pairing window). */
  private lateOutcome(outcome: AuditOutcomeRecord): void {
    if (outcome.result.code === 'OK') return;
    const index = outcome.intent.index;
    for (const [agent, u] of this.open) {
      if (u.intentIndex === index) this.open.delete(agent); // a refused upgrade: no rollout started
    }
    const ended = this.pendingEnds.get(index);
    if (ended !== undefined) {
      this.pendingEnds.delete(index);
      if (!this.open.has(ended.agent)) this.open.set(ended.agent, ended); // a refused rollback or stop: still open
    }
  }

  /** A later end or start of the agent decides: an earlier end's outcome no longer reopens it. */
  private forgetPendingEnds(agent: string): void {
    for (const [index, u] of this.pendingEnds) if (u.agent === agent) this.pendingEnds.delete(index);
  }

  private mine(node: string): boolean {
    return this.options.node === undefined || this.options.node === node;
  }

  /** The rollouts still open after every line taken, oldest first. */
  unended(): UnendedRollout[] {
    return [...this.open.values()].sort((a, b) => a.startedAt - b.startedAt);
  }
}
