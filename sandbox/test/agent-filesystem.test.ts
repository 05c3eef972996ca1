/**
 * The WASI file system over an agent's state (decision 2191), driven as jco's glue drives it:
 * paths, files and directories as state keys, writes kept for the call and buffered at its end,
 * the limits checked before the work, and every refusal a WASI error code.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AGENT_FILE_LIMITS, type AgentFileLimits, decodeStoredFile, directoryStateKey, fileStateKey, resolveAgentPath } from '@caxton/core';
import { StateView } from '../src/host/state-view.js';
import { guardFilesystemImports } from '../src/jco/lift-guard.js';
import { AgentFileSystem, type Descriptor, filesystemErrorCode } from '../src/wasi/filesystem.js';
import { IoError } from '../src/wasi/streams.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const RW = { read: true, write: true };
const FOLLOW = { symlinkFollow: true };
const CREATE_FLAGS = { create: true };

function setup(limits: Partial<AgentFileLimits> = {}, state = new StateView()) {
  let charged = 0;
  let now = 1_700_000_000_123;
  const fs = new AgentFileSystem({ state, charge: (b) => (charged += 1 + b), nowMs: () => now, limits });
  const [[root, name]] = fs.preopens() as [[Descriptor, string]];
  state.begin(false);
  return {
    fs,
    root,
    name,
    state,
    charged: () => charged,
    tick: (ms: number) => (now += ms),
    /** Ends the call as the sandbox does: files into the buffer, then the commit. */
    commit: () => {
      fs.flush();
      const writes = state.commit();
      state.begin(false);
      return writes;
    },
    write: (path: string, text: string) => {
      const d = root.openAt(FOLLOW, path, { create: true, truncate: true }, RW);
      d.write(enc.encode(text), 0n);
      return d;
    },
    read: (path: string) => {
      const d = root.openAt(FOLLOW, path, {}, { read: true });
      return dec.decode(d.read(1_000_000n, 0n)[0]);
    },
  };
}

/** The error code `fn` is refused with. */
function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (typeof err === 'string') return err;
    if (typeof err === 'object' && err !== null && 'val' in err) return filesystemErrorCode((err as { val: unknown }).val) ?? 'no code';
    throw err;
  }
  return 'no error';
}

describe('agent paths (resolveAgentPath)', () => {
  const L = AGENT_FILE_LIMITS;
  it('resolves . and .. within /data and refuses what climbs out, is absolute, has control characters or is too long', () => {
    assert.deepEqual(resolveAgentPath('', 'a/./b//c', L), { path: 'a/b/c' });
    assert.deepEqual(resolveAgentPath('a/b', '../c', L), { path: 'a/c' });
    assert.deepEqual(resolveAgentPath('', '.', L), { path: '' });
    assert.deepEqual(resolveAgentPath('', '..', L), { refused: 'not-permitted' });
    assert.deepEqual(resolveAgentPath('a', '../../etc/passwd', L), { refused: 'not-permitted' });
    assert.deepEqual(resolveAgentPath('', '/etc/passwd', L), { refused: 'not-permitted' });
    assert.deepEqual(resolveAgentPath('', 'a\u0000b', L), { refused: 'invalid' });
    assert.deepEqual(resolveAgentPath('', 'a\u007fb', L), { refused: 'invalid' });
    assert.deepEqual(resolveAgentPath('', '\ud800x', L), { refused: 'illegal-byte-sequence' });
    assert.deepEqual(resolveAgentPath('', 'n'.repeat(256), L), { refused: 'name-too-long' });
    assert.deepEqual(resolveAgentPath('', 'x/'.repeat(L.maxPathBytes), L), { refused: 'name-too-long' });
    assert.deepEqual(resolveAgentPath('', Array.from({ length: L.maxDepth + 1 }, () => 'd').join('/'), L), { refused: 'name-too-long' });
  });
});

