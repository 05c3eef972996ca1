/**
 * An agent's own replay history (decision 2182) across a SIGKILL inside a copy: a child process
 * keeps alice's history on small segments and is killed by a fault point — after a copy is renamed
 * into place but before its progress is written (`agent-history-copied`), or after the progress but
 * before the segment is deleted (`agent-history-recorded`). Reopened here, the log finishes the
 * handlings in flight and goes on; alice's replay then reads every handling once, in order, each
 * copy starting on the state before it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { agentHistoryDir, listAgentHistory } from '../../src/log/embedded/agent-history-store.js';
import { segmentFileName } from '../../src/log/embedded/segment-files.js';
import { deliveryTo } from './recorded-traffic.js';
import { SMALL, assertHeadsInStep, counts, countOf, handlings, indexOf, readAll, roundState, traffic } from './agent-history-traffic.js';
import { openLog, segmentFiles, tempDir, waitFor } from '../log/embedded/helpers.js';

const CHILD = fileURLToPath(new URL('./agent-history-crash-child.js', import.meta.url));
const OPTIONS = { segmentBytes: SMALL, fsync: 'always' as const, agentHistory: new Map([['alice', { ms: 3_600_000, bytes: 1 << 20 }]]) };

/** Run the child until the fault point kills it; what it said was durable. */
async function runUntilKilled(dir: string, fault: string): Promise<{ appended: number; completed: number; said: string }> {
  const child = spawn(process.execPath, [CHILD, dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CAXTON_FAULT_POINT: fault },
  });
  let said = '';
  child.stdout.on('data', (chunk: Buffer) => (said += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (said += chunk.toString()));
  const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
  assert.equal(signal, 'SIGKILL', `killed by the fault point:\n${said.slice(-2000)}`);
  const last = (tag: string): number => Math.max(-1, ...[...said.matchAll(new RegExp(`^${tag} (\\d+)$`, 'gm'))].map((m) => Number(m[1])));
  return { appended: last('A'), completed: last('C'), said };
}

async function progressOf(dir: string): Promise<{ through: number }> {
  return JSON.parse(await fs.readFile(path.join(agentHistoryDir(dir, 'alice'), 'progress.json'), 'utf8')) as { through: number };
}

describe("an agent's own replay history across a SIGKILL inside a copy (decision 2182)", () => {
  for (const [fault, what] of [
    ['agent-history-copied:3', 'a copy renamed into place, its progress not written'],
    ['agent-history-recorded:3', 'the progress written, the segment not deleted'],
  ] as const)
    test(`killed with ${what}: every handling once after the reopen`, { timeout: 120_000 }, async (t) => {
      const dir = await tempDir(t, 'caxton-agent-history-crash-');
      const killed = await runUntilKilled(dir, fault);
      const { through } = await progressOf(dir);
      const copies = await listAgentHistory(agentHistoryDir(dir, 'alice'));
      const inLog = (await segmentFiles(dir)).map((f) => Number(f.slice(0, -4)));
      if (fault.startsWith('agent-history-copied'))
        assert.ok(Math.max(...copies) > through, `a copy past the progress (${copies.join(' ')}; through ${through})`);
      else assert.ok(inLog.includes(through), `segment ${through} recorded as copied and still in the log`);

      // Reopened: what was in flight is redelivered and finished, then the traffic goes on.
      const { log, consumed } = await openLog(dir, OPTIONS);
      assert.equal(await fs.stat(path.join(agentHistoryDir(dir, 'alice'), segmentFileName(through + 1))).catch(() => undefined), undefined);
      for (const d of consumed)
        await log.complete([
          { id: d.id, receiver: d.receiver, ...(d.receiver === 'alice' ? roundState(Number(d.message.content?.slice(5))) : {}) },
        ]);
      const next = killed.appended + 1;
      await traffic(log, 'alice', next, 15);
      await log.append([deliveryTo('carol', 'n-last', 'last')]);
      await waitFor('old segments deleted', async () => (await segmentFiles(dir)).length <= 2, 60_000);
      const events = await readAll(dir, 'alice');
      const all = handlings(events);
      assert.deepEqual(
        all.map(indexOf),
        Array.from({ length: next + 15 }, (_, i) => i),
        'every handling once, in order',
      );
      assert.deepEqual(all.map(countOf), counts(0, next + 15));
      assertHeadsInStep(events);
      await log.close();
    });
});
