/**
 * The resolver's pure answers (decision 2160, slice 1): a receiver resolves to the activation its
 * delivery is written to, or to one of the kept no-activation answers; a replica unit is reached
 * only through the spreading choice, never named by a sender.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AclMessage } from '@caxton/core';
import { RESOLVED_EXTERNAL, RESOLVED_UNKNOWN, resolutionOf, spreadTarget, type NoActivation } from '../../src/bus/resolution.js';

const message = { performative: 'request', receivers: [{ name: 'w' }] } as unknown as AclMessage;
const AT_LIMIT: NoActivation = Object.freeze({ kind: 'activation-limit', limit: 4, retryAfterMs: 250 });

test('an agent resolves to its own name; the others to the kept answers, the same objects every time', () => {
  assert.equal(resolutionOf('agent', 'counter/7', AT_LIMIT), 'counter/7');
  assert.equal(resolutionOf('external', 'x@other', AT_LIMIT), RESOLVED_EXTERNAL);
  assert.equal(resolutionOf('unknown', 'nobody', AT_LIMIT), RESOLVED_UNKNOWN);
  assert.equal(resolutionOf('activation-limit', 'counter/8', AT_LIMIT), AT_LIMIT);
  assert.ok(Object.isFrozen(RESOLVED_EXTERNAL) && Object.isFrozen(RESOLVED_UNKNOWN), 'a caller cannot change the shared answers');
});

test('spreading: a name goes to the unit the choice gives; a name holding # is unknown, whatever the choice would say', () => {
  const asked: string[] = [];
  const unitOf = (name: string, _m: AclMessage, id: string): string => {
    asked.push(`${name} ${id}`);
    return `${name}#r2`;
  };
  assert.equal(spreadTarget('w', message, 'm1', unitOf), 'w#r2');
  assert.equal(spreadTarget('w#r7', message, 'm2', unitOf), undefined);
  assert.equal(spreadTarget('#', message, 'm3', unitOf), undefined);
  assert.deepEqual(asked, ['w m1'], 'the choice is not even asked for a name holding #');
});
