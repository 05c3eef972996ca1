/** The byte figures of a handling's cost (decision 2184): UTF-8 bytes of what it sent and wrote. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AclMessage } from '@caxton/core';
import { contentBytesOf, stateBytesOf } from '../../src/bus/handling-cost.js';

const msg = (content?: string): AclMessage => ({
  performative: 'inform',
  receivers: [{ name: 'b' }],
  ...(content === undefined ? {} : { content }),
});

describe('handling cost bytes', () => {
  it('counts the UTF-8 bytes of the content of each message sent; a message without content counts 0', () => {
    assert.equal(contentBytesOf([]), 0);
    assert.equal(contentBytesOf([msg('abc'), msg(), msg('é€😀')]), 3 + 0 + (2 + 3 + 4));
  });

  it('counts the UTF-8 bytes of each key and value written; a delete counts its key', () => {
    assert.equal(stateBytesOf([]), 0);
    assert.equal(
      stateBytesOf([
        { key: 'count', value: '42' },
        { key: 'gone', value: null },
        { key: 'ü', value: '' },
      ]),
      5 + 2 + 4 + 2,
    );
  });
});
