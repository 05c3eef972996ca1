/** The answer messages (runtime/src/http/answer-message.ts) and pending-call records (pending-calls.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateAclMessage } from '@caxton/core';
import { failureAnswer, headerParams, MAX_HEADER_PARAMS, responseAnswer } from '../../src/http/answer-message.js';
import { callIdOfKey, pendingCallKey, pendingCallsIn } from '../../src/http/pending-calls.js';

const addressing = { from: { name: 'http@p' }, to: { name: 'a@p' }, callId: 'c1', conversationId: 'conv', context: 'ctx' };

test('text bodies are content; status, context and headers are user params; in-reply-to is the call id', () => {
  const m = responseAnswer(
    addressing,
    404,
    [
      ['content-type', 'text/plain'],
      ['x-a', '1'],
      ['x-a', '2'],
    ],
    Buffer.from('héllo'),
  );
  validateAclMessage(m);
  assert.equal(m.performative, 'inform');
  assert.equal(m.content, 'héllo');
  assert.equal(m.encoding, undefined);
  assert.equal(m.inReplyTo, 'c1');
  assert.equal(m.conversationId, 'conv');
  assert.deepEqual(m.userParams, {
    'X-caxton-http-status': '404',
    'X-caxton-http-context': 'ctx',
    'X-caxton-http-header-content-type': 'text/plain',
    'X-caxton-http-header-x-a': '1, 2',
  });
});

test('non-UTF-8 bodies are base64 with encoding base64', () => {
  const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x80]);
  const m = responseAnswer(addressing, 200, [], bytes);
  assert.equal(m.encoding, 'base64');
  assert.deepEqual(Buffer.from(m.content!, 'base64'), bytes);
});

test('failure carries X-caxton-failure', () => {
  const m = failureAnswer({ ...addressing, context: undefined } as never, 'timeout', 'too slow');
  validateAclMessage(m);
  assert.equal(m.performative, 'failure');
  assert.deepEqual(m.userParams, { 'X-caxton-failure': 'timeout' });
});

test('response headers are bounded, and truncation is said', () => {
  const many: [string, string][] = Array.from({ length: 100 }, (_, i) => [`h${i}`, 'v']);
  const params = headerParams(many);
  assert.equal(Object.keys(params).length, MAX_HEADER_PARAMS + 1);
  assert.equal(params['X-caxton-http-headers-truncated'], 'true');
  validateAclMessage(responseAnswer(addressing, 200, many, Buffer.from('')));
});

test('pending-call keys and records', () => {
  assert.equal(pendingCallKey('x'), '\u0000http/x');
  assert.equal(callIdOfKey('\u0000http/x'), 'x');
  assert.equal(callIdOfKey('user-key'), undefined);
  const recs = pendingCallsIn([
    { key: pendingCallKey('c1'), value: JSON.stringify({ method: 'GET', url: 'https://a/', conversationId: 'k', at: 5 }) },
    { key: pendingCallKey('c2'), value: null },
    { key: 'other', value: 'v' },
  ]);
  assert.deepEqual([...recs.keys()], ['c1']);
  assert.equal(recs.get('c1')!.conversationId, 'k');
});
