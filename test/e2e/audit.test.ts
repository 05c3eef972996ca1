/**
 * The audit trail as operators meet it (decision 1402): a real `caxton serve`, real CLI processes.
 * A scripted session yields exactly its records; one flipped byte in the stored trail makes
 * `caxton audit verify` fail naming that record; records of calls acknowledged before a kill -9 are
 * all there after a restart.
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
  return stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditRecord);
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
    assert.deepEqual(trail.map((r) => `${r.index} ${r.method} ${r.role} ${r.result.code} ${r.result.error} ${r.args.fields.agent ?? ''}`), [
      '0 DeployAgent admin OK  echo',
      '1 SendMessage admin OK  ',
      '2 StopAgent admin OK  echo',
      '3 ListAgents none UNAUTHENTICATED api.unauthenticated ',
      '4 Freeze admin OK  ',
      '5 Thaw admin OK  ',
    ]);
    assert.equal(trail[1]!.args.fields.receivers, 'echo');
    assert.deepEqual(trail.map((r) => r.token), [...Array(3).fill(fingerprint(serve.token())), fingerprint('w'.repeat(43)), ...Array(2).fill(fingerprint(serve.token()))]);
    assert.ok(trail.every((r) => r.node === serve.nodeId && /127\.0\.0\.1:\d+$/.test(r.peer)));

    const human = await caxton(['audit', ...serve.conn]);
    assert.match(human.stdout, /^#2 {2}\S+Z {2}\S+ {2}StopAgent {2}admin [0-9a-f]{8} {2}\S+ {2}agent=echo force=false {2}OK$/m);
    const good = await caxton(['audit', 'verify', ...serve.conn]);
    assert.equal(good.code, 0, show(good));
    assert.match(good.stdout, /audit trail intact: 6 records, head #5 [0-9a-f]{64}/);

    // One byte of record 2, as stored: "StopAgent" becomes "StopAgenu".
    const file = path.join(serve.dataDir, 'audit', 'trail.jsonl');
    const bytes = await readFile(file);
    const at = bytes.indexOf('"StopAgent"') + 'StopAgent'.length;
    bytes[at] = bytes[at]! + 1;
    await writeFile(file, bytes);
    const bad = await caxton(['audit', 'verify', ...serve.conn]);
    assert.equal(bad.code, 1, show(bad));
    assert.match(bad.stdout, /audit trail BROKEN at record 2: hash mismatch — record 2 was altered/);
    const json = await caxton(['audit', 'verify', '--json', ...serve.conn]);
    const verdict = JSON.parse(json.stdout) as { ok: boolean; verified: number; fault: { position: number; reason: string } };
    assert.deepEqual([json.code, verdict.ok, verdict.verified, verdict.fault.position, verdict.fault.reason], [1, false, 2, 2, 'hash-mismatch']);
  });

  it('keeps every record acknowledged before a kill -9, and continues the chain after the restart', async () => {
    const serve = await startServe();
    started.push(serve);
    const client = await serve.client();
    // Four callers keep the node busy (stops of agents that do not exist: answered NOT_FOUND, and
    // recorded before the answer) until twenty answers are in; then kill -9 mid-stream.
    let acknowledged = 0;
    let stop = false;
    let enough!: () => void;
    const twenty = new Promise<void>((r) => { enough = r; });
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
    const stops = records(listed.stdout).filter((r) => r.method === 'StopAgent' && r.result.code === 'NOT_FOUND');
    assert.ok(stops.length >= acknowledged, `${acknowledged} calls were answered, ${stops.length} recorded`);
    const after = await caxton(['stop', 'ghost-after', ...again.conn]);
    assert.equal(after.code, 3, show(after));
    const verify = await caxton(['audit', 'verify', ...again.conn]);
    assert.equal(verify.code, 0, show(verify));
    assert.match(verify.stdout, new RegExp(`intact: ${stops.length + 1} records`));
  });
});
