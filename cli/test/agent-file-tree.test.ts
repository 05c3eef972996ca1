/** The pure half of `caxton fs export|import` (decision 2191): state entries to a tree and back. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { directoryStateKey, encodeStoredFile, fileStateKey } from '@caxton/core';
import { importWrites, notExported, pathRefusal, treeOfState, typeConflicts, type TreeEntry } from '../src/files/agent-file-tree.js';

const bytes = (text: string) => new Uint8Array(Buffer.from(text));
const file = (path: string, text: string, mtimeMs = 5): TreeEntry => ({ path, type: 'file', mtimeMs, bytes: bytes(text) });

describe('treeOfState', () => {
  it('gives directories and files, parents first, and ignores other state', () => {
    const { tree, malformed } = treeOfState([
      { key: fileStateKey('a/b/c.txt'), value: encodeStoredFile({ mtimeMs: 7, bytes: bytes('hi') }) },
      { key: directoryStateKey('a/b'), value: '6' },
      { key: directoryStateKey('a'), value: '5' },
      { key: 'counter', value: '3' },
    ]);
    assert.deepEqual(malformed, []);
    assert.deepEqual(
      tree.map((e) => [e.path, e.type, e.mtimeMs]),
      [
        ['a', 'directory', 5],
        ['a/b', 'directory', 6],
        ['a/b/c.txt', 'file', 7],
      ],
    );
    assert.equal(Buffer.from((tree[2] as { bytes: Uint8Array }).bytes).toString(), 'hi');
  });

  it('lists keys that are no well-formed file or directory instead of writing them', () => {
    const { tree, malformed } = treeOfState([
      { key: fileStateKey('../escape'), value: encodeStoredFile({ mtimeMs: 1, bytes: bytes('x') }) },
      { key: fileStateKey('a//b'), value: encodeStoredFile({ mtimeMs: 1, bytes: bytes('x') }) },
      { key: fileStateKey('no-time'), value: 'garbage' },
      { key: directoryStateKey('d'), value: 'x' },
      { key: fileStateKey(''), value: '1:' },
    ]);
    assert.deepEqual(tree, []);
    assert.equal(malformed.length, 5);
  });
});

describe('what an export leaves out', () => {
  it('a file that is also a directory, or a parent of another entry, is named, not written', () => {
    const stored = (path: string) => ({ key: fileStateKey(path), value: encodeStoredFile({ mtimeMs: 1, bytes: bytes('x') }) });
    const { tree, malformed } = treeOfState([
      stored('a'),
      { key: directoryStateKey('a'), value: '1' },
      stored('b'),
      stored('b/c'),
      stored('ok'),
    ]);
    assert.deepEqual(
      tree.map((e) => e.path),
      ['a', 'ok', 'b/c'],
    );
    assert.deepEqual(malformed.sort(), [fileStateKey('a'), fileStateKey('b')]);
  });

  it('a .git name anywhere, in any case; a backslash or colon on Windows only', () => {
    for (const p of ['.git', '.git/config', 'x/.GIT/hooks/pre-commit', 'a/.Git']) assert.ok(notExported(p, false), p);
    assert.equal(notExported('.gitignore', false), undefined);
    assert.equal(notExported('a\\b', false), undefined);
    assert.ok(notExported('a\\..\\..\\x', true));
    assert.ok(notExported('c:x', true));
  });
});

describe('importWrites', () => {
  it('writes each file and every parent directory', () => {
    const writes = importWrites([file('x/y/z.txt', 'z', 9)], [], false);
    assert.deepEqual(writes, [
      { key: directoryStateKey('x'), value: '9' },
      { key: directoryStateKey('x/y'), value: '9' },
      { key: fileStateKey('x/y/z.txt'), value: encodeStoredFile({ mtimeMs: 9, bytes: bytes('z') }) },
    ]);
  });

  it('with replace deletes the other files and directories, never other state', () => {
    const existing = [fileStateKey('old.txt'), directoryStateKey('old'), fileStateKey('keep.txt'), 'counter'];
    const writes = importWrites([file('keep.txt', 'k')], existing, true);
    assert.deepEqual(
      writes.filter((w) => w.value === null).map((w) => w.key),
      [fileStateKey('old.txt'), directoryStateKey('old')],
    );
    assert.deepEqual(
      importWrites([file('keep.txt', 'k')], existing, false).filter((w) => w.value === null),
      [],
      'merge: nothing deleted',
    );
  });
});

describe('typeConflicts', () => {
  it('finds a file where the agent has a directory, and a directory (or parent) where it has a file', () => {
    const existing = [directoryStateKey('logs'), fileStateKey('notes'), fileStateKey('data')];
    assert.deepEqual(
      typeConflicts([file('logs', 'x'), file('notes/a.txt', 'y'), { path: 'data', type: 'directory', mtimeMs: 1 }], existing),
      ['data', 'logs', 'notes'],
    );
    assert.deepEqual(typeConflicts([file('logs/a.txt', 'x')], existing), []);
  });
});

describe('pathRefusal', () => {
  it('takes plain paths and refuses what the sandbox would', () => {
    assert.equal(pathRefusal('a/b.txt'), undefined);
    for (const bad of ['', '.', 'a/../b', '../x', '/etc', 'a\u0000b', 'n'.repeat(256)])
      assert.ok(pathRefusal(bad) !== undefined, JSON.stringify(bad));
  });
});
