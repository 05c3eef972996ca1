/** The pure parts of `caxton state`: reading an import file, and a `list` table row. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatStateRow, parseStateLines } from '../src/commands/state.js';
import { UsageError } from '../src/cli-error.js';

describe('caxton state import file', () => {
  it('reads JSON lines; null deletes; blank lines are skipped', () => {
    const text = '{"key":"a","value":"1"}\n\n  {"key":"b","value":null}  \n{"key":"ü\\n","value":"x\\ty"}';
    assert.deepEqual(parseStateLines(text, 'f.jsonl'), [
      { key: 'a', value: '1' },
      { key: 'b', value: null },
      { key: 'ü\n', value: 'x\ty' },
    ]);
  });

  it('names the line of what is wrong, with a hint', () => {
    const cases: [string, RegExp][] = [
      ['{"key":"a","value":"1"}\nnot json', /^f\.jsonl:2: not JSON/],
      ['[1,2]', /^f\.jsonl:1: expected an object/],
      ['{"value":"1"}', /^f\.jsonl:1: "key" must be a non-empty string/],
      ['{"key":"a"}', /^f\.jsonl:1: "value" is missing/],
      ['{"key":"a","value":{"n":1}}', /^f\.jsonl:1: "value" of "a" must be a string or null/],
    ];
    for (const [text, message] of cases) {
      assert.throws(
        () => parseStateLines(text, 'f.jsonl'),
        (e: unknown) => e instanceof UsageError && message.test(e.message),
        text,
      );
    }
  });

  it('a list row shows the value on one line, cut to the table width', () => {
    assert.equal(formatStateRow({ key: 'k', value: 'a\nb' }, 4), 'k     a\\nb');
    const row = formatStateRow({ key: 'long', value: 'v'.repeat(100) }, 4);
    assert.equal(row, `long  ${'v'.repeat(59)}…`);
  });
});