describe('the file system over the state (decision 2191)', () => {
  it('preopens /data only', () => {
    const t = setup();
    assert.equal(t.name, '/data');
    assert.equal(t.root.getType(), 'directory');
  });

  it('keeps a file as one reserved key written at the end of the call, with the handling’s time as its mtime', () => {
    const t = setup();
    t.write('notes.txt', 'hello');
    assert.equal(t.state.readReserved(fileStateKey('notes.txt'))?.length, 14, 'the created empty file only, until the call ends');
    const writes = t.commit();
    const stored = writes.find((w) => w.key === fileStateKey('notes.txt'))!;
    const file = decodeStoredFile(stored.value!)!;
    assert.equal(dec.decode(file.bytes), 'hello');
    assert.equal(file.mtimeMs, 1_700_000_000_123);
    assert.equal(t.read('notes.txt'), 'hello');
    const stat = t.root.statAt(FOLLOW, 'notes.txt');
    assert.equal(stat.type, 'regular-file');
    assert.equal(stat.size, 5n);
    assert.deepEqual(stat.dataModificationTimestamp, { seconds: 1_700_000_000n, nanoseconds: 123_000_000 });
    assert.ok(t.charged() > 0, 'every call is charged');
  });

  it('a crashed call’s writes vanish: the next call sees the old file', () => {
    const t = setup();
    t.write('a.txt', 'old');
    t.commit();
    const d = t.root.openAt(FOLLOW, 'a.txt', {}, RW);
    d.write(enc.encode('NEW'), 0n);
    t.write('b.txt', 'new file');
    // The sandbox's crash path: the instance's afterCall flushes, then the state is discarded.
    t.fs.flush();
    t.state.discard();
    t.state.begin(false);
    assert.equal(t.read('a.txt'), 'old');
    assert.equal(
      code(() => t.read('b.txt')),
      'no-entry',
    );
  });

  it('streams read and write at their offsets, append at the end, and read to the end then close', () => {
    const t = setup();
    const d = t.write('s.txt', 'abcdef');
    const out = d.writeViaStream(2n);
    out.blockingWriteAndFlush(enc.encode('XY'));
    d.appendViaStream().write(enc.encode('!'));
    const input = d.readViaStream(1n);
    assert.equal(dec.decode(input.read(3n)), 'bXY');
    assert.equal(dec.decode(input.blockingRead(100n)), 'ef!');
    assert.throws(
      () => input.read(1n),
      (e: unknown) => (e as { tag: string }).tag === 'closed',
    );
    t.commit();
    assert.equal(t.read('s.txt'), 'abXYef!');
  });

  it('directories: made, listed in order with their types, removed only when empty; renames move everything below', () => {
    const t = setup();
    t.root.createDirectoryAt('docs');
    t.root.createDirectoryAt('docs/inner');
    t.write('docs/inner/x.txt', 'x');
    t.write('docs/b.txt', 'b');
    t.write('top.txt', 't');
    assert.equal(
      code(() => t.root.createDirectoryAt('docs')),
      'exist',
    );
    assert.equal(
      code(() => t.root.createDirectoryAt('none/deeper')),
      'no-entry',
    );
    const list = (d: Descriptor) => {
      const s = d.readDirectory();
      const out: string[] = [];
      for (let e = s.readDirectoryEntry(); e !== undefined; e = s.readDirectoryEntry()) out.push(`${e.name}:${e.type}`);
      return out;
    };
    assert.deepEqual(list(t.root), ['docs:directory', 'top.txt:regular-file']);
    const docs = t.root.openAt(FOLLOW, 'docs', { directory: true }, { read: true });
    assert.deepEqual(list(docs), ['b.txt:regular-file', 'inner:directory']);
    assert.equal(
      code(() => t.root.removeDirectoryAt('docs')),
      'not-empty',
    );
    assert.equal(
      code(() => t.root.unlinkFileAt('docs')),
      'is-directory',
    );
    assert.equal(
      code(() => t.root.removeDirectoryAt('top.txt')),
      'not-directory',
    );
    t.commit();
    t.root.renameAt('docs', t.root, 'moved');
    t.commit();
    assert.equal(t.read('moved/inner/x.txt'), 'x');
    assert.equal(t.read('moved/b.txt'), 'b');
    assert.equal(
      code(() => t.read('docs/b.txt')),
      'no-entry',
    );
    assert.equal(
      code(() => t.root.renameAt('moved', t.root, 'moved/inside')),
      'invalid',
    );
    t.root.unlinkFileAt('moved/inner/x.txt');
    t.root.removeDirectoryAt('moved/inner');
    assert.deepEqual(list(t.root.openAt(FOLLOW, 'moved', { directory: true }, { read: true })), ['b.txt:regular-file']);
    assert.equal(t.state.readReserved(directoryStateKey('moved/inner')), undefined);
  });

  it('renaming a file changed in the same call moves its new bytes', () => {
    const t = setup();
    t.write('a.txt', 'changed');
    t.root.renameAt('a.txt', t.root, 'b.txt');
    t.commit();
    assert.equal(t.read('b.txt'), 'changed');
    assert.equal(
      code(() => t.read('a.txt')),
      'no-entry',
    );
  });

  it('no links, times the work’s whatever the guest sets, no sync flags', () => {
    const t = setup();
    t.write('f', 'x');
    assert.equal(
      code(() => t.root.symlinkAt('f', 'link')),
      'not-permitted',
    );
    assert.equal(
      code(() => t.root.linkAt()),
      'not-permitted',
    );
    assert.equal(
      code(() => t.root.readlinkAt('f')),
      'invalid',
    );
    // A guest's times are taken and let go (a copy that keeps times carries on); a missing path is still refused.
    assert.equal(
      code(() => t.root.setTimesAt(FOLLOW, 'f')),
      'no error',
    );
    assert.equal(
      code(() => t.root.setTimesAt(FOLLOW, 'missing')),
      'no-entry',
    );
    assert.equal(
      code(() => t.root.openAt(FOLLOW, 'f', {}, { read: true, fileIntegritySync: true })),
      'invalid',
    );
    assert.equal(
      code(() => t.root.openAt(FOLLOW, '../f', {}, { read: true })),
      'not-permitted',
    );
  });

  it('refuses a file past maxFileBytes before growing it, and a state past its quota, as codes a stream’s error carries', () => {
    const t = setup({ maxFileBytes: 1000 });
    const d = t.write('f', '');
    assert.equal(
      code(() => d.write(new Uint8Array(1001), 0n)),
      'file-too-large',
    );
    const out = d.writeViaStream(0n);
    out.write(new Uint8Array(600));
    assert.equal(
      code(() => out.write(new Uint8Array(600))),
      'file-too-large',
    );
    assert.equal(d.stat().size, 600n, 'the refused write changed nothing');

    const small = setup({}, new StateView([], { maxTotalBytes: 2000 }));
    const f = small.write('a', '');
    f.write(new Uint8Array(1000), 0n); // 1,336 characters stored
    const g = small.write('b', '');
    assert.equal(
      code(() => g.write(new Uint8Array(600), 0n)),
      'insufficient-space',
      'counted beside the other file changed in this call',
    );
    small.commit();
    assert.equal(
      code(() => small.write('c', 'x'.repeat(600))),
      'insufficient-space',
    );
  });

  it('refuses entries past maxEntries and open descriptors past maxOpen, and writes during init', () => {
    const t = setup({ maxEntries: 2, maxOpen: 3 });
    t.write('a', '');
    t.write('b', '');
    assert.equal(
      code(() => t.write('c', '')),
      'insufficient-space',
    );
    t.root.openAt(FOLLOW, 'a', {}, { read: true });
    assert.equal(
      code(() => t.root.openAt(FOLLOW, 'a', {}, { read: true })),
      'too-many-open-files',
    );

    const init = setup();
    init.state.begin(true);
    assert.equal(
      code(() => init.write('x', 'y')),
      'read-only',
    );
  });

  it('a stream error carries its file system code (filesystem-error-code)', () => {
    assert.equal(filesystemErrorCode(new IoError('x', 'insufficient-space')), 'insufficient-space');
    assert.equal(filesystemErrorCode(new IoError('x')), undefined);
    assert.equal(filesystemErrorCode({}), undefined);
  });

  it('files count against the agent’s state quotas and are its own data, yet the state calls never see them', () => {
    const t = setup();
    t.write('f', 'x'.repeat(300));
    t.commit();
    assert.ok(t.state.usage().bytes > 400);
    assert.deepEqual(t.state.keys('', undefined, 100).keys, []);
    assert.equal(t.state.get(fileStateKey('f')), undefined);
  });

  it('a truncation alone is saved: open for writing with truncate, setSize', () => {
    const t = setup();
    t.write('f', 'some text');
    t.commit();
    t.root.openAt(FOLLOW, 'f', { truncate: true }, RW);
    t.commit();
    assert.equal(t.read('f'), '');
    t.write('g', 'abcdef');
    t.commit();
    t.root.openAt(FOLLOW, 'g', {}, RW).setSize(3n);
    t.commit();
    assert.equal(t.read('g'), 'abc');
  });

  it('opening /data itself and dropping it again does not use up the open descriptors', () => {
    const t = setup({ maxOpen: 3 });
    const dispose = (d: Descriptor) => (d as unknown as Record<symbol, () => void>)[Symbol.dispose ?? Symbol.for('dispose')]!();
    for (let i = 0; i < 10; i++) dispose(t.root.openAt(FOLLOW, '.', { directory: true }, { read: true }));
    for (let i = 0; i < 10; i++) dispose(t.write('f', 'x'));
    assert.equal(t.read('f'), 'x');
  });

  it('after a rename in the same call the old path is gone, and nothing written through it comes back', () => {
    const t = setup();
    const d = t.write('a', 'one');
    t.root.renameAt('a', t.root, 'b');
    assert.equal(
      code(() => t.root.statAt(FOLLOW, 'a')),
      'no-entry',
    );
    assert.equal(
      code(() => d.write(enc.encode('two'), 0n)),
      'no-entry',
    );
    t.root.createDirectoryAt('dir');
    t.write('dir/x', 'x');
    t.root.renameAt('dir', t.root, 'moved');
    assert.equal(
      code(() => t.root.statAt(FOLLOW, 'dir/x')),
      'no-entry',
    );
    const writes = t.commit();
    assert.equal(t.read('b'), 'one');
    assert.equal(t.read('moved/x'), 'x');
    assert.ok(!writes.some((w) => w.key === fileStateKey('a') && w.value !== null));
    assert.ok(!writes.some((w) => w.key === fileStateKey('dir/x') && w.value !== null));
  });

  it('room granted to a file’s growth is not given to a state write of the same call (nothing is refused at the call’s end)', () => {
    const state = new StateView([], { maxTotalBytes: 3000 });
    const t = setup({}, state);
    t.write('f', 'x'.repeat(1500)); // about 2,000 characters stored
    assert.equal(state.set('k', 'v'.repeat(1500))?.kind, 'quota-exceeded');
    assert.doesNotThrow(() => t.commit());
  });

  it('a directory rename that would put a path past the limits moves nothing', () => {
    const t = setup({ maxPathBytes: 20 });
    t.root.createDirectoryAt('d');
    t.write('d/0123456789', 'x');
    t.commit();
    assert.equal(
      code(() => t.root.renameAt('d', t.root, 'longer-name')),
      'name-too-long',
    );
    t.commit();
    assert.equal(t.read('d/0123456789'), 'x');
    assert.equal(
      code(() => t.root.statAt(FOLLOW, 'longer-name')),
      'no-entry',
    );
  });

  it('a name ending in / names a directory; create with directory is invalid', () => {
    const t = setup();
    t.write('f', 'x');
    assert.equal(
      code(() => t.root.openAt(FOLLOW, 'f/', {}, { read: true })),
      'not-directory',
    );
    assert.equal(
      code(() => t.root.statAt(FOLLOW, 'f/')),
      'not-directory',
    );
    assert.equal(
      code(() => t.root.openAt(FOLLOW, 'new', { create: true, directory: true }, { read: true })),
      'invalid',
    );
  });
});

