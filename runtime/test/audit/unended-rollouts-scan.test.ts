/**
 * The start-up scan for rollouts with no end (decision 1871) over a real file trail: trails written
 * before `AbortRollout` records, and a window that runs out before the trail's start.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { AuditRecord } from '@caxton/core';
import { FileAuditTrail } from '../../src/audit/file-audit-trail.js';
import { findUnendedRollouts } from '../../src/audit/unended-rollouts.js';

const who = { time: '2026-01-02T03:04:05.678Z', node: 'node-a', role: 'admin', token: '', peer: 'in-process' } as const;

describe('the start-up scan for unended rollouts', () => {
  let dir: string;
  let trail: FileAuditTrail;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-unended-scan-'));
    trail = await FileAuditTrail.open({ dir: path.join(dir, 'audit') });
  });
  afterEach(async () => {
    await trail.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** One change: its intent, then its outcome. */
  const change = async (method: string, fields: Record<string, string>, code = 'OK'): Promise<AuditRecord> => {
    const intent = await trail.append({ ...who, kind: 'intent', method, args: { sha256: '0'.repeat(64), bytes: 0, fields } });
    await trail.append({
      ...who,
      kind: 'outcome',
      method,
      intent: { index: intent.index, hash: intent.hash },
      result: { code, error: '' },
    });
    return intent;
  };
  const rollout = (agent: string) => change('UpgradeAgent', { agent, artifact: 'ab', strategy: 'blue-green' });

  it("a trail from before AbortRollout records: the operator's rollback or stop ended the rollout", async () => {
    await change('DeployAgent', { agent: 'a' });
    await rollout('a');
    await change('RollbackAgent', { agent: 'a' });
    await rollout('b');
    await change('StopAgent', { agent: 'b' });
    await rollout('c'); // still open
    const scan = await findUnendedRollouts(trail);
    assert.deepEqual(
      scan.unended.map((u) => u.agent),
      ['c'],
    );
    assert.equal(scan.reachedStart, true);
  });

  it("says when the window ran out before the trail's start (a rollout before it is not seen)", async () => {
    await rollout('early');
    for (let i = 0; i < 10; i++) await change('SendMessage', { receivers: 'x' });
    const short = await findUnendedRollouts(trail, { window: 8 });
    assert.deepEqual(
      { unended: short.unended, reachedStart: short.reachedStart, from: short.from },
      { unended: [], reachedStart: false, from: 14 },
    );
    const whole = await findUnendedRollouts(trail, { window: 22 });
    assert.deepEqual(
      { unended: whole.unended.map((u) => u.agent), reachedStart: whole.reachedStart },
      { unended: ['early'], reachedStart: true },
    );
  });
});
