/** The names outside clients used, kept so replies to them are shown rather than refused: bounded. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExternalIdentities } from '../../src/node/external-identities.js';

describe('external identities', () => {
  it('stay within their capacity however many names are invented, and always know the operator', () => {
    const ids = new ExternalIdentities('operator@caxton', 16);
    for (let i = 0; i < 5000; i++) ids.remember(`client-${i}`);
    let kept = 0;
    for (let i = 0; i < 5000; i++) if (ids.has(`client-${i}`)) kept++;
    assert.equal(kept, 16, 'the 16 most recent');
    assert.ok(ids.has('client-4999') && !ids.has('client-0'));
    assert.ok(ids.has('operator'), 'the operator is never evicted');
  });
});