describe('the file system’s reservations near the quota (decision 2191)', () => {
  it('a shrink’s room is not lent to another file’s growth before it is written; nothing is refused at the call’s end', () => {
    const state = new StateView([], { maxTotalBytes: 6000 });
    const t = setup({}, state);
    t.write('x', 'x'.repeat(2400)); // 3,200 characters stored
    t.write('y', '');
    t.write('z', '');
    t.commit();
    // Y and Z are loaded first; X is emptied; Y grows into the room there is; Z's growth is refused
    // (X's room is freed only when X is written), where netting would have let both through and
    // refused one at the end.
    t.read('y');
    t.read('z');
    t.root.openAt(FOLLOW, 'x', { truncate: true }, RW);
    const room = state.roomLeft();
    t.root.openAt(FOLLOW, 'y', {}, RW).write(new Uint8Array(Math.floor(((room - 40) * 3) / 4)), 0n);
    assert.equal(
      code(() => t.root.openAt(FOLLOW, 'z', {}, RW).write(new Uint8Array(600), 0n)),
      'insufficient-space',
    );
    assert.doesNotThrow(() => t.commit());
    assert.equal(t.read('x'), '');
  });

  it('a file rename that the quota cannot hold moves nothing (the file is not lost)', () => {
    const state = new StateView([], { maxTotalBytes: 200 });
    const t = setup({}, state);
    t.write('log', 'y'.repeat(90));
    t.commit();
    const room = state.roomLeft();
    assert.equal(
      code(() => t.root.renameAt('log', t.root, 'l'.repeat(room + 10))),
      'insufficient-space',
    );
    t.commit();
    assert.equal(t.read('log'), 'y'.repeat(90));
  });

  it('a zero-byte write past the end extends nothing; a rename of a file named with a trailing / is refused', () => {
    const t = setup();
    const d = t.write('f', 'ab');
    assert.equal(d.write(new Uint8Array(0), 10n), 0n);
    assert.equal(d.stat().size, 2n);
    assert.equal(
      code(() => t.root.renameAt('f/', t.root, 'g')),
      'not-directory',
    );
  });
});

