/**
 * Decision 2199: the files whose appends are acknowledged without an fdatasync — the audit trail's
 * segments, the registry journal, the message log's segments under fsync `always` — are open
 * O_DSYNC, as the kernel reports it (/proc/self/fdinfo), also after each rotates to a new file.
 * Without the flag their appends would be acknowledged before they are durable. Linux only: elsewhere
 * the flag is not used and each write is followed by fdatasync (DSYNC_WRITES is false).
 */
import assert from 'node:assert/strict';
import { constants as fsConstants, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { AuditEntry } from '@caxton/core';
import { FileAuditTrail, segmentFileName } from '../../src/audit/file-audit-trail.js';
import { JournalWriter } from '../../src/registry/embedded/journal.js';
import { EmbeddedMessageLog } from '../../src/log/embedded/index.js';
import { DSYNC_WRITES } from '../../src/storage/dsync-writes.js';

/** The open flags of every descriptor this process holds on `file` (none open: empty). */
function openFlags(file: string): number[] {
  const flags: number[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    if (target !== file) continue;
    const line = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('flags:'));
    flags.push(Number.parseInt(line!.split(/\s+/)[1]!, 8));
  }
  return flags;
}

function assertDsync(file: string): void {
  const flags = openFlags(file);
  assert.ok(flags.length > 0, `${path.basename(file)} is open`);
  for (const f of flags) assert.ok((f & fsConstants.O_DSYNC) !== 0, `${path.basename(file)} is open O_DSYNC (flags ${f.toString(8)})`);
}

function entry(i: number): AuditEntry {
  return {
    time: '2026-11-30T00:00:00.000Z',
    node: 'n1',
    method: 'SendMessage',
    role: 'admin',
    token: '',
    peer: 'in-process',
    kind: 'intent',
    args: { sha256: 'a'.repeat(64), bytes: i, fields: { agent: 'x'.repeat(300) } },
  };
}

describe('appends acknowledged without an fdatasync are open O_DSYNC (decision 2199)', { skip: !DSYNC_WRITES && 'not Linux' }, () => {
  const dirs: string[] = [];
  const temp = async (): Promise<string> => {
    const dir = await mkdtemp(path.join(tmpdir(), 'caxton-dsync-'));
    dirs.push(dir);
    return dir;
  };
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it("the audit trail's segment, and the next one after a rotation", async () => {
    const dir = await temp();
    const trail = await FileAuditTrail.open({ dir, segmentBytes: 64 * 1024 });
    try {
      await trail.append(entry(0));
      assertDsync(path.join(dir, segmentFileName(0)));
      while (trail.segmentFirsts.length < 2) await trail.append(entry(1));
      assertDsync(path.join(dir, segmentFileName(trail.segmentFirsts[1]!)));
    } finally {
      await trail.close();
    }
  });

  it('the registry journal, and the journal it rotates to', async () => {
    const dir = await temp();
    const journal = await JournalWriter.open(path.join(dir, 'journal-1'));
    try {
      await journal.append([]);
      assertDsync(path.join(dir, 'journal-1'));
      await journal.rotate(async () => path.join(dir, 'journal-2'));
      assertDsync(path.join(dir, 'journal-2'));
    } finally {
      await journal.close();
    }
  });

  it("the message log's active segment under fsync always", async () => {
    const dir = await temp();
    const log = new EmbeddedMessageLog({ dir, fsync: 'always' });
    await log.open();
    try {
      const segments = readdirSync(dir, { recursive: true })
        .map(String)
        .filter((f) => f.endsWith('.seg'));
      assert.ok(segments.length > 0, `a segment in ${readdirSync(dir, { recursive: true }).join(', ')}`);
      const open = segments.map((f) => path.join(dir, f)).filter((f) => openFlags(f).length > 0);
      assert.ok(open.length > 0, 'an active segment is open');
      for (const f of open) assertDsync(f);
    } finally {
      await log.close();
    }
  });
});
