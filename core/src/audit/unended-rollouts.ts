/**
 * Rollouts the trail shows started but never closed (decision 1871): an `UpgradeAgent` with a
 * strategy that succeeded (or whose outcome never came: the node stopped in its starting window)
 * and no later `PromoteRollout`, `RollBackRollout`, `AbortRollout` or deploy of the agent. A node
 * restarting finds them so that it can write their closing record: a rollout does not survive a
 * restart (the node comes back on the running version), and the trail must say how it ended.
 *
 * Pure: fed the trail's changes in order (`AuditChangeReader`'s lines), it answers what is open.
 */
import type { AuditLine } from './changes.js';

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
  /** The intent's safe fields, thresholds asked included (what the closing record repeats). */
  fields: Record<string, string>;
}

/** Changes that end a rollout of their agent, whatever their outcome (each is the end's own record). */
const ENDS = new Set(['PromoteRollout', 'RollBackRollout', 'AbortRollout']);

export class UnendedRollouts {
  private readonly open = new Map<string, UnendedRollout>();

  /** Takes the next line of the trail (in trail order). */
  take(line: AuditLine): void {
    if (line.type !== 'change') return;
    const { intent, outcome } = line;
    const fields = intent.args.fields;
    const agent = fields['agent'];
    if (agent === undefined) return;
    const succeeded = outcome === undefined || outcome.result.code === 'OK';
    if (ENDS.has(intent.method)) this.open.delete(agent);
    else if (intent.method === 'UpgradeAgent' && fields['strategy'] !== undefined && succeeded) {
      this.open.set(agent, { agent, strategy: fields['strategy'], artifact: fields['artifact'] ?? '', startedAt: Date.parse(intent.time), node: intent.node, fields: { ...fields } });
    } else if ((intent.method === 'DeployAgent' || intent.method === 'UpgradeAgent') && outcome?.result.code === 'OK') {
      // A deploy ends a rollout (decision 1871); a plain upgrade succeeds only when none runs.
      this.open.delete(agent);
    }
  }

  /** The rollouts still open after every line taken, oldest first. */
  unended(): UnendedRollout[] {
    return [...this.open.values()].sort((a, b) => a.startedAt - b.startedAt);
  }
}
