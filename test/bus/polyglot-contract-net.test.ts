/**
 * One contract net across six languages on one real node: a Python initiator
 * (examples/contract-net/py-initiator) calls for proposals from contractors written in Rust, C, Go,
 * AssemblyScript and JavaScript — one of them refuses — awards the cheapest and reports the
 * winner's result to the operator. Every message is read from the bus's 'accepted' events (what
 * `caxton tail` shows and what the log holds). Same contract, same limits, same supervision for
 * every language: each agent is deployed with the node's default limits.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestNode, local } from './support/test-node.js';
import { arrow } from './support/flow.js';

/** name → [example, price or null for a refusal] */
const CONTRACTORS: Record<string, [string, string | null]> = {
  rust: ['contract-net/rust-contractor', '41'],
  c: ['contract-net/c-contractor', '23'],
  go: ['contract-net/go-contractor', '57'],
  as: ['contract-net/as-contractor', '35'],
  js: ['contract-net/js-contractor', null],
};
const DEADLINE_MS = 3000;

let t: TestNode;

before(async () => {
  t = await TestNode.start();
  for (const [name, [example, price]] of Object.entries(CONTRACTORS)) {
    await t.deploy(name, example, price === null ? { decline: 'true' } : { price });
  }
  await t.deploy('broker', 'contract-net/py-initiator', { 'service-type': 'delivery', 'deadline-ms': String(DEADLINE_MS) });
});

after(async () => {
  await t?.dispose();
});

test('a Python initiator, contractors in Rust, C, Go, AssemblyScript and JavaScript: proposals, a refusal, the award and the result', async () => {
  await t.send({
    performative: 'request',
    receivers: [{ name: 'broker' }],
    content: 'parcel 6',
    protocol: 'fipa-request',
    conversationId: 'parcel-6',
    replyWith: 'parcel-6-req',
  });
  const result = await t.waitFor(
    'the result to reach the operator',
    () =>
      t.accepted.find(
        (a) => a.message.conversationId === 'parcel-6' && (a.message.performative === 'inform' || a.message.performative === 'failure'),
      ),
    60_000,
  );
  await t.settle();
  const flow = t.accepted.map(arrow);

  assert.equal(result.message.performative, 'inform', `flow:\n${flow.join('\n')}`);
  assert.match(
    result.message.content ?? '',
    /^done: parcel 6 by c@\S+ for 23$/,
    'the cheapest (C, 23) did the work, and its result reached the operator',
  );
  const cfp = t.accepted.find((a) => a.message.performative === 'cfp');
  assert.ok(cfp, 'the broker called for proposals');
  assert.deepEqual(cfp.message.receivers.map(local).sort(), Object.keys(CONTRACTORS).sort(), 'to every contractor, found in the directory');
  for (const name of ['rust', 'c', 'go', 'as']) {
    assert.ok(
      t.accepted.some((a) => local(a.message.sender) === name && a.message.performative === 'propose'),
      `${name} proposed\n${flow.join('\n')}`,
    );
  }
  assert.ok(
    t.accepted.some((a) => local(a.message.sender) === 'js' && a.message.performative === 'refuse'),
    'js refused',
  );
  assert.ok(
    t.accepted.some(
      (a) => local(a.message.sender) === 'broker' && a.message.performative === 'accept-proposal' && local(a.message.receivers[0]) === 'c',
    ),
    'C was awarded',
  );
  for (const loser of ['rust', 'go', 'as']) {
    assert.ok(
      t.accepted.some((a) => a.message.performative === 'reject-proposal' && local(a.message.receivers[0]) === loser),
      `${loser} was rejected`,
    );
  }
  assert.ok(
    t.accepted.some((a) => local(a.message.sender) === 'c' && a.message.performative === 'inform'),
    'the winner reported its result',
  );
});
