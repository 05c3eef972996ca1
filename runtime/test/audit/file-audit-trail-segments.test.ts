/**
 * The file trail in segments (decision 1790), on real files: rotation past the segment size with
 * the chain running across; a reopen that reads only the last segment and continues; a crash that
 * left an empty new segment; a deleted middle segment left out of reads (for verify to name);
 * and retention through the anchored trail — the anchor says where the trail starts before old
 * segments are deleted, and the pruned trail verifies clean against it and reopens.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { checkSignedCheckpoint, decodeSignedCheckpoint, verifyAuditChain, type AuditEntry, type StoredAuditRecord } from '@caxton/core';
import { sha256Hex } from '../../src/audit/audit-trail.js';
import { AnchoredAuditTrail } from '../../src/audit/anchored-audit-trail.js';
import { ensureAuditKey, verifyEd25519 } from '../../src/audit/audit-key.js';
import { FileAuditTrail, segmentFileName } from '../../src/audit/file-audit-trail.js';
import { EmbeddedRegistry } from '../../src/registry/embedded/embedded-registry.js';

const SEGMENT = 64 * 1024; // the floor: a record is ~400 bytes, so ~160 a segment
const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function freshDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'caxton-segments-'));
  dirs.push(dir);
  return dir;
}

function entry(i: number): AuditEntry {
  return {
    time: new Date(0).toISOString(),
    node: 'n1',
    method: 'SendMessage',
    role: 'admin',
    token: 'feedfacecafebeef',
    peer: '127.0.0.1:1',
    args: { sha256: sha256Hex(Buffer.from(String(i))), bytes: 8, fields: { agent: `agent-${i}` } },
    result: { code: 'OK', error: '' },
  };
}

async function all(trail: { read(from: number, limit: number): Promise<StoredAuditRecord[]> }): Promise<StoredAuditRecord[]> {
  const out: StoredAuditRecord[] = [];
  for (let page = await trail.read(0, 100); page.length > 0; page = await trail.read(page[page.length - 1]!.position + 1, 100))
    out.push(...page);
  return out;
}

/** Appends in concurrent bursts (several records per fdatasync, as under load) until `n` are stored. */
async function fill(trail: { append(e: AuditEntry): Promise<unknown> }, from: number, n: number): Promise<void> {
  for (let i = from; i < from + n; i += 50)
    await Promise.all(Array.from({ length: Math.min(50, from + n - i) }, (_, k) => trail.append(entry(i + k))));
}

async function segmentFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.startsWith('trail')).sort();
}

describe('FileAuditTrail in segments', () => {
  it('starts a new segment past the size, the chain running across, and reopens reading only the last', async () => {
    const dir = await freshDir();
    const trail = await FileAuditTrail.open({ dir, segmentBytes: SEGMENT });
    await fill(trail, 0, 600);
    const firsts = [...trail.segmentFirsts];
    assert.ok(firsts.length >= 3, `segments: ${firsts.join(',')}`);
    assert.deepEqual(await segmentFiles(dir), firsts.map(segmentFileName).sort());
    for (const first of firsts.slice(0, -1)) {
      const size = (await stat(path.join(dir, segmentFileName(first)))).size;
      assert.ok(
        size >= SEGMENT && size < SEGMENT + 50 * 1024,
        `segment ${first}: ${size} bytes (a segment closes at the batch that passes the size)`,
      );
    }
    const stored = await all(trail);
    assert.deepEqual(
      stored.map((r) => r.position),
      Array.from({ length: 600 }, (_, i) => i),
    );
    assert.equal(verifyAuditChain(stored, sha256Hex).fault, undefined);
    // A read starting inside a closed segment, crossing into the next.
    assert.deepEqual(
      (await trail.read(firsts[1]! - 2, 4)).map((r) => r.position),
      [firsts[1]! - 2, firsts[1]! - 1, firsts[1]!, firsts[1]! + 1],
    );
    await trail.close();

    const reopened = await FileAuditTrail.open({ dir, segmentBytes: SEGMENT });
    assert.deepEqual([reopened.count, [...reopened.segmentFirsts]], [600, firsts]);
    assert.equal((await reopened.append(entry(600))).index, 600);
    assert.equal(verifyAuditChain(await all(reopened), sha256Hex).fault, undefined);
    await reopened.close();
  });

  it('drops an empty segment a crash left while rotating, and continues from the one before', async () => {
    const dir = await freshDir();
    const trail = await FileAuditTrail.open({ dir, segmentBytes: SEGMENT });
    await fill(trail, 0, 200);
    const count = trail.count;
    await trail.close();
    await writeFile(path.join(dir, segmentFileName(count)), '');
    const warnings: string[] = [];
    const reopened = await FileAuditTrail.open({ dir, segmentBytes: SEGMENT, onWarning: (m) => warnings.push(m) });
    assert.match(warnings.join('\n'), /removed the empty segment/);
    assert.equal((await reopened.append(entry(count))).index, count);
    assert.equal(verifyAuditChain(await all(reopened), sha256Hex).fault, undefined);
    await reopened.close();
  });

  it('reads past a segment deleted from the middle, so that verification names it', async () => {
    const dir = await freshDir();
    const trail = await FileAuditTrail.open({ dir, segmentBytes: SEGMENT });
    await fill(trail, 0, 600);
    const [, second, third] = trail.segmentFirsts;
    await rm(path.join(dir, segmentFileName(second!)));
    const { fault } = verifyAuditChain(await all(trail), sha256Hex);
    assert.deepEqual([fault?.reason, fault?.position], ['segment-missing', third]);
    await trail.close();
  });

  it('refuses bad settings with a typed error naming the flag', async () => {
    await assert.rejects(
      FileAuditTrail.open({ dir: await freshDir(), segmentBytes: 1000 }),
      (err: { code?: string; hint?: string }) => err.code === 'limits.out-of-range' && /--audit-segment-bytes/.test(err.hint ?? ''),
    );
  });
});

