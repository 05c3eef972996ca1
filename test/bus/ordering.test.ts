/**
 * Per-agent order. An agent handles its messages one at a time in acceptance order, and what it
 * sends leaves in the order it handled its input — also now that an agent takes its next message
 * while the previous one's outbox and completion are still becoming durable (decision 0900).
 * Real agents: as-echo answers each message; a puppet fires a numbered burst at it and logs the
 * answers in the order its own sandbox received them.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestNode, local } from './support/test-node.js';

const N = 300;
let t: TestNode;

before(async () => {
  t = await TestNode.start();
  await t.deploy('echo', 'as-echo');
  await t.deploy('asker', 'conformance/puppet');
});

after(async () => {
  await t?.dispose();
});

const numbers = (list: (string | undefined)[], prefix: string): number[] =>
  list.filter((c): c is string => c?.startsWith(prefix) === true).map((c) => Number(c.slice(prefix.length)));

test('a burst from the operator is handled and answered in order, each message once', async () => {
  const sends = Array.from({ length: N }, (_, i) => t.send({ performative: 'request', receivers: [{ name: 'echo' }], content: `op#${i}` }));
  const ids = (await Promise.all(sends)).map((r) => r.messageId);
  await t.waitFor(
    'every answer',
    () =>
      numbers(
        t.external.map((e) => e.message.content),
        'op#',
      ).length === N,
    30_000,
  );
  const expected = Array.from({ length: N }, (_, i) => i);
  assert.deepEqual(
    numbers(
      t.external.map((e) => e.message.content),
      'op#',
    ),
    expected,
    'answers in order',
  );
  const handled = t.handled.filter((h) => h.agent === 'echo').map((h) => h.messageId);
  assert.deepEqual(handled, ids, 'handled in acceptance order, once each');
});

test('a burst from an agent reaches its receiver in order and the answers come back in order', async () => {
  await t.puppet('asker', { performative: 'request', to: 'echo', content: 'ag', count: N });
  await t.waitFor(
    'every answer in the asker',
    () => t.logs('asker').filter((l) => l.startsWith('got inform from echo@caxton')).length === N,
    30_000,
  );
  const toEcho = t.accepted.filter((a) => local(a.message.sender) === 'asker' && a.message.content?.startsWith('ag#'));
  assert.deepEqual(
    numbers(
      toEcho.map((a) => a.message.content),
      'ag#',
    ),
    Array.from({ length: N }, (_, i) => i),
    'accepted in the order sent',
  );
  const answers = t
    .logs('asker')
    .filter((l) => l.startsWith('got inform from echo@caxton'))
    .map((l) => l.slice(l.indexOf('content=') + 8));
  assert.deepEqual(
    numbers(answers, 'ag#'),
    Array.from({ length: N }, (_, i) => i),
    'answers handled in order',
  );
  await t.waitFor('every delivery completed', () => t.handled.every((h) => t.completed.has(h.deliveryId)));
  assert.equal((await t.control.getAgent('echo'))?.mailboxDepth, 0);
});
