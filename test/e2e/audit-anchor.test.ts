/**
 * The anchored audit trail on one node (decision 1750): real `caxton serve` processes, real CLI
 * processes, the real file trail and embedded registry. A node restarted on a trail cut short
 * behind its signed anchor refuses to start, says why and how to go on; `--accept-audit-truncation`
 * goes on and records that it did. A record stored with a duplicated key (its parsed fields, and so
 * its hash, unchanged) is named by `caxton audit verify` as not canonical. The audit key is the
 * data directory's, 0600, and `caxton audit key` shows its public half.
 */
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { AuditRecord } from '@caxton/core';
import { caxton, show } from './support/cli.js';
import { stopStragglers } from './support/processes.js';
import { startServe, type Serve } from './support/serve.js';

function records(stdout: string): AuditRecord[] {
  return stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditRecord);
}

/** Four records: Freeze and Thaw, each an intent and an outcome. */
async function fourRecords(serve: Serve): Promise<void> {
  for (const args of [['freeze'], ['thaw']]) {
    const r = await caxton([...args, ...serve.conn]);
    assert.equal(r.code, 0, show(r));
  }
}

function trailFile(dataDir: string): string {
  return path.join(dataDir, 'audit', 'trail.jsonl');
}

describe('the anchored audit trail, against a real caxton serve', () => {
  const started: Serve[] = [];
  after(async () => {
    await stopStragglers();
    for (const s of started) if (s.proc.running) await s.stop();
  });

  it('refuses to start on a trail cut behind its anchor, and with --accept-audit-truncation records the acceptance', async () => {
    const serve = await startServe();
    started.push(serve);
    await fourRecords(serve);
    const verified = await caxton(['audit', 'verify', ...serve.conn]);
    assert.equal(verified.code, 0, show(verified));
    assert.match(verified.stdout, /intact: 4 records, head #3 [0-9a-f]{64}/);
    assert.match(verified.stdout, new RegExp(`anchor: #3 [0-9a-f]{64} signed \\S+Z by node ${serve.nodeId}`));
    const key = await caxton(['audit', 'key', '--json', ...serve.conn]);
    assert.equal(key.code, 0, show(key));
    const { algorithm, publicKey } = JSON.parse(key.stdout) as { algorithm: string; publicKey: string };
    assert.equal(algorithm, 'ed25519');
    assert.equal(Buffer.from(publicKey, 'base64').length, 32);
    assert.ok(verified.stdout.includes(publicKey), verified.stdout);
    assert.equal((await stat(path.join(serve.dataDir, 'audit-key'))).mode & 0o777, 0o600);
    // An export verifies later without the node, with the same checks and exit codes.
    const exported = await caxton(['audit', 'export', ...serve.conn]);
    assert.equal(exported.code, 0, show(exported));
    const exportLines = exported.stdout.trim().split('\n');
    assert.equal(exportLines.length, 5, exported.stdout);
    assert.equal((JSON.parse(exportLines[0]!) as { publicKey: string }).publicKey, publicKey);
    const exportFile = path.join(path.dirname(serve.dataDir), 'export.jsonl');
    await writeFile(exportFile, exported.stdout);
    await serve.stop({ keepData: true });
    const offline = await caxton(['audit', 'verify', '--input', exportFile, '--trust-key', publicKey]);
    assert.equal(offline.code, 0, show(offline));
    assert.match(offline.stdout, /intact: 4 records, head #3 .*\nanchor: #3 /);
    await writeFile(exportFile, `${exportLines.slice(0, 3).join('\n')}\n`);
    const offlineCut = await caxton(['audit', 'verify', '--input', exportFile, '--trust-key', publicKey]);
    assert.equal(offlineCut.code, 9, show(offlineCut));
    assert.match(offlineCut.stdout, /BROKEN at record 2: truncated/);

    // Cut the last two records (the thaw), as someone hiding it would.
    const lines = (await readFile(trailFile(serve.dataDir), 'utf8')).split('\n').filter(Boolean);
    await writeFile(trailFile(serve.dataDir), `${lines.slice(0, 2).join('\n')}\n`);
    const refused = await caxton(['serve', '--json', '--data-dir', serve.dataDir, '--api-port', '0']);
    assert.equal(refused.code, 1, show(refused));
    const said = refused.stderr;
    assert.match(
      said,
      /ends at record 1, but its anchor \(signed \S+ by node \S+\) covers records up to 3: 2 records were cut off its end/,
      show(refused),
    );
    assert.match(said, /--accept-audit-truncation/, show(refused));
    assert.equal((await readFile(trailFile(serve.dataDir), 'utf8')).split('\n').filter(Boolean).length, 2, 'nothing was appended');

    const accepted = await startServe({ dataDir: serve.dataDir, args: ['--accept-audit-truncation'] });
    started.push(accepted);
    const listed = await caxton(['audit', '--json', ...accepted.conn]);
    assert.equal(listed.code, 0, show(listed));
    const trail = records(listed.stdout);
    assert.equal(trail.length, 3);
    const acceptance = trail[2]!;
    assert.equal(acceptance.method, 'AcceptAuditTruncation');
    assert.ok(acceptance.kind === undefined && acceptance.result.code === 'OK');
    assert.deepEqual(
      acceptance.kind === undefined && [
        acceptance.args.fields.problem,
        acceptance.args.fields.anchoredIndex,
        acceptance.args.fields.trailEnd,
        acceptance.args.fields.trailEndHash,
      ],
      ['audit.truncated', '3', '1', trail[1]!.hash],
    );
    const after = await caxton(['audit', 'verify', ...accepted.conn]);
    assert.equal(after.code, 0, show(after));
    assert.match(after.stdout, /intact: 3 records, head #2 .*\nanchor: #2 /);
    // The acceptance is needed once: the next start finds the trail at its (new) anchor.
    await accepted.stop({ keepData: true });
    const again = await startServe({ dataDir: serve.dataDir });
    started.push(again);
    const listedAgain = await caxton(['audit', '--json', ...again.conn]);
    assert.equal(records(listedAgain.stdout).length, 3, listedAgain.stdout);
    await again.stop();
  });

  it('names a record stored with a duplicated key as not canonical, though its parsed fields hash right', async () => {
    const serve = await startServe();
    started.push(serve);
    await fourRecords(serve);
    await serve.stop({ keepData: true });
    const lines = (await readFile(trailFile(serve.dataDir), 'utf8')).split('\n').filter(Boolean);
    // Record 1 (the freeze's outcome) says two methods; JSON.parse keeps the last, so the record
    // read back is the one that was hashed.
    const forged = lines[1]!.replace('"method":"Freeze"', '"method":"DeployAgent","method":"Freeze"');
    assert.notEqual(forged, lines[1]);
    assert.deepEqual(JSON.parse(forged), JSON.parse(lines[1]!));
    lines[1] = forged;
    await writeFile(trailFile(serve.dataDir), `${lines.join('\n')}\n`);

    const again = await startServe({ dataDir: serve.dataDir });
    started.push(again);
    const bad = await caxton(['audit', 'verify', ...again.conn]);
    assert.equal(bad.code, 1, show(bad));
    assert.match(bad.stdout, /audit trail BROKEN at record 1: not canonical — record 1 is not stored in its canonical encoding/);
    assert.match(bad.stdout, /hint: the stored bytes were edited/);
    const json = await caxton(['audit', 'verify', '--json', ...again.conn]);
    const verdict = JSON.parse(json.stdout) as { ok: boolean; verified: number; fault: { position: number; reason: string } };
    assert.deepEqual(
      [json.code, verdict.ok, verdict.verified, verdict.fault.position, verdict.fault.reason],
      [1, false, 1, 1, 'not-canonical'],
    );
    await again.stop();
  });
});
