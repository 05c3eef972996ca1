import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { verifyAuditChain, type AuditEntry, type StoredAuditRecord } from '@caxton/core';
import { sha256Hex } from '../../src/audit/audit-trail.js';
import { AUDIT_FILE_NAME, FileAuditTrail, scanTrail } from '../../src/audit/file-audit-trail.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function freshDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'caxton-audit-'));
  dirs.push(dir);
  return dir;
}

function entry(method: string, agent: string): AuditEntry {
  return {
    time: new Date(0).toISOString(),
    node: 'n1',
    method,
    role: 'admin',
    token: 'feedfacecafebeef',
    peer: '127.0.0.1:1',
    args: { sha256: sha256Hex(Buffer.from(agent)), bytes: agent.length, fields: { agent } },
    result: { code: 'OK', error: '' },
  };
}

async function all(trail: FileAuditTrail): Promise<StoredAuditRecord[]> {
  return trail.read(0, 1_000_000);
}

describe('FileAuditTrail', () => {
  it('chains concurrent appends in one order, resolving each with its sealed record', async () => {
    const dir = await freshDir();
    const trail = await FileAuditTrail.open({ dir });
    const records = await Promise.all(Array.from({ length: 50 }, (_, i) => trail.append(entry('SendMessage', `a${i}`))));
    assert.deepEqual(
      records.map((r) => r.index),
      Array.from({ length: 50 }, (_, i) => i),
    );
    const stored = await all(trail);
    const result = verifyAuditChain(stored, sha256Hex);
    assert.equal(result.fault, undefined);
    assert.deepEqual(result.head, { index: 49, hash: records[49]!.hash });
    assert.deepEqual(
      (await trail.read(48, 10)).map((r) => r.position),
      [48, 49],
    );
    assert.deepEqual(await trail.read(50, 10), []);
    await trail.close();
  });

  it('continues the chain after a reopen', async () => {
    const dir = await freshDir();
    const first = await FileAuditTrail.open({ dir });
    await first.append(entry('DeployAgent', 'echo'));
    await first.close();
    const second = await FileAuditTrail.open({ dir });
    const r = await second.append(entry('StopAgent', 'echo'));
    assert.equal(r.index, 1);
    assert.equal(verifyAuditChain(await all(second), sha256Hex).fault, undefined);
    await second.close();
  });

  it('cuts a torn tail (a partial line, NUL-filled lines) and nothing before it', async () => {
    const dir = await freshDir();
    const trail = await FileAuditTrail.open({ dir });
    for (const a of ['a', 'b', 'c']) await trail.append(entry('SendMessage', a));
    await trail.close();
    const file = path.join(dir, AUDIT_FILE_NAME);
    const good = await readFile(file);
    await appendFile(
      file,
      Buffer.concat([Buffer.from('{"args":{"by'), Buffer.alloc(40), Buffer.from('\n'), Buffer.alloc(30), Buffer.from('\n{"ind')]),
    );
    const warnings: string[] = [];
    const reopened = await FileAuditTrail.open({ dir, onWarning: (m) => warnings.push(m) });
    assert.equal(reopened.count, 3);
    assert.match(warnings[0] ?? '', /torn tail/);
    assert.deepEqual(await readFile(file), good);
    assert.equal((await reopened.append(entry('StopAgent', 'd'))).index, 3);
    assert.equal(verifyAuditChain(await all(reopened), sha256Hex).fault, undefined);
    await reopened.close();
  });

  it('keeps a damaged record in the middle for verify to name, and refuses to continue an unreadable last one', async () => {
    const dir = await freshDir();
    const trail = await FileAuditTrail.open({ dir });
    for (const a of ['a', 'b', 'c']) await trail.append(entry('SendMessage', a));
    await trail.close();
    const file = path.join(dir, AUDIT_FILE_NAME);
    const bytes = await readFile(file);
    const second = bytes.indexOf('\n') + 1;
    const flipped = Buffer.from(bytes);
    flipped[second + 2] = flipped[second + 2]! ^ 0x01;
    await writeFile(file, flipped);
    const reopened = await FileAuditTrail.open({ dir });
    assert.equal(reopened.count, 3);
    const { fault } = verifyAuditChain(await all(reopened), sha256Hex);
    assert.equal(fault?.position, 1);
    await reopened.close();

    // The last line complete (newline-terminated, no NUL) yet not a record: damage, not a torn write.
    const third = bytes.indexOf('\n', second) + 1;
    await writeFile(file, Buffer.concat([bytes.subarray(0, third), Buffer.from('{"index":2,"hash":"not a hash"}\n')]));
    await assert.rejects(
      FileAuditTrail.open({ dir }),
      (err: Error & { code?: string }) => err.code === 'audit.corrupt' && /record 2/.test(err.message),
    );
  });

  it('scanTrail: lines and where the good part ends', () => {
    const text = Buffer.from('{"a":1}\n{"b":2}\n{"c');
    const { starts, end } = scanTrail(text);
    assert.deepEqual(starts, [0, 8]);
    assert.equal(end, 16);
  });

  it('follow: stored records, then new ones as they are appended', async () => {
    const dir = await freshDir();
    const trail = await FileAuditTrail.open({ dir });
    await trail.append(entry('DeployAgent', 'x'));
    const seen: number[] = [];
    let resolveThird!: () => void;
    const third = new Promise<void>((r) => {
      resolveThird = r;
    });
    const stop = trail.follow(0, {
      next: (r) => {
        seen.push(r.position);
        if (seen.length === 3) resolveThird();
      },
      end: (err) => {
        throw err ?? new Error('ended');
      },
    });
    await trail.append(entry('SendMessage', 'y'));
    await trail.append(entry('StopAgent', 'x'));
    await third;
    stop();
    assert.deepEqual(seen, [0, 1, 2]);
    await trail.close();
  });
});
