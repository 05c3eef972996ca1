/**
 * Trace context without an SDK: a node with no tracer provider registered records no spans, but a
 * message that arrives with X-traceparent still passes its trace on to what the handling agent
 * sends (the runtime's W3C propagator), and a message without one gets none. The bus skips span
 * work for messages that carry no context (decision 1201): this pins that the skip changes nothing
 * an operator can see.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestNode } from './support/test-node.js';

let t: TestNode;
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

before(async () => {
  t = await TestNode.start();
  await t.deploy('alice', 'conformance/puppet');
  await t.deploy('echo', 'as-echo');
});

after(async () => {
  await t?.dispose();
});

function traceIdOf(param: string | undefined): string | undefined {
  return param === undefined ? undefined : /^00-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(param)?.[1];
}

test('an incoming traceparent reaches the messages sent while handling it; none is invented', async () => {
  const command = (cid: string) =>
    ['performative=request', 'to=echo', 'protocol=fipa-request', `conversation-id=${cid}`, `reply-with=${cid}-q`, 'content=ping'].join(
      '\n',
    );
  await t.send({
    performative: 'request',
    receivers: [{ name: 'alice' }],
    conversationId: 'traced-cmd',
    content: command('traced'),
    userParams: { 'X-puppet': 'do', 'X-traceparent': `00-${TRACE_ID}-00f067aa0ba902b7-01` },
  });
  await t.send({
    performative: 'request',
    receivers: [{ name: 'alice' }],
    conversationId: 'plain-cmd',
    content: command('plain'),
    userParams: { 'X-puppet': 'do' },
  });
  await t.waitFor('both replies', () =>
    ['traced', 'plain'].every((cid) => t.logs('alice').some((l) => l.startsWith(`got inform from echo@caxton cid=${cid}`))),
  );

  const toEcho = t.deliveredTo('echo');
  const traced = toEcho.find((a) => a.message.conversationId === 'traced');
  const plain = toEcho.find((a) => a.message.conversationId === 'plain');
  assert.ok(traced && plain, 'alice sent both requests');
  assert.equal(traceIdOf(traced.message.userParams?.['X-traceparent']), TRACE_ID, "alice's request continues the operator's trace");
  assert.equal(plain.message.userParams?.['X-traceparent'], undefined, 'no trace context is invented');

  const replies = t.deliveredTo('alice').filter((a) => a.message.performative === 'inform');
  const tracedReply = replies.find((a) => a.message.conversationId === 'traced');
  assert.equal(traceIdOf(tracedReply?.message.userParams?.['X-traceparent']), TRACE_ID, "echo's reply is in the same trace");
  assert.equal(replies.find((a) => a.message.conversationId === 'plain')?.message.userParams?.['X-traceparent'], undefined);
});
