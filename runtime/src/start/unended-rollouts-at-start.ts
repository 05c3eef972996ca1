/** Rollouts a restart ended (decision 1871): found open in the audit trail at start, closed and shown ended. */
import { ROLLOUT_BOUNDS } from '@caxton/core';
import { IN_PROCESS_CALLER, auditArgs, type AuditedControl } from '../audit/audited-control.js';
import type { AuditTrail } from '../audit/audit-trail.js';
import { endedByRestart, findUnendedRollouts, RESTART_REASON, type UnendedScan } from '../audit/unended-rollouts.js';
import type { AgentLifecycle } from '../node/lifecycle/index.js';

/** The rollouts the trail shows open (decision 1871); undefined if the trail could not be read (reported). */
export async function scanUnendedRollouts(auditTrail: AuditTrail): Promise<UnendedScan | undefined> {
  try {
    const scan = await findUnendedRollouts(auditTrail);
    if (!scan.reachedStart) {
      console.warn(
        `caxton: audit trail: looked for unended rollouts in the last ${ROLLOUT_BOUNDS.unendedScanRecords} records only (from record ${scan.from}): a rollout started before them is not closed, and shows no end in the trail`,
      );
    }
    return scan;
  } catch (err) {
    console.error('caxton: audit trail: looking for rollouts the restart ended (none closed):', err);
    return undefined;
  }
}

/** Writes the closing record of each rollout the scan found open, and shows it ended. */
export async function closeUnendedRollouts(scan: UnendedScan, agents: AgentLifecycle, audited: AuditedControl): Promise<void> {
  for (const unended of scan.unended) {
    // A kind's rollout by key is in its record (decision 2175): it goes on after the restart, and its end is recorded when it ends.
    if (agents.kinds.record(unended.agent)?.rollout !== undefined) continue;
    const running = await agents.status(unended.agent).catch(() => undefined);
    const fields = {
      strategy: unended.strategy,
      outcome: 'aborted',
      reason: RESTART_REASON,
      ...(running !== undefined ? { version: String(running.version + 1) } : {}),
    };
    await audited
      .change(
        { ...IN_PROCESS_CALLER, peer: 'rollout-controller' },
        { method: 'AbortRollout', args: auditArgs({ agent: unended.agent, ...fields }, { agent: unended.agent, ...fields }) },
        async () => {
          if (running !== undefined) agents.rollouts.restore(unended.agent, endedByRestart(unended, running.version + 1));
        },
      )
      .catch((err: unknown) => console.error(`caxton: audit trail: closing the rollout of ${unended.agent} the restart ended:`, err));
  }
}
