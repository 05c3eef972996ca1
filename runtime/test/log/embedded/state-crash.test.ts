/**
 * Crash test for state (decision 1600): a real child completes deliveries with multi-frame state
 * transactions under load and is killed with SIGKILL mid-run; the parent reopens the log and checks
 * that every completion is there WITH all of its state, or neither is: a delivery is pending after
 * recovery exactly when its `done/<id>` key is absent, and the two slot keys written by one
 * transaction are always equal. Small segments make retention snapshot state while kills land.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EmbeddedMessageLog, type FsyncPolicy } from '../../../src/log/embedded/index.js';
import type { Delivery } from '@caxton/core';
import { RECEIVERS, deliveryId } from './crash-protocol.js';
import { SLOTS, STATE_CRASH_OPTIONS } from './state-crash-protocol.js';
import { tempDir } from './helpers.js';

const CHILD = fileURLToPath(new URL('./state-crash-child.js', import.meta.url));
const ROUNDS = 3;

class Reported {
  readonly appended = new Set<string>();
  readonly issued = new Set<string>();
  readonly completed = new Set<string>();
  lastStats = '';

  take(round: number, line: string): void {
    const [kind, a, b] = line.split(' ');
    const range = (target: Set<string>): void => {
      for (let n = Number(a); n < Number(b); n++) target.add(deliveryId(round, n));
    };
    if (kind === 'A') range(this.appended);
    else if (kind === 'I') range(this.issued);
    else if (kind === 'C') range(this.completed);
    else if (kind === 'S') this.lastStats = line.slice(2);
    else if (kind === 'E') throw new Error(`state crash child failed: ${line}`);
  }
}

async function runAndKill(dir: string, fsync: FsyncPolicy, round: number, reported: Reported): Promise<number> {
  const env = { ...process.env };
  delete env['NODE_TEST_CONTEXT'];
  const child = spawn(process.execPath, [CHILD, dir, fsync, String(round)], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  let completes = 0;
  let killTimer: NodeJS.Timeout | undefined;
  const lines: string[] = [];
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
    const complete = stdout.split('\n');
    stdout = complete.pop()!;
    for (const line of complete) {
      lines.push(line);
      if (line.startsWith('C ') && ++completes === 150) killTimer = setTimeout(() => child.kill('SIGKILL'), 10 + Math.random() * 200);
    }
  });
  const backstop = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  clearTimeout(backstop);
  clearTimeout(killTimer);
  for (const line of lines) reported.take(round, line);
  assert.equal(signal, 'SIGKILL', `child ended on its own (code ${code}): ${stderr} ${lines.slice(-3).join(' / ')}`);
  assert.ok(completes >= 150, `child was killed by the backstop after ${completes} completions: ${stderr}`);
  return completes;
}

async function verify(dir: string, reported: Reported): Promise<{ pending: number; warnings: string[] }> {
  const warnings: string[] = [];
  const replayed: Delivery[] = [];
  const log = new EmbeddedMessageLog({ dir, fsync: 'always', ...STATE_CRASH_OPTIONS });
  log.events.onType('warning', ({ warning: w }) => warnings.push(w.code));
  log.consume((batch) => replayed.push(...batch));
  await log.open();
  const states = new Map<string, ReadonlyMap<string, string>>();
  for (let k = 0; k < RECEIVERS; k++) states.set(`agent-${k}`, await log.readState(`agent-${k}`));
  await log.close();

  const pending = new Set(replayed.map((d) => d.id));
  const receiverOf = (id: string): string => id.slice(id.indexOf(':') + 1);
  for (const id of reported.appended) {
    const hasState = states.get(receiverOf(id))!.has(`done/${id}`);
    if (reported.completed.has(id)) {
      assert.ok(!pending.has(id), `${id} was completed (acknowledged) but is pending again`);
      assert.ok(hasState, `${id} was completed (acknowledged) but its state is lost`);
    } else if (!reported.issued.has(id)) {
      assert.ok(pending.has(id), `${id} was acknowledged, never completed, and is lost`);
    }
    // The heart of it: completion and state are one commit.
    assert.equal(
      hasState,
      !pending.has(id),
      `${id}: ${pending.has(id) ? 'pending with its state present' : 'completed without its state'}`,
    );
  }
  for (const [agent, state] of states) {
    for (let slot = 0; slot < SLOTS; slot++) {
      assert.equal(
        state.get(`slot-${slot}-a`),
        state.get(`slot-${slot}-b`),
        `${agent} slot ${slot}: one transaction's keys differ (half applied)`,
      );
    }
  }
  return { pending: pending.size, warnings };
}

describe('crash: kill -9 while completing with state', () => {
  for (const fsync of ['always', 'never'] as const) {
    test(`fsync ${fsync}: every completion is there with all of its state, or neither is`, async (t) => {
      const dir = await tempDir(t, 'caxton-state-crash-');
      const reported = new Reported();
      for (let round = 1; round <= ROUNDS; round++) {
        const completes = await runAndKill(dir, fsync, round, reported);
        const { pending, warnings } = await verify(dir, reported);
        t.diagnostic(
          `round ${round}: ${completes} acknowledged completions, ${reported.completed.size} completed so far, ${pending} pending after recovery; warnings [${[...new Set(warnings)].join(', ')}]; child stats ${reported.lastStats}`,
        );
      }
    });
  }
});