describe('the file system’s lift guard (decision 2191)', () => {
  it('hands jco an oversized path or write cut to nothing, and the file system refuses the call unread', () => {
    const t = setup();
    const lifted: number[][] = [];
    // jco's glue as the guard calls it: here it records what it was asked to lift, then calls the host.
    const w = t.write('w', '');
    const glue = {
      '[method]descriptor.open-at': (...a: number[]) => {
        lifted.push(a);
        return code(() => t.root.openAt(FOLLOW, 'x'.repeat(a[3]!), CREATE_FLAGS, RW));
      },
      '[method]descriptor.write': (...a: number[]) => {
        lifted.push(a);
        return code(() => w.write(new Uint8Array(a[2]!), 0n));
      },
      '[method]descriptor.rename-at': (...a: number[]) => void lifted.push(a),
    };
    const guarded = guardFilesystemImports(glue, t.fs) as Record<string, (...a: number[]) => unknown>;
    assert.equal(guarded['[method]descriptor.open-at']!(1, 0, 64, 100_000, 0, 0, 8), 'name-too-long');
    assert.deepEqual(lifted.at(-1), [1, 0, 0, 0, 0, 0, 8], 'the path cut to nothing before jco decodes it');
    assert.equal(guarded['[method]descriptor.open-at']!(1, 0, 64, 5, 0, 0, 8), 'no error', 'a path within the limit goes through');
    assert.equal(guarded['[method]descriptor.write']!(2, 64, AGENT_FILE_LIMITS.maxFileBytes + 1, 0, 8), 'file-too-large');
    assert.deepEqual(lifted.at(-1), [2, 0, 0, 0, 8]);
    guarded['[method]descriptor.rename-at']!(1, 64, 3, 1, 96, 100_000, 8);
    assert.deepEqual(lifted.at(-1), [1, 0, 0, 1, 0, 0, 8], 'both paths cut when either is over');
    assert.equal(
      code(() => t.write('after', 'ok')),
      'no error',
      'the refusal ends with the call',
    );
  });
});
