/**
 * Short writes (a real FileHandle whose `write` is held to a few bytes per call, as a signal or a
 * nearly full disk can make it): every byte still lands, in order, and a write that makes no
 * progress is refused instead of looping. The registry journal, which counted a frame as written
 * whatever `write` returned, replays every mutation after short writes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mkdtemp, open, readFile, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFully } from '../../src/storage/write-fully.js';
import { JournalWriter, recoverJournal } from '../../src/registry/embedded/journal.js';

type Write = FileHandle['write'];

/** Holds every FileHandle's write to at most `cap` bytes per call while `body` runs. */
async function withShortWrites<T>(cap: number, body: () => Promise<T>): Promise<T> {
  const probe = await open(join(tmpdir(), `caxton-probe-${process.pid}`), 'w');
  const proto = Object.getPrototypeOf(probe) as { write: Write };
  await probe.close();
  await rm(join(tmpdir(), `caxton-probe-${process.pid}`), { force: true });
  const real = proto.write;
  proto.write = function (this: FileHandle, data: unknown, offset?: unknown, length?: unknown, position?: unknown) {
    if (data instanceof Uint8Array) {
      const from = typeof offset === 'number' ? offset : 0;
      const want = typeof length === 'number' ? length : data.length - from;
      return (real as (...args: unknown[]) => ReturnType<Write>).call(this, data, from, Math.min(want, cap), position);
    }
    return (real as (...args: unknown[]) => ReturnType<Write>).call(this, data, offset, length, position);
  } as Write;
  try {
    return await body();
  } finally {
    proto.write = real;
  }
}

describe('writes that come back short', () => {
  it('writeFully continues after short writes until every byte is written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'caxton-write-fully-'));
    try {
      const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
      const fh = await open(join(dir, 'f'), 'a');
      await withShortWrites(7, () => writeFully(fh, bytes));
      await fh.close();
      assert.deepEqual(await readFile(join(dir, 'f')), bytes);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('writeFully refuses a write that makes no progress', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'caxton-write-fully-'));
    try {
      const fh = await open(join(dir, 'f'), 'a');
      const stuck = Object.assign(Object.create(fh) as FileHandle, {
        write: async (buffer: Uint8Array) => ({ bytesWritten: 0, buffer }),
      });
      await assert.rejects(writeFully(stuck, Buffer.from('abc')), /no progress at byte 0 of 3/);
      await fh.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the registry journal replays every mutation written through short writes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'caxton-journal-short-'));
    try {
      const path = join(dir, 'journal');
      const writer = await JournalWriter.open(path);
      const names = Array.from({ length: 20 }, (_, i) => `agent-${i}@short-writes`);
      await withShortWrites(5, () => Promise.all(names.map((name) => writer.append([{ op: 'agent-del', name }]))));
      await writer.close();
      const { mutations, droppedBytes } = await recoverJournal(path);
      assert.equal(droppedBytes, 0);
      assert.deepEqual(
        mutations,
        names.map((name) => ({ op: 'agent-del', name })),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
