/**
 * The state key rules every layer shares (control/state.ts): what an agent's key may be, and the
 * runtime's reserved keys (U+0000 prefix) such as a pending HTTP call's record.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { httpPendingStateKey, invalidStateKeyReason, isReservedStateKey } from '../../src/control/state.js';

describe('state keys', () => {
  it('accepts text keys up to the byte limit and names why anything else is refused', () => {
    assert.equal(invalidStateKeyReason('orders/42', 256), null);
    assert.equal(invalidStateKeyReason('😀'.repeat(2), 8), null);
    assert.match(invalidStateKeyReason('', 256)!, /empty/);
    assert.match(invalidStateKeyReason('é'.repeat(5), 8)!, /10 UTF-8 bytes, more than 8/);
    assert.match(invalidStateKeyReason('x'.repeat(9), 8)!, /longer than 8/);
    assert.match(invalidStateKeyReason('a\nb', 256)!, /U\+000A at 1/);
    assert.match(invalidStateKeyReason('\u007f', 256)!, /U\+007F/);
    assert.match(invalidStateKeyReason('a\ud800', 256)!, /lone surrogate/);
  });

  it('reserves keys beginning with U+0000, which no agent key can be', () => {
    const key = httpPendingStateKey('call-1');
    assert.equal(key, '\u0000http/call-1');
    assert.ok(isReservedStateKey(key));
    assert.ok(!isReservedStateKey('http/call-1'));
    assert.match(invalidStateKeyReason(key, 256)!, /U\+0000 at 0/);
  });
});
