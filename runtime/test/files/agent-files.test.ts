/**
 * An agent's files at /data (decision 2191) on a real node (embedded log) with real agents in each
 * language that has a file API (examples/<language>-files) using the language's own API: files written by one handling are read by the
 * next and survive a restart of the node; a crash mid-handling leaves no half-written file, and the
 * message handled again sees the old file each time; the quotas and every escape attempt are
 * errors the guest sees (errno names), never a host path.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AGENT_FILE_LIMITS, fileStateKey, isFileStateKey, type StateEntry } from '@caxton/core';
import { artifact } from '../api/support/rollout-node.js';
import { asker, startServedNode, type ServedNode } from '../api/support/served-node.js';
import { eventually } from '../api/support/harness.js';

/** What differs between the languages' own file APIs (their libcs map the same WASI codes their own way). */
interface Language {
  example: string;
  /** What the agent answers for a write past the file size limit, and past the state quota. */
  tooLarge: string;
  full: string;
  /** What each escape attempt answers (an attempt the language cannot even express is absent). */
  escapes: Record<string, string>;
  /** The agent answers `many N` (N files written in one handling: its SDK gives each handle back) and `unmany N`. */
  many?: true;
}

const LANGUAGES: Language[] = [
  {
    // Python's libc (wasi-libc) answers any error of a stream's write EIO; the file system's code
    // (file-too-large, insufficient-space) is what the stream's error carries.
    example: 'py-files',
    tooLarge: 'error:EIO',
    full: 'error:EIO',
    escapes: {
      // `..` past /data is refused by the file system (not-permitted); an absolute path outside /data
      // names no directory the agent has (its libc finds no preopen for it).
      up: 'error:EPERM',
      upup: 'error:EPERM',
      abs: 'error:ENOENT',
      symlink: 'error:EPERM',
      hardlink: 'error:EPERM',
      // WASI has no call that makes a special file: Python for WASI has no os.mkfifo at all.
      fifo: 'error:AttributeError',
      long: 'error:ENAMETOOLONG',
      huge: 'error:ENAMETOOLONG',
      nul: 'error:ValueError',
    },
  },
  {
    // Go on wasip1 reaches WASI 0.2 through the preview1 adapter, which reads a stream error's code.
    example: 'go-files',
    tooLarge: 'error:EFBIG',
    full: 'error:ENOSPC',
    escapes: {
      // Go cleans a path before it looks for the preopen holding it: /etc/passwd is in none (EBADF).
      up: 'error:EBADF',
      upup: 'error:EBADF',
      abs: 'error:EBADF',
      symlink: 'error:EPERM',
      hardlink: 'error:EPERM',
      long: 'error:ENAMETOOLONG',
      huge: 'error:ENAMETOOLONG',
      nul: 'error:EINVAL',
    },
  },
  {
    // C with wasi-libc through the preview1 adapter, which reads a stream error's code.
    example: 'c-files',
    tooLarge: 'error:EFBIG',
    full: 'error:ENOSPC',
    escapes: {
      up: 'error:EPERM',
      upup: 'error:EPERM',
      // wasi-libc finds no preopen holding /etc: ENOTCAPABLE.
      abs: 'error:ENOTCAPABLE',
      symlink: 'error:EPERM',
      hardlink: 'error:EPERM',
      long: 'error:ENAMETOOLONG',
      huge: 'error:ENAMETOOLONG',
    },
  },
  {
    // Rust's std for wasm32-wasi (a project with "wasi": true) through the preview1 adapter.
    example: 'rust-files',
    tooLarge: 'error:EFBIG',
    full: 'error:ENOSPC',
    escapes: {
      up: 'error:EPERM',
      upup: 'error:EPERM',
      // std finds no preopen holding /etc and says so in an error of its own (no errno).
      abs: 'error:Uncategorized',
      hardlink: 'error:EPERM',
      long: 'error:ENAMETOOLONG',
      huge: 'error:ENAMETOOLONG',
    },
  },
  {
    // AssemblyScript has no libc: the SDK's Files calls WASI preview1 itself ("wasi": true), through the adapter.
    example: 'as-files',
    tooLarge: 'error:EFBIG',
    full: 'error:ENOSPC',
    escapes: {
      up: 'error:EPERM',
      upup: 'error:EPERM',
      // The SDK, like a libc, opens only under /data: another absolute path is in no preopen.
      abs: 'error:ENOTCAPABLE',
      long: 'error:ENAMETOOLONG',
      huge: 'error:ENAMETOOLONG',
    },
  },
  {
    // QuickJS has no file API: the SDK's files calls wasi:filesystem itself ("wasi": true), no adapter between.
    example: 'js-files',
    many: true,
    tooLarge: 'error:EFBIG',
    full: 'error:ENOSPC',
    escapes: {
      up: 'error:EPERM',
      upup: 'error:EPERM',
      // The SDK opens only under /data: another absolute path names nothing the agent has.
      abs: 'error:ENOENT',
      long: 'error:ENAMETOOLONG',
      huge: 'error:ENAMETOOLONG',
    },
  },
];

