import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '@caxton/core';
import { parseLanguage } from '../../src/api/request-parsing.js';

describe('parseLanguage (the deployer-stated source language label)', () => {
  it('treats an absent or empty label as not stated', () => {
    assert.deepEqual(parseLanguage(undefined), {});
    assert.deepEqual(parseLanguage(''), {});
  });

  it('accepts the languages caxton builds and other short lowercase tokens', () => {
    for (const label of ['assemblyscript', 'rust', 'tinygo', 'javascript', 'c', 'c++', 'python3', 'objective-c', `a${'b'.repeat(31)}`]) {
      assert.deepEqual(parseLanguage(label), { language: label });
    }
  });

  it('rejects anything else as INVALID_ARGUMENT naming the field, with a hint', () => {
    for (const label of ['Rust', '1c', '-x', 'assembly script', 'rust\n', 'x'.repeat(33), 'é', '<script>']) {
      assert.throws(
        () => parseLanguage(label),
        (err: unknown) => {
          assert.ok(err instanceof InvalidArgumentError, String(err));
          assert.match(err.message, /is not a language label/);
          assert.equal(err.field, 'header.language');
          assert.match(err.hint ?? '', /lowercase/);
          return true;
        },
        label,
      );
    }
  });
});
