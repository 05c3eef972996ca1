/**
 * An operator's import of an agent's files (decision 2191): file keys and values have bounds of
 * their own (a path, a whole file in base64), so an export with files imports back whole; a key the
 * agent's file system could never have made, or a value it could not read, is refused, named.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AGENT_FILE_LIMITS,
  directoryStateKey,
  encodeStoredFile,
  fileStateKey,
  InvalidArgumentError,
  STATE_IMPORT_ENTRY_OVERHEAD_BYTES,
} from '@caxton/core';
import { ImportAccumulator, parseStateKey } from '../../src/api/state-requests.js';

const file = (bytes: number): string => encodeStoredFile({ mtimeMs: 1_700_000_000_000, bytes: new Uint8Array(bytes) });

function refusal(entries: { key: string; value?: string }[]): InvalidArgumentError {
  const acc = new ImportAccumulator();
  try {
    acc.add(entries);
  } catch (err) {
    assert.ok(err instanceof InvalidArgumentError, String(err));
    return err;
  }
  assert.fail('accepted');
}

describe('importing an agent’s files with its state', () => {
  it('takes a whole file past a state value’s 64 KiB, a path past a key’s 256 bytes, and directories', () => {
    const acc = new ImportAccumulator();
    const long = 'd/'.repeat(10) + 'n'.repeat(240);
    acc.add([
      { key: fileStateKey('big.bin'), value: file(AGENT_FILE_LIMITS.maxFileBytes) },
      { key: directoryStateKey('d'), value: '1700000000000' },
      { key: fileStateKey(long), value: file(3) },
      { key: fileStateKey('gone.txt') },
    ]);
    assert.equal(acc.writes.length, 4);
    assert.equal(parseStateKey(fileStateKey(long)), fileStateKey(long));
  });

  it('refuses a path the file system could not have made, and a value it could not read', () => {
    for (const path of ['../x', 'a/../b', 'a//b', './a', '', 'a/b//']) {
      const r = refusal([{ key: fileStateKey(path), value: file(1) }]);
      assert.equal(r.context.field, 'entries[0].key', path);
    }
    assert.equal(refusal([{ key: fileStateKey('x'), value: 'not base64!' }]).context.field, 'entries[0].value');
    assert.equal(refusal([{ key: directoryStateKey('d'), value: 'x' }]).context.field, 'entries[0].value');
    // Base64 not in whole quads, and a time past what JavaScript can hold or print.
    for (const value of ['1:A', '1:=', '1:AAAAA', '1:AAAA=', '9007199254740993:AAAA']) {
      assert.equal(refusal([{ key: fileStateKey('x'), value }]).context.field, 'entries[0].value', value);
    }
    assert.equal(refusal([{ key: fileStateKey('x'), value: file(AGENT_FILE_LIMITS.maxFileBytes + 3) }]).context.field, 'entries[0].value');
  });
});

describe('an import is bounded by what it holds in memory, not only its text', () => {
  it('charges each entry its overhead: many tiny entries are refused as one large import is (review finding 1)', async () => {
    const { MAX_IMPORT_BYTES } = await import('../../src/api/state-requests.js');
    const { ResourceExhaustedError } = await import('../../src/api/errors.js');
    const acc = new ImportAccumulator();
    // One-byte keys with no value: by their text alone 8 MiB would be ~8 million entries.
    const tiny = Array.from({ length: 10_000 }, (_, i) => ({ key: String.fromCharCode(97 + (i % 26)) }));
    const rounds = Math.ceil(MAX_IMPORT_BYTES / (STATE_IMPORT_ENTRY_OVERHEAD_BYTES * tiny.length)) + 1;
    assert.throws(() => {
      for (let r = 0; r < rounds; r++) acc.add(tiny);
    }, ResourceExhaustedError);
    assert.ok(acc.writes.length <= MAX_IMPORT_BYTES / STATE_IMPORT_ENTRY_OVERHEAD_BYTES, `${acc.writes.length} entries held`);
  });

  it("still takes an agent's whole state: its most keys with values of a few hundred bytes", () => {
    const acc = new ImportAccumulator();
    acc.add(Array.from({ length: 10_000 }, (_, i) => ({ key: `key-${i}`, value: 'v'.repeat(300) })));
    assert.equal(acc.writes.length, 10_000);
  });
});
