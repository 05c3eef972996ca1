/**
 * The change set a client names for its calls (metadata `caxton-change-set`, `caxton apply`): read
 * into the caller the audit records are written for, only when it is one plain short id — a long,
 * repeated or strange value is not recorded (the call itself is unaffected), so a client cannot
 * write what it likes into the trail through it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Metadata } from '@grpc/grpc-js';
import { CHANGE_SET_METADATA, callerIdentifier, changeSetOf } from '../../src/api/caller.js';

const md = (...values: string[]): Metadata => {
  const m = new Metadata();
  for (const v of values) m.add(CHANGE_SET_METADATA, v);
  return m;
};

describe('change sets named by a client', () => {
  it('a plain short id is read; nothing, a repeat, a long or strange value is not', () => {
    assert.equal(changeSetOf(md('apply-20261128T181500-0a1b2c3d')), 'apply-20261128T181500-0a1b2c3d');
    assert.equal(changeSetOf(md()), undefined);
    assert.equal(changeSetOf(md('a', 'b')), undefined, 'repeated: which one?');
    assert.equal(changeSetOf(md('x'.repeat(65))), undefined);
    for (const bad of ['', '-leading', 'has space', 'quote"d', 'slash/es', 'semi;colon'])
      assert.equal(changeSetOf(md(bad)), undefined, JSON.stringify(bad));
  });

  it("goes into the caller with the token's role and fingerprint, with or without a token", () => {
    const identify = callerIdentifier(undefined);
    assert.deepEqual(identify(md('set-1')), { role: 'none', token: '', changeSet: 'set-1' });
    const withToken = md('set-2');
    withToken.set('authorization', 'Bearer abc');
    const caller = identify(withToken);
    assert.equal(caller.changeSet, 'set-2');
    assert.match(caller.token, /^[0-9a-f]{16}$/);
    assert.equal('changeSet' in identify(md('bad value')), false);
  });
});
