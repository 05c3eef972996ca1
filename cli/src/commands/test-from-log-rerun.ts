/**
 * The replies `caxton test --from-log` expects (issue 57): the log holds no message to an API
 * caller (docs/replay.md), and an operator's request is answered exactly there — so each handling
 * of the conversation is run again, offline, by the recorded version, as `caxton replay` runs it:
 * the replay's sandbox (ReplaySandbox: the deployment's limits and config, its clock from the work's time),
 * nothing sent, nothing written. It starts from empty state, which is the state the conversation
 * began on (from-log.ts refuses any other), and goes through its handlings in order; what each
 * one sent and wrote is handed to from-log.ts, which checks it against the record.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ownStateWrites } from '@caxton/core';
import { CliError } from '../cli-error.js';
import { EXIT } from '../exit-codes.js';
import type { PickedConversation, RanAgain } from '../scenario/from-log.js';
import type { HistorySource } from './replay-source.js';

type ReplayLibrary = typeof import('@caxton/runtime/replay');

export async function runAgain(
  lib: ReplayLibrary,
  source: Pick<HistorySource, 'deployment' | 'identity' | 'servicesByType'>,
  component: Uint8Array,
  picked: PickedConversation,
): Promise<RanAgain[]> {
  const { deployment, identity } = source;
  // Its own prepare cache: the node's data directory is only read.
  const cacheDir = await mkdtemp(path.join(os.tmpdir(), 'caxton-from-log-'));
  const sandbox = new lib.ReplaySandbox(new lib.Engine({ cacheDir }), identity, source.servicesByType);
  let deployed = false;
  try {
    try {
      // From empty state: from-log.ts refuses a conversation that began on any.
      await sandbox.deploy(deployment, component, []);
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
      const r = sandbox.run({ kind: 'message', agent: identity, delivery: h.delivery }, h.delivery.acceptedAt);
      const completed = r.status === 'ok' || r.status === 'rejected';
      out.push({
        completed,
        outcome: lib.outcomeOf(r),
        outbox: completed ? r.outbox : [],
        writes: completed ? ownStateWrites(r.stateWrites) : [],
        clockReads: r.clockReads ?? 0,
        secureRandomBytes: r.secureRandomBytes ?? 0,
      });
    }
    return out;
  } finally {
    if (deployed) sandbox.undeploy();
    await rm(cacheDir, { recursive: true, force: true });
  }
}
