/** `caxton dlq redrive|purge` selection (decision 1860), pure: an id, or --agent with --all; else a usage error. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { selectionOf } from '../src/commands/dlq.js';
import { UsageError } from '../src/cli-error.js';

test('an id, or --agent --all; --agent alone, both, or neither are usage errors with a hint', () => {
  assert.deepEqual(selectionOf({ id: 'm-1>a', all: false }, 'redrive'), { ids: ['m-1>a'] });
  assert.deepEqual(selectionOf({ agent: 'a', all: true }, 'purge'), { agent: 'a' });
  for (const argv of [{ agent: 'a', all: false }, { id: 'm-1>a', agent: 'a', all: true }, { all: true }, { all: false }]) {
    assert.throws(
      () => selectionOf(argv, 'redrive'),
      (err) => err instanceof UsageError,
      JSON.stringify(argv),
    );
  }
  assert.throws(
    () => selectionOf({ agent: 'a', all: false }, 'purge'),
    (err) => err instanceof UsageError && /--all/.test(err.hint ?? ''),
  );
});