describe('retention through the anchored trail', () => {
  async function open(dir: string): Promise<{ trail: AnchoredAuditTrail; file: FileAuditTrail; close(): Promise<void> }> {
    const file = await FileAuditTrail.open({ dir: path.join(dir, 'audit'), segmentBytes: SEGMENT, retainSegments: 2 });
    const registry = new EmbeddedRegistry({ dir: path.join(dir, 'registry') });
    await registry.open();
    const trail = await AnchoredAuditTrail.open({
      trail: file,
      anchors: registry,
      key: await ensureAuditKey(dir),
      nodeId: 'n1',
      report: (err) => {
        throw err;
      },
    });
    return {
      trail,
      file,
      close: async () => {
        await trail.close();
        await registry.close();
      },
    };
  }

  it('signs where the trail starts before deleting old segments; the rest verifies clean against it and reopens', async () => {
    const dir = await freshDir();
    const a = await open(dir);
    await fill(a.trail, 0, 1000);
    const firsts = a.file.segmentFirsts;
    assert.equal(firsts.length, 3, `two closed segments kept besides the current: ${firsts.join(',')}`);
    assert.deepEqual(await segmentFiles(path.join(dir, 'audit')), firsts.map(segmentFileName).sort());
    const info = await a.trail.anchorInfo();
    const anchor = decodeSignedCheckpoint(info.anchor!);
    assert.equal(checkSignedCheckpoint(anchor, [info.key], verifyEd25519), undefined);
    assert.equal(anchor.checkpoint.retained?.from, firsts[0]);
    const stored = await all(a.trail);
    assert.equal(stored[0]!.position, firsts[0]);
    const expect = [{ index: anchor.checkpoint.index, hash: anchor.checkpoint.hash, source: 'anchor' as const }];
    const verdict = verifyAuditChain(stored, sha256Hex, undefined, expect, anchor.checkpoint.retained);
    assert.equal(verdict.fault, undefined);
    assert.deepEqual([verdict.head?.index, verdict.verified], [999, 1000 - firsts[0]!]);
    // Without the retention record the same trail is missing its oldest records.
    assert.equal(verifyAuditChain(stored, sha256Hex, undefined, expect).fault?.reason, 'segment-missing');
    await a.close();

    const b = await open(dir);
    const next = await b.trail.append(entry(1000));
    assert.equal(next.index, 1000);
    const again = decodeSignedCheckpoint((await b.trail.anchorInfo()).anchor!);
    assert.deepEqual(
      [again.checkpoint.index, again.checkpoint.trail, again.checkpoint.retained],
      [1000, anchor.checkpoint.trail, anchor.checkpoint.retained],
    );
    await b.close();
  });

  it('deletes nothing while the anchor saying where the trail starts cannot be stored, and retains once it can', async () => {
    const dir = await freshDir();
    const file = await FileAuditTrail.open({ dir: path.join(dir, 'audit'), segmentBytes: SEGMENT, retainSegments: 2 });
    const registry = new EmbeddedRegistry({ dir: path.join(dir, 'registry') });
    await registry.open();
    let down = false;
    const anchors = {
      readAuditAnchor: () => registry.readAuditAnchor(),
      writeAuditAnchor: async (anchor: string) => {
        if (down) throw new Error('registry unavailable');
        await registry.writeAuditAnchor(anchor);
      },
    };
    const reported: string[] = [];
    const trail = await AnchoredAuditTrail.open({
      trail: file,
      anchors,
      key: await ensureAuditKey(dir),
      nodeId: 'n1',
      report: (_err, what) => reported.push(what),
    });
    down = true;
    await fill(trail, 0, 1000);
    assert.ok(
      reported.some((w) => w.includes('retention')),
      'the failed retention anchor is reported',
    );
    // A retention pass after the failed one must not take it for stored (it deleted segments before).
    assert.equal(file.segmentFirsts[0], 0, 'no segment deleted while no anchor says where the trail starts');
    assert.ok(file.segmentFirsts.length > 3);
    down = false;
    await trail.append(entry(1000));
    const anchor = decodeSignedCheckpoint((await trail.anchorInfo()).anchor!);
    assert.equal(anchor.checkpoint.index, 1000);
    assert.equal(anchor.checkpoint.retained?.from, file.segmentFirsts[0]);
    assert.ok(file.segmentFirsts[0]! > 0, 'retained once the anchor is stored');
    await trail.close();
    await registry.close();
  });
});
