/** The tail shows an agent's HTTP call as a `request` to http@<platform> (runtime/src/node/tail-hub.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Instrumentation, type MessageEvent } from '@caxton/core';
import { BusEvents } from '../../src/bus/events.js';
import type { HttpGatewayEvent } from '../../src/http/gateway.js';
import { TailHub } from '../../src/node/tail-hub.js';

test('a call is a tail line filtered like a message; unsubscribing detaches from the gateway too', () => {
  const http = new Instrumentation<HttpGatewayEvent>();
  const hub = new TailHub(new BusEvents(), http, 'p');
  const seen: MessageEvent[] = [];
  const other: MessageEvent[] = [];
  const off = hub.subscribe({ agent: 'caller' }, { next: (e) => seen.push(e), end: () => {} });
  const offOther = hub.subscribe({ agent: 'someone-else' }, { next: (e) => other.push(e), end: () => {} });
  http.emit({
    type: 'http-request',
    agent: 'caller',
    callId: 'c1',
    method: 'GET',
    url: 'https://api.example.com/x',
    conversationId: 'k',
    context: 'ctx',
  });
  assert.equal(seen.length, 1);
  assert.equal(other.length, 0);
  const m = seen[0]!.message;
  assert.equal(m.performative, 'request');
  assert.equal(m.sender?.name, 'caller@p');
  assert.deepEqual(m.receivers, [{ name: 'http@p' }]);
  assert.equal(m.content, 'GET https://api.example.com/x');
  assert.equal(m.replyWith, 'c1');
  assert.equal(m.conversationId, 'k');
  off();
  offOther();
  assert.equal(http.wants('http-request'), false);
});
