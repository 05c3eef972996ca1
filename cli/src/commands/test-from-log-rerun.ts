/**
 * The replies `caxton test --from-log` expects (issue 57): the log holds no message to an API
 * caller (docs/replay.md), and an operator's request is answered exactly there — so each handling
 * of the conversation is run again, offline, by the recorded version, as `caxton replay` runs it:
 * an in-thread sandbox under the deployment's limits and config, its clock at the work's time,
 * nothing sent, nothing written. It starts from empty state, which is the state the conversation
 * began on (from-log.ts refuses any other), and goes through its handlings in order; what each
 * one sent and wrote is handed to from-log.ts, which checks it against the record.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isReservedStateKey } from '@caxton/core';
import { CliError } from '../cli-error.js';
import { EXIT } from '../exit-codes.js';
import type { PickedConversation, RanAgain } from '../scenario/from-log.js';
import type { HistorySource } from './replay-source.js';

type ReplayLibrary = typeof import('@caxton/runtime/replay');
type WorkResult = import('@caxton/sandbox').WorkResult;

function outcomeOf(r: WorkResult): string {
  switch (r.status) {
    case 'ok':
      return 'ok';
    case 'rejected':
      return `rejected: ${r.reason}`;
    case 'crashed':
      return `crashed (${r.kind}): ${r.message}`;
    default:
      return `${r.status}: ${r.reason}`;
  }
}

export async function runAgain(
  lib: ReplayLibrary,
  source: Pick<HistorySource, 'deployment' | 'identity' | 'servicesByType'>,
  component: Uint8Array,
  picked: PickedConversation,
): Promise<RanAgain[]> {
  const { Sandbox } = await import('@caxton/sandbox');
  const { deployment, identity } = source;
  // Its own prepare cache: the node's data directory is only read.
  const cacheDir = await mkdtemp(path.join(os.tmpdir(), 'caxton-from-log-'));
  let now = Date.now();
  const sandbox = new Sandbox({ engine: new lib.Engine({ cacheDir }), clock: () => now });
  let deployed = false;
  try {
    const byType: Record<string, { name: string }[]> = {};
    for (const [type, ids] of source.servicesByType) byType[type] = ids.map((id) => ({ name: id.name }));
    sandbox.setDirectory({ version: 1, byType });
    try {
      await sandbox.deploy({
        name: identity,
        artifact: component,
        limits: lib.replayLimits(deployment.limits),
        ...(deployment.config !== undefined ? { config: deployment.config } : {}),
        ...(deployment.http !== undefined ? { http: deployment.http } : {}),
        ...(deployment.topics !== undefined ? { topics: deployment.topics } : {}),
        // A crash is reported (and refused by from-log.ts), never a failed agent.
        restartPolicy: { maxRestarts: Number.MAX_SAFE_INTEGER, windowMs: 1 },
        state: { entries: [] },
        seed: { name: deployment.name, createdAt: deployment.createdAt },
      });
      deployed = true;
    } catch (err) {
      throw new CliError(
        EXIT.FAILURE,
        `the recorded version of ${picked.agent} (version ${deployment.version}) did not start again: ${err instanceof Error ? err.message : String(err)}`,
        `caxton replay ${picked.agent} runs it the same way and says more`,
      );
    }
    const out: RanAgain[] = [];
    for (const h of picked.handlings) {
      now = h.delivery.acceptedAt;
      const r = sandbox.run({ kind: 'message', agent: identity, delivery: h.delivery });
      const completed = r.status === 'ok' || r.status === 'rejected';
      out.push({
        completed,
        outcome: outcomeOf(r),
        outbox: completed ? r.outbox : [],
        writes: completed ? r.stateWrites.filter((w) => !isReservedStateKey(w.key)) : [],
        clockReads: r.clockReads ?? 0,
        secureRandomBytes: r.secureRandomBytes ?? 0,
      });
    }
    return out;
  } finally {
    if (deployed) sandbox.undeploy(identity);
    await rm(cacheDir, { recursive: true, force: true });
  }
}
