/**
 * Anchoring (decision 1750) over the real file trail and the real embedded registry: every append
 * resolves with a signed anchor covering it in the registry, which survives the registry's
 * compaction; a trail reopened behind its anchor, or rewritten under it, is refused with a typed
 * error unless the truncation is accepted (and recorded); a replaced audit key is recorded; a key
 * file others can read is refused.
 */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { checkSignedCheckpoint, decodeRecord, decodeSignedCheckpoint, type AuditEntry } from '@caxton/core';
import { AnchoredAuditTrail } from '../../src/audit/anchored-audit-trail.js';
import { AUDIT_KEY_FILE_NAME, ensureAuditKey, verifyEd25519 } from '../../src/audit/audit-key.js';
import { AUDIT_FILE_NAME, FileAuditTrail } from '../../src/audit/file-audit-trail.js';
import { EmbeddedRegistry } from '../../src/registry/embedded/embedded-registry.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function entry(method: string): AuditEntry {
  return {
    time: new Date().toISOString(),
    node: 'n1',
    method,
    role: 'admin',
    token: 'f'.repeat(16),
    peer: 'in-process',
    args: { sha256: '0'.repeat(64), bytes: 0, fields: {} },
    result: { code: 'OK', error: '' },
  };
}

interface Opened {
  trail: AnchoredAuditTrail;
  registry: EmbeddedRegistry;
  close(): Promise<void>;
}

async function open(dir: string, o: { acceptTruncation?: boolean; compactAfterBytes?: number } = {}): Promise<Opened> {
  const file = await FileAuditTrail.open({ dir: path.join(dir, 'audit') });
  const registry = new EmbeddedRegistry({
    dir: path.join(dir, 'registry'),
    ...(o.compactAfterBytes ? { compactAfterBytes: o.compactAfterBytes } : {}),
  });
  await registry.open();
  try {
    const trail = await AnchoredAuditTrail.open({
      trail: file,
      anchors: registry,
      key: await ensureAuditKey(dir),
      nodeId: 'n1',
      ...(o.acceptTruncation ? { acceptTruncation: true } : {}),
      report: (err) => {
        throw err;
      },
    });
    return {
      trail,
      registry,
      close: async () => {
        await trail.close();
        await registry.close();
      },
    };
  } catch (err) {
    await file.close();
    await registry.close();
    throw err;
  }
}

async function fresh(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'caxton-anchor-'));
  dirs.push(dir);
  return dir;
}

describe('AnchoredAuditTrail over a file trail and the embedded registry', () => {
  it('anchors every append, signed by the node key, and the anchor survives compaction and reopening', async () => {
    const dir = await fresh();
    const a = await open(dir, { compactAfterBytes: 2048 });
    const key = await ensureAuditKey(dir);
    assert.equal((await stat(path.join(dir, AUDIT_KEY_FILE_NAME))).mode & 0o777, 0o600);
    const first = await a.trail.append(entry('Freeze'));
    // Concurrent appends share anchor writes; each resolves covered.
    const more = await Promise.all(Array.from({ length: 40 }, (_, i) => a.trail.append(entry(`M${i}`))));
    const last = more.reduce((m, r) => (r.index > m.index ? r : m));
    const info = await a.trail.anchorInfo();
    assert.equal(info.key, key.publicKey);
    const anchor = decodeSignedCheckpoint(info.anchor!);
    assert.deepEqual(
      [anchor.checkpoint.index, anchor.checkpoint.hash, anchor.checkpoint.trail, anchor.checkpoint.node],
      [last.index, last.hash, first.hash, 'n1'],
    );
    assert.equal(checkSignedCheckpoint(anchor, [key.publicKey], verifyEd25519), undefined);
    await a.close();
    const b = await open(dir);
    assert.equal((await b.trail.anchorInfo()).anchor, info.anchor, 'kept across the snapshot the journal was compacted into');
    await b.close();
  });

  it('refuses a trail cut behind its anchor (audit.truncated) and one rewritten under it (audit.anchor-mismatch)', async () => {
    const dir = await fresh();
    const a = await open(dir);
    for (const m of ['A', 'B', 'C', 'D']) await a.trail.append(entry(m));
    await a.close();
    const file = path.join(dir, 'audit', AUDIT_FILE_NAME);
    const lines = (await readFile(file, 'utf8')).split('\n').filter(Boolean);
    await writeFile(file, `${lines.slice(0, 3).join('\n')}\n`);
    await assert.rejects(
      open(dir),
      (err: { code?: string; message: string; hint?: string }) =>
        err.code === 'audit.truncated' &&
        /ends at record 2, but its anchor .* covers records up to 3: 1 records were cut off/.test(err.message) &&
        /--accept-audit-truncation/.test(err.hint ?? ''),
    );
    // The same length, another last record: a rewrite under the anchor.
    const other = await open(await fresh());
    for (const m of ['W', 'X', 'Y', 'Z']) await other.trail.append(entry(m));
    await other.close();
    await writeFile(
      file,
      `${lines.slice(0, 3).join('\n')}\n${(await readFile(path.join(dirs[dirs.length - 1]!, 'audit', AUDIT_FILE_NAME), 'utf8')).split('\n')[3]}\n`,
    );
    await assert.rejects(open(dir), (err: { code?: string }) => err.code === 'audit.anchor-mismatch');
  });

  it('with acceptTruncation goes on, recording what was anchored and where the trail ended, and re-anchors', async () => {
    const dir = await fresh();
    const a = await open(dir);
    for (const m of ['A', 'B', 'C']) await a.trail.append(entry(m));
    await a.close();
    const file = path.join(dir, 'audit', AUDIT_FILE_NAME);
    const lines = (await readFile(file, 'utf8')).split('\n').filter(Boolean);
    await writeFile(file, `${lines[0]}\n`);
    const b = await open(dir, { acceptTruncation: true });
    const [accepted] = await b.trail.read(1, 1);
    const record = decodeRecord(accepted!.bytes);
    assert.equal(record.method, 'AcceptAuditTruncation');
    assert.ok(record.kind === undefined);
    assert.deepEqual(record.kind === undefined && record.args.fields, {
      problem: 'audit.truncated',
      anchoredIndex: '2',
      anchoredHash: JSON.parse(lines[2]!).hash,
      anchoredBy: 'n1',
      trailEnd: '0',
      trailEndHash: JSON.parse(lines[0]!).hash,
    });
    assert.equal(decodeSignedCheckpoint((await b.trail.anchorInfo()).anchor!).checkpoint.index, 1);
    await b.close();
    await (await open(dir)).close(); // once accepted, the next start needs nothing
  });

  it('records a replaced audit key, and refuses a key file others can read', async () => {
    const dir = await fresh();
    const a = await open(dir);
    await a.trail.append(entry('A'));
    const oldKey = (await a.trail.anchorInfo()).key;
    await a.close();
    await rm(path.join(dir, AUDIT_KEY_FILE_NAME));
    const b = await open(dir);
    const [changed] = await b.trail.read(1, 1);
    const record = decodeRecord(changed!.bytes);
    const info = await b.trail.anchorInfo();
    assert.equal(record.method, 'ChangeAuditKey');
    assert.deepEqual(record.kind === undefined && [record.args.fields.previousKey, record.args.fields.key], [
      oldKey.slice(0, 16),
      info.key,
    ]);
    assert.equal(decodeSignedCheckpoint(info.anchor!).key, info.key);
    await b.close();
    await chmod(path.join(dir, AUDIT_KEY_FILE_NAME), 0o644);
    await assert.rejects(ensureAuditKey(dir), (err: { code?: string }) => err.code === 'audit.key-exposed');
  });
});
