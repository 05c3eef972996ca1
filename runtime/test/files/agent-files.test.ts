/**
 * An agent's files at /data (decision 2191) on a real node (embedded log) with a real Python agent
 * (examples/py-files) using Python's own file API: files written by one handling are read by the
 * next and survive a restart of the node; a crash mid-handling leaves no half-written file, and the
 * message handled again sees the old file each time; the quotas and every escape attempt are
 * errors the guest sees (errno names), never a host path.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AGENT_FILE_LIMITS } from '@caxton/core';
import { artifact } from '../api/support/rollout-node.js';
import { asker, startServedNode, type ServedNode } from '../api/support/served-node.js';
import { eventually } from '../api/support/harness.js';

describe('files at /data for a Python agent (decision 2191)', () => {
  let served: ServedNode;
  let ask: (agent: string, conversation: string, content: string) => Promise<string>;
  let n = 0;
  /** One command to the agent `files`, in a conversation of its own. */
  const run = (content: string): Promise<string> => ask('files', `files-${n++}`, content);

  before(async () => {
    served = await startServedNode('caxton-agent-files-', { shards: 1 });
    ask = asker(served);
    await served.client.deploy({ name: 'files' }, await artifact('py-files', 'py-files'));
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

  it('files survive a restart of the node (they are durable state)', async () => {
    assert.equal(await run('write durable.txt still here'), 'ok');
    await served.restart();
    ask = asker(served);
    assert.equal(await run('read durable.txt'), 'still here');
    assert.equal(await run('read notes.txt'), 'first line, more');
  });

  it('refuses a write past the file size limit or the state quota, as an error the agent sees', async () => {
    // Python's libc (wasi-libc) answers any error of a stream's write EIO; the file system's code
    // (file-too-large, insufficient-space) is what the stream's error carries.
    assert.equal(await run(`fill big.bin ${AGENT_FILE_LIMITS.maxFileBytes + 1}`), 'error:EIO');
    assert.equal(await run('rm big.bin'), 'ok');
    assert.equal(await run(`fill ok.bin ${AGENT_FILE_LIMITS.maxFileBytes}`), 'ok');
    // The state quota (4 MiB) holds two files of 1 MiB stored as base64 (4/3 each), not three.
    assert.equal(await run(`fill more-0.bin ${AGENT_FILE_LIMITS.maxFileBytes}`), 'ok');
    assert.equal(await run(`fill more-1.bin ${AGENT_FILE_LIMITS.maxFileBytes}`), 'error:EIO');
    assert.equal(await run('rm more-1.bin'), 'ok');
    assert.equal(await run('read durable.txt'), 'still here', 'the files before are untouched');
  });

  it('every escape is an error the agent sees: no path outside /data, no links, no special files, no overlong or NUL names', async (t) => {
    const answer = await run('escape');
    t.diagnostic(answer);
    const got = Object.fromEntries(answer.split(' ').map((p) => p.split('=') as [string, string]));
    // `..` past /data is refused by the file system (not-permitted); an absolute path outside /data
    // names no directory the agent has (its libc finds no preopen for it).
    assert.equal(got['up'], 'error:EPERM', answer);
    assert.equal(got['upup'], 'error:EPERM', answer);
    assert.equal(got['abs'], 'error:ENOENT', answer);
    assert.equal(got['symlink'], 'error:EPERM', answer);
    assert.equal(got['hardlink'], 'error:EPERM', answer);
    // WASI has no call that makes a special file: Python for WASI has no os.mkfifo at all.
    assert.equal(got['fifo'], 'error:AttributeError', answer);
    assert.equal(got['long'], 'error:ENAMETOOLONG', answer);
    assert.match(got['nul'] ?? '', /^error:ValueError$/, answer);
    const listing = (await run('ls ')).split(',');
    for (const made of ['link', 'hard', 'fifo']) assert.ok(!listing.includes(made), `${made} was not made: ${listing.join(',')}`);
  });
});
