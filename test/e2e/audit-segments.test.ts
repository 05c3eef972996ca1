/**
 * The audit trail in segments with retention (decision 1790), against a real `caxton serve` with a
 * small segment size, real CLI processes and the real file trail: the chain verifies across
 * segments and an export holds them all; deleting a segment from the middle, or the oldest one the
 * node did not prune, is named by `caxton audit verify` (exit 12, "records missing", with a hint);
 * pruning by retention verifies clean and says from which record.
 */
import assert from 'node:assert/strict';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { caxton, show } from './support/cli.js';
import { stopStragglers } from './support/processes.js';
import { startServe, type Serve } from './support/serve.js';

const SEGMENT_BYTES = 65536; // the floor: ~150 records a segment
const EXIT_SEGMENT_MISSING = 12;

/** `pairs` refused changes (stopping agents that do not exist): an intent and an outcome each, sent 25 at a time. */
async function changes(serve: Serve, pairs: number): Promise<void> {
  const client = await serve.client();
  try {
    for (let i = 0; i < pairs; i += 25) {
      const burst = Array.from({ length: Math.min(25, pairs - i) }, (_, k) =>
        client.stop(`ghost-${i + k}`).then(
          () => assert.fail('a ghost agent was stopped'),
          (err: { grpcCode?: number }) => assert.equal(err.grpcCode, 5), // NOT_FOUND, recorded all the same
        ),
      );
      await Promise.all(burst);
    }
  } finally {
    client.close();
  }
}

/** The first record a segment file holds, by its name: `trail.jsonl` is segment 0. */
function firstOf(file: string): number {
  return file === 'trail.jsonl' ? 0 : Number(/^trail\.(\d{16})\.jsonl$/.exec(file)![1]);
}

/** The segment files, oldest first. */
async function segments(serve: Serve): Promise<string[]> {
  return (await readdir(path.join(serve.dataDir, 'audit'))).filter((f) => f.startsWith('trail')).sort((a, b) => firstOf(a) - firstOf(b));
}

describe('the audit trail in segments, against a real caxton serve', () => {
  const started: Serve[] = [];
  after(async () => {
    await stopStragglers();
    for (const s of started) if (s.proc.running) await s.stop();
  });

  it('verifies across segments, exports them all, and names a segment deleted from the middle', async () => {
    const serve = await startServe({ args: ['--audit-segment-bytes', String(SEGMENT_BYTES)] });
    started.push(serve);
    await changes(serve, 350);
    const files = await segments(serve);
    assert.ok(files.length >= 4, files.join(' '));
    assert.equal(files[0], 'trail.jsonl', 'a trail begun before segments is segment 0 as it stands');
    const good = await caxton(['audit', 'verify', ...serve.conn]);
    assert.equal(good.code, 0, show(good));
    assert.match(good.stdout, /intact: 700 records, head #699 /);
    const exported = await caxton(['audit', 'export', ...serve.conn]);
    assert.equal(exported.code, 0, show(exported));
    const lines = exported.stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => (JSON.parse(l) as { position: number }).position);
    assert.deepEqual(
      lines,
      Array.from({ length: 700 }, (_, i) => i),
    );

    await rm(path.join(serve.dataDir, 'audit', files[2]!));
    const cut = await caxton(['audit', 'verify', ...serve.conn]);
    assert.equal(cut.code, EXIT_SEGMENT_MISSING, show(cut));
    const first = firstOf(files[2]!);
    assert.match(
      cut.stdout,
      new RegExp(
        `BROKEN at record \\d+: records missing — records ${first}\\.\\.\\d+ are missing from storage, between records that are there`,
      ),
    );
    assert.match(cut.stdout, /hint: records the node did not delete by retention are gone/);
  });

  it('retention prunes old segments and verifies clean; the oldest kept segment deleted is named', async () => {
    const serve = await startServe({ args: ['--audit-segment-bytes', String(SEGMENT_BYTES), '--audit-retain-segments', '2'] });
    started.push(serve);
    await changes(serve, 450);
    const files = await segments(serve);
    assert.equal(files.length, 3, `two closed segments and the current one: ${files.join(' ')}`);
    assert.ok(!files.includes('trail.jsonl'), 'segment 0 was pruned');
    const from = firstOf(files[0]!);
    const pruned = await caxton(['audit', 'verify', ...serve.conn]);
    assert.equal(pruned.code, 0, show(pruned));
    assert.match(
      pruned.stdout,
      new RegExp(
        `intact: ${900 - from} records from #${from} \\(records before it deleted by retention, as the signed anchor says\\), head #899 `,
      ),
    );

    // An attacker deleting the oldest kept segment: not what the signed anchor says was pruned.
    await rm(path.join(serve.dataDir, 'audit', files[0]!));
    const cut = await caxton(['audit', 'verify', ...serve.conn]);
    assert.equal(cut.code, EXIT_SEGMENT_MISSING, show(cut));
    assert.match(
      cut.stdout,
      new RegExp(
        `records missing — records ${from}\\.\\.\\d+ are missing from storage: the signed anchor says retention kept the trail from record ${from}, so the oldest kept segment was deleted outside retention`,
      ),
    );
    const json = await caxton(['audit', 'verify', '--json', ...serve.conn]);
    assert.equal(json.code, EXIT_SEGMENT_MISSING, show(json));
    assert.equal((JSON.parse(json.stdout) as { fault: { reason: string } }).fault.reason, 'segment-missing');
  });
});