for (const language of LANGUAGES)
  describe(`files at /data for the agent ${language.example} (decision 2191)`, () => {
    let served: ServedNode;
    let ask: (agent: string, conversation: string, content: string) => Promise<string>;
    let n = 0;
    /** One command to the agent `files`, in a conversation of its own. */
    const run = (content: string): Promise<string> => ask('files', `files-${n++}`, content);

    before(async () => {
      served = await startServedNode('caxton-agent-files-', { shards: 1 });
      ask = asker(served);
      await served.client.deploy({ name: 'files' }, await artifact(language.example, language.example));
    });
    after(async () => {
      await served?.stop();
    });

    it('writes, reads, appends, lists, moves and removes files and directories with the language’s own API', async () => {
      assert.equal(await run('write notes.txt first line'), 'ok');
      assert.equal(await run('append notes.txt , more'), 'ok');
      assert.equal(await run('read notes.txt'), 'first line, more');
      assert.equal(await run('write deep/er/leaf.txt leaf'), 'ok');
      assert.equal(await run('ls '), 'deep/,notes.txt');
      assert.equal(await run('ls deep/er'), 'leaf.txt');
      assert.equal(await run('mv deep/er/leaf.txt moved.txt'), 'ok');
      assert.equal(await run('read moved.txt'), 'leaf');
      assert.equal(await run('read deep/er/leaf.txt'), 'error:ENOENT');
      assert.equal(await run('rm moved.txt'), 'ok');
      assert.equal(await run('read moved.txt'), 'error:ENOENT');
      assert.equal(await run('read never-written'), 'error:ENOENT');
      // Opened for writing and closed unwritten: emptied, and that is kept.
      assert.equal(await run('write emptied.txt something'), 'ok');
      assert.equal(await run('truncate emptied.txt'), 'ok');
      assert.equal(await run('read emptied.txt'), '');
      assert.equal(await run('rm emptied.txt'), 'ok');
    });

    it('listing /data again and again uses up no descriptors (each listing’s is given back)', async () => {
      for (let i = 0; i < AGENT_FILE_LIMITS.maxOpen + 6; i++) assert.equal(await run('ls '), 'deep/,notes.txt');
      assert.equal(await run('write after-listings.txt yes'), 'ok');
      assert.equal(await run('rm after-listings.txt'), 'ok');
      if (language.many) {
        assert.equal(await run(`many ${AGENT_FILE_LIMITS.maxOpen + 6}`), 'ok', 'each handle given back within one handling');
        assert.equal(await run(`unmany ${AGENT_FILE_LIMITS.maxOpen + 6}`), 'ok');
      }
    });

    it('a crash mid-handling leaves no half-written file; each time the message is handled again it sees the old file', async () => {
      assert.equal(await run('write log.txt kept'), 'ok');
      await served.client.send({
        structured: {
          performative: 'request',
          receivers: [{ name: 'files' }],
          content: 'append-crash log.txt +lost',
          conversationId: 'crash-1',
        },
      });
      // A poison message: it crashes on every attempt, then goes to the dead letters.
      await eventually(
        async () => (await served.client.listDeadLetters({ agent: 'files' })).length === 1,
        'the crashing message dead-lettered',
        60_000,
      );
      const lines: string[] = [];
      await served.client.logs({ agent: 'files', follow: false }, (l) => lines.push(l.message)).done;
      const seen = lines.filter((l) => l.startsWith('before the crash log.txt holds:'));
      assert.ok(seen.length >= 2, `handled more than once (${seen.length})`);
      assert.deepEqual(new Set(seen), new Set(['before the crash log.txt holds: kept']), 'every attempt saw the old file');
      assert.equal(await run('read log.txt'), 'kept', 'nothing of the crashed handlings was kept');
    });

    it('an operator exports the agent’s files with its state and imports them into another agent, which reads them', async () => {
      assert.equal(await run(`fill export.bin ${100 * 1024}`), 'ok'); // a file past the 64 KiB of a state value
      const entries: StateEntry[] = [];
      await served.client.exportState('files', (e) => entries.push(e)).done;
      const files = entries.filter((e) => isFileStateKey(e.key));
      assert.ok(
        files.some((e) => e.key === fileStateKey('notes.txt')),
        'the files are in the export',
      );
      await served.client.deploy({ name: 'copy' }, await artifact(language.example, language.example));
      await served.client.importState('copy', files);
      assert.equal(await ask('copy', `copy-${n++}`, 'read notes.txt'), 'first line, more');
      assert.equal(await ask('copy', `copy-${n++}`, 'ls deep/er'), '');
      assert.equal(await run('rm export.bin'), 'ok');
      await served.client.stop('copy');
    });

    it('files survive a restart of the node (they are durable state)', async () => {
      assert.equal(await run('write durable.txt still here'), 'ok');
      await served.restart();
      ask = asker(served);
      assert.equal(await run('read durable.txt'), 'still here');
      assert.equal(await run('read notes.txt'), 'first line, more');
    });

    it('refuses a write past the file size limit or the state quota, as an error the agent sees', async () => {
      assert.equal(await run(`fill big.bin ${AGENT_FILE_LIMITS.maxFileBytes + 1}`), language.tooLarge);
      assert.equal(await run('rm big.bin'), 'ok');
      assert.equal(await run(`fill ok.bin ${AGENT_FILE_LIMITS.maxFileBytes}`), 'ok');
      // The state quota (4 MiB) holds two files of 1 MiB stored as base64 (4/3 each), not three.
      assert.equal(await run(`fill more-0.bin ${AGENT_FILE_LIMITS.maxFileBytes}`), 'ok');
      assert.equal(await run(`fill more-1.bin ${AGENT_FILE_LIMITS.maxFileBytes}`), language.full);
      assert.equal(await run('rm more-1.bin'), 'ok');
      assert.equal(await run('read durable.txt'), 'still here', 'the files before are untouched');
    });

    it('every escape is an error the agent sees: no path outside /data, no links, no special files, no overlong or NUL names', async (t) => {
      const answer = await run('escape');
      t.diagnostic(answer);
      const got = Object.fromEntries(answer.split(' ').map((p) => p.split('=') as [string, string]));
      assert.deepEqual(got, language.escapes);
      const listing = (await run('ls ')).split(',');
      for (const made of ['link', 'hard', 'fifo']) assert.ok(!listing.includes(made), `${made} was not made: ${listing.join(',')}`);
    });
  });
