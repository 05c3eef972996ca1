import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hrefOf, parseRoute } from '../src/route.js';

describe('hash routes', () => {
  it('round-trip every page, with agent names that need escaping', () => {
    for (const r of [
      { page: 'agents' },
      { page: 'sniffer' },
      { page: 'nodes' },
      { page: 'agent', name: 'cnet/initiator@node 1' },
    ] as const) {
      assert.deepEqual(parseRoute(hrefOf(r)), r);
    }
  });
  it('falls back to the agents table for anything else', () => {
    assert.deepEqual(parseRoute(''), { page: 'agents' });
    assert.deepEqual(parseRoute('#/nope'), { page: 'agents' });
  });
});
