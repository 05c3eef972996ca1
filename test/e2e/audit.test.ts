/**
 * The audit trail as operators meet it (decisions 1402, 1701): a real `caxton serve`, real CLI
 * processes. A scripted session yields exactly its records (each change an intent and an outcome);
 * one flipped byte in the stored trail makes `caxton audit verify` fail naming that record; every
 * call acknowledged before a kill -9 is there after a restart, and a change cut by the kill shows
 * as "outcome unknown".
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { createHash } from 'node:crypto';
import type { AuditRecord } from '@caxton/core';
import { caxton, show } from './support/cli.js';
import { builtExample } from './support/paths.js';
import { stopStragglers } from './support/processes.js';
import { startServe, type Serve } from './support/serve.js';

function records(stdout: string): AuditRecord[] {
  return stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditRecord);
}

/** `index kind method role code error agent` (an intent has no result, an outcome no arguments). */
function summary(r: AuditRecord): string {
  const result = r.kind === 'intent' ? ' ' : `${r.result.code} ${r.result.error}`;
  return `${r.index} ${r.kind ?? 'call'} ${r.method} ${r.role} ${result} ${r.kind === 'outcome' ? `of ${r.intent.index}` : (r.args.fields.agent ?? '')}`.trimEnd();
}

function fingerprint(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 16);
}

describe('caxton audit, against a real caxton serve', () => {
  const started: Serve[] = [];
  after(async () => {
    await stopStragglers();
    for (const s of started) if (s.proc.running) await s.stop();
  });

  it('records a scripted session exactly, and `audit verify` names a record whose stored bytes were flipped', async () => {
    const serve = await startServe();
    started.push(serve);
    const wasm = builtExample('as-echo', 'as-echo.wasm');
    const steps: [string[], number][] = [
      [['deploy', wasm, '--name', 'echo'], 0],
      [['agents'], 0], // a read: not recorded
      [['send', 'echo', 'request', 'hello'], 0],
      [['stop', 'echo'], 0],
      [['agents', '--token', 'w'.repeat(43)], 5], // a failed authentication
      // RPCs the recorder was written without knowing (the kill switch, decision 1403).
      [['freeze'], 0],
      [['thaw'], 0],
    ];
    for (const [args, code] of steps) {
      const r = await caxton([...args, ...serve.conn]);
      assert.equal(r.code, code, `${args.join(' ')}: ${show(r)}`);
    }
    const listed = await caxton(['audit', '--json', ...serve.conn]);
    assert.equal(listed.code, 0, show(listed));
    const trail = records(listed.stdout);
    assert.deepEqual(trail.map(summary), [
      '0 intent DeployAgent admin   echo',
      '1 outcome DeployAgent admin OK  of 0',
      '2 intent SendMessage admin',
      '3 outcome SendMessage admin OK  of 2',
      '4 intent StopAgent admin   echo',
      '5 outcome StopAgent admin OK  of 4',
      '6 call ListAgents none UNAUTHENTICATED api.unauthenticated',
      '7 intent Freeze admin',
      '8 outcome Freeze admin OK  of 7',
      '9 intent Thaw admin',
      '10 outcome Thaw admin OK  of 9',
    ]);
    assert.equal(trail[2]!.kind === 'intent' && trail[2]!.args.fields.receivers, 'echo');
    const admin = fingerprint(serve.token());
    assert.deepEqual(
      trail.map((r) => r.token),
      [...Array(6).fill(admin), fingerprint('w'.repeat(43)), ...Array(4).fill(admin)],
    );
    assert.ok(trail.every((r) => r.node === serve.nodeId && /127\.0\.0\.1:\d+$/.test(r.peer)));

    // One line per change, with its outcome.
    const human = await caxton(['audit', ...serve.conn]);
    assert.match(human.stdout, /^#4 {2}\S+Z {2}\S+ {2}StopAgent {2}admin [0-9a-f]{8} {2}\S+ {2}agent=echo force=false {2}OK \(#5\)$/m);
    assert.equal(human.stdout.trim().split('\n').length, 6, human.stdout);
    const good = await caxton(['audit', 'verify', ...serve.conn]);
    assert.equal(good.code, 0, show(good));
    assert.match(good.stdout, /audit trail intact: 11 records, head #10 [0-9a-f]{64}/);

    // One byte of record 4 (the stop's intent), as stored: "StopAgent" becomes "StopAgenu".
    const file = path.join(serve.dataDir, 'audit', 'trail.jsonl');
    const bytes = await readFile(file);
    const at = bytes.indexOf('"StopAgent"') + 'StopAgent'.length;
    bytes[at] = bytes[at]! + 1;
    await writeFile(file, bytes);
    const bad = await caxton(['audit', 'verify', ...serve.conn]);
    assert.equal(bad.code, 1, show(bad));
    assert.match(bad.stdout, /audit trail BROKEN at record 4: hash mismatch — record 4 was altered/);
    const json = await caxton(['audit', 'verify', '--json', ...serve.conn]);
    const verdict = JSON.parse(json.stdout) as { ok: boolean; verified: number; fault: { position: number; reason: string } };
    assert.deepEqual(
      [json.code, verdict.ok, verdict.verified, verdict.fault.position, verdict.fault.reason],
      [1, false, 4, 4, 'hash-mismatch'],
    );
  });

  it('keeps every record acknowledged before a kill -9, and continues the chain after the restart', async () => {
    const serve = await startServe();
    started.push(serve);
    const client = await serve.client();
    // Four callers keep the node busy (stops of agents that do not exist: each written ahead, then
    // answered NOT_FOUND once its outcome is recorded) until twenty answers are in; then kill -9.
    let acknowledged = 0;
    let stop = false;
    let enough!: () => void;
    const twenty = new Promise<void>((r) => {
      enough = r;
    });
    const callers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; !stop; i += 1) {
        try {
          await client.stop(`ghost-${w}-${i}`);
        } catch (err) {
          if ((err as { grpcCode?: number }).grpcCode !== 5) return; // the node is gone
          acknowledged += 1;
          if (acknowledged >= 20) enough();
        }
      }
    });
    await twenty;
    serve.proc.child.kill('SIGKILL');
    await serve.proc.done;
    stop = true;
    await Promise.allSettled(callers);
    const again = await startServe({ dataDir: serve.dataDir });
    started.push(again);
    const listed = await caxton(['audit', '--json', ...again.conn]);
    assert.equal(listed.code, 0, show(listed));
    const all = records(listed.stdout);
    const stops = all.filter((r) => r.kind === 'outcome' && r.method === 'StopAgent' && r.result.code === 'NOT_FOUND');
    assert.ok(stops.length >= acknowledged, `${acknowledged} calls were answered, ${stops.length} recorded`);
    // Every outcome closes an intent; intents the kill cut short (at most one per caller) have none.
    const intents = all.filter((r) => r.kind === 'intent');
    const open = intents.length - stops.length;
    assert.ok(open >= 0 && open <= 4, `${intents.length} intents, ${stops.length} outcomes`);
    const human = await caxton(['audit', ...again.conn]);
    assert.equal(human.stdout.split('\n').filter((l) => l.endsWith('outcome unknown')).length, open, human.stdout);
    const after = await caxton(['stop', 'ghost-after', ...again.conn]);
    assert.equal(after.code, 3, show(after));
    const verify = await caxton(['audit', 'verify', ...again.conn]);
    assert.equal(verify.code, 0, show(verify));
    assert.match(verify.stdout, new RegExp(`intact: ${all.length + 2} records`));
  });
});
