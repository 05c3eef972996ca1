/** `caxton replay` modes (issue 57), pure: replay a data dir, replay an export (--input), or write one (--export); flags that do not fit the mode are usage errors. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../src/cli-error.js';
import { checkMode } from '../src/commands/replay.js';

test('--export takes no filter and no --with; --input and --export exclude each other; --force only with --export', () => {
  checkMode({ all: false, force: false });
  checkMode({ all: true, force: false, from: '0', with: 'v2.wasm', input: 'f' });
  checkMode({ all: false, force: true, export: 'f' });
  const refused: [Parameters<typeof checkMode>[0], RegExp][] = [
    [{ all: false, force: false, export: 'f', input: 'g' }, /not both/],
    [{ all: false, force: false, export: 'f', conversation: 'c' }, /--conversation applies when it is replayed/],
    [{ all: false, force: false, export: 'f', with: 'v2.wasm' }, /--with applies when it is replayed/],
    [{ all: true, force: false, export: 'f' }, /--all applies when it is replayed/],
    [{ all: false, force: true, input: 'f' }, /--force only goes with --export/],
    [{ all: false, force: false, export: ' ' }, /--export needs a file name/],
    [{ all: false, force: false, input: '' }, /--input needs a file name/],
  ];
  for (const [argv, message] of refused)
    assert.throws(
      () => checkMode(argv),
      (err) => err instanceof UsageError && message.test(err.message),
      JSON.stringify(argv),
    );
});
