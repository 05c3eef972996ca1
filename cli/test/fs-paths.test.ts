/** `caxton fs`'s pure parts: an operator's path to the agent's, and a directory's entries from state keys. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { directoryStateKey, encodeStoredFile, FILE_STATE_KEY_PREFIX, fileStateKey } from '@caxton/core';
import { agentFilePath, directoryEntries, drivesTerminal } from '../src/commands/fs.js';
import { UsageError } from '../src/cli-error.js';

describe('caxton fs paths', () => {
  it('takes paths relative to /data or under it; refuses one that leaves it', () => {
    assert.equal(agentFilePath(undefined), '');
    assert.equal(agentFilePath('/data'), '');
    assert.equal(agentFilePath('/data/a/b.txt'), 'a/b.txt');
    assert.equal(agentFilePath('a/./b.txt'), 'a/b.txt');
    assert.throws(() => agentFilePath('../x'), UsageError);
    assert.throws(() => agentFilePath('/etc/passwd'), UsageError);
  });

  it('lists the entries directly in a directory with their sizes and times, in order', () => {
    const f = (text: string, mtimeMs: number) => encodeStoredFile({ mtimeMs, bytes: new TextEncoder().encode(text) });
    const entries = [
      { key: directoryStateKey('d'), value: '5' },
      { key: fileStateKey('d/b.txt'), value: f('hello', 7) },
      { key: directoryStateKey('d/sub'), value: '9' },
      { key: fileStateKey('d/sub/deeper.txt'), value: f('x', 1) },
      { key: fileStateKey('d/a.txt'), value: f('', 3) },
    ];
    assert.deepEqual(directoryEntries(directoryStateKey('d'), entries), [
      { name: 'a.txt', type: 'file', size: 0, mtimeMs: 3 },
      { name: 'b.txt', type: 'file', size: 5, mtimeMs: 7 },
      { name: 'sub', type: 'directory', size: 0, mtimeMs: 9 },
    ]);
    assert.deepEqual(directoryEntries(FILE_STATE_KEY_PREFIX, entries), [{ name: 'd', type: 'directory', size: 0, mtimeMs: 5 }]);
  });

  it('tells bytes that would drive a terminal (ESC, C1, other controls) from text', () => {
    const bytes = (s: string) => new TextEncoder().encode(s);
    assert.equal(drivesTerminal(bytes('plain text\twith tabs\r\nand lines, café')), false);
    assert.equal(drivesTerminal(bytes('\u001b]52;c;aGk=\u0007')), true, 'OSC 52: a clipboard write');
    assert.equal(drivesTerminal(bytes('a\u009bb')), true, 'C1 CSI in UTF-8');
    assert.equal(drivesTerminal(bytes('a\u0000b')), true);
    assert.equal(drivesTerminal(bytes('a\u007fb')), true);
  });
});
