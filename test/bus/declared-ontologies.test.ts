/**
 * Declared ontologies (issue 61, decision 2183) on a real node: a real AssemblyScript echo deployed
 * with one ontology's JSON Schema, and a real sandboxed puppet (examples/conformance/puppet) told to
 * send it messages. Content naming the ontology that matches is delivered; content that does not —
 * not JSON, a schema error, an ontology the echo does not declare — never reaches the echo: the
 * puppet gets `not-understood` from the platform with the reason, and an operator's send is refused
 * with a typed error. A message naming no ontology, or sent to an agent that declares none, passes
 * as before. An upgrade keeps the ontologies; a kind's instances use the kind's.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CaxtonError, type OntologySchemas } from '@caxton/core';
import { agentArtifact } from './support/artifacts.js';
import { AMS, TestNode } from './support/test-node.js';

const ORDERS: OntologySchemas = {
  orders: {
    type: 'object',
    properties: { item: { type: 'string' }, qty: { type: 'integer', minimum: 1 } },
    required: ['item', 'qty'],
    additionalProperties: false,
  },
  'fipa:any': true,
};

let t: TestNode;

before(async () => {
  t = await TestNode.start();
  await t.control.deploy({ name: 'shop', config: {}, limits: {}, ontologies: ORDERS }, await agentArtifact('as-echo'));
  await t.control.deploy({ name: 'plain', config: {}, limits: {} }, await agentArtifact('as-echo'));
  await t.deploy('buyer', 'conformance/puppet');
});

after(async () => {
  await t?.dispose();
});

/** The buyer sends `content` in `ontology` to `to`; resolves with what the buyer then got in that conversation. */
async function buy(to: string, cid: string, content: string, ontology?: string): Promise<string> {
  await t.puppet('buyer', {
    performative: 'request',
    to,
    'conversation-id': cid,
    language: 'json',
    ...(ontology !== undefined ? { ontology } : {}),
    content,
  });
  return t.waitFor(`the buyer's answer in ${cid}`, () => t.logs('buyer').find((l) => l.includes(`cid=${cid} `)), 60_000);
}

test('matching content is delivered; content breaking the schema gets not-understood with the schema error, never reaching the agent', async () => {
  const ok = await buy('shop', 'ok-1', '{"item":"tea","qty":2}', 'orders');
  assert.match(ok, /^got inform from shop@caxton cid=ok-1 .*content=\{"item":"tea","qty":2\}$/);

  const bad = await buy('shop', 'bad-1', '{"item":"tea","qty":0}', 'orders');
  assert.match(bad, new RegExp(`^got not-understood from ${AMS} cid=bad-1 `));
  assert.match(bad, /shop does not understand the content as ontology "orders": content\/qty must be >= 1/);
  const refusal = t.accepted.find((a) => a.message.conversationId === 'bad-1' && a.message.performative === 'not-understood')!;
  assert.equal(refusal.message.userParams?.['X-caxton-failure'], 'protocol-violation');

  const extra = await buy('shop', 'bad-2', '{"item":"tea","qty":1,"gift":true}', 'orders');
  assert.match(extra, /must NOT have additional properties \{"additionalProperty":"gift"\}/);
  const notJson = await buy('shop', 'bad-3', 'two teas please', 'orders');
  assert.match(notJson, /shop takes ontology "orders" as JSON, and the content is not JSON/);
  const unknown = await buy('shop', 'bad-4', '{}', 'recipes');
  assert.match(unknown, /shop does not speak ontology "recipes": it speaks orders, fipa:any/);

  await t.settle();
  for (const cid of ['bad-1', 'bad-2', 'bad-3', 'bad-4'])
    assert.deepEqual(
      t.deliveredTo('shop').filter((a) => a.message.conversationId === cid),
      [],
      `nothing of ${cid} was accepted for the shop`,
    );
});

test('no ontology named, a schema of `true`, or a receiver that declares none: delivered as before', async () => {
  assert.match(await buy('shop', 'free-1', 'any words at all'), /^got inform from shop@caxton cid=free-1 /);
  assert.match(await buy('shop', 'any-1', '[1, "two"]', 'fipa:any'), /^got inform from shop@caxton cid=any-1 /);
  assert.match(await buy('plain', 'plain-1', 'not json', 'orders'), /^got inform from plain@caxton cid=plain-1 /);
});

test('a failure, refuse or not-understood copying the ontology is delivered with its plain-text reason', async () => {
  for (const performative of ['failure', 'refuse', 'not-understood']) {
    const cid = `reason-${performative}`;
    await t.puppet('buyer', { performative, to: 'shop', 'conversation-id': cid, ontology: 'orders', content: 'out of stock' });
    await t.waitFor(
      `the shop given the ${performative}`,
      () => t.deliveredTo('shop').find((a) => a.message.conversationId === cid && a.message.performative === performative),
      60_000,
    );
  }
});

test('a topic publish leaves out a subscriber that would refuse it; a receiver named outright still refuses the whole', async () => {
  await t.node.topics.subscribe('shop', 'deals');
  await t.node.topics.subscribe('plain', 'deals');
  const publish = (content: string, receivers = [{ name: 'topic:deals' }]) =>
    t.send({ performative: 'inform', receivers, ontology: 'orders', language: 'json', content });

  const both = await publish('{"item":"tea","qty":1}');
  assert.deepEqual([...both.accepted].sort(), ['plain', 'shop'], 'content the shop understands reaches both');

  const bad = await publish('{"item":"tea","qty":0}');
  assert.deepEqual(bad.accepted, ['plain'], 'the shop, reached by the topic, is left out; the other subscriber gets it');
  await t.waitFor('plain to be given the publish', () => t.deliveredTo('plain').find((a) => a.messageId === bad.messageId), 60_000);

  const named = await publish('{"item":"tea","qty":0}', [{ name: 'shop' }, { name: 'topic:deals' }]).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(named instanceof CaxtonError, String(named));
  assert.equal(named.code, 'bus.invalid-send');
  assert.match(named.message, /shop does not understand the content as ontology "orders"/);
});

test("an operator's send that breaks the schema is refused with a typed error naming the receiver, the ontology and the error", async () => {
  const refused = await t
    .send({ performative: 'request', receivers: [{ name: 'shop' }], ontology: 'orders', language: 'json', content: '{"item":7,"qty":1}' })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  assert.ok(refused instanceof CaxtonError, String(refused));
  assert.equal(refused.code, 'bus.invalid-send');
  assert.match(
    refused.message,
    /content not understood: shop does not understand the content as ontology "orders": content\/item must be string/,
  );
  assert.doesNotMatch(refused.message, /protocol violation/, 'a refusal of content, not of a protocol step');
  assert.match(refused.hint ?? '', /matches the schema/);
  const sent = await t.send({
    performative: 'request',
    receivers: [{ name: 'shop' }],
    ontology: 'orders',
    content: '{"item":"tea","qty":3}',
  });
  assert.equal(sent.accepted.length, 1);
});

test('an upgrade without ontologies keeps them; one naming new ones replaces them', async () => {
  const echo = await agentArtifact('as-echo');
  await t.control.upgrade({ name: 'shop', limits: {} }, echo);
  assert.deepEqual((await t.control.getAgent('shop'))?.ontologies, ORDERS);
  assert.match(await buy('shop', 'up-1', '{"qty":1}', 'orders'), /content must have required property 'item'/);

  await t.control.upgrade({ name: 'shop', limits: {}, ontologies: { recipes: { type: 'string' } } }, echo);
  assert.deepEqual(Object.keys((await t.control.getAgent('shop'))?.ontologies ?? {}), ['recipes']);
  assert.match(await buy('shop', 'up-2', '"soup"', 'recipes'), /^got inform from shop@caxton cid=up-2 /);
  assert.match(await buy('shop', 'up-3', '{"item":"tea","qty":1}', 'orders'), /it speaks recipes/);
});

test('the lifecycle refuses a schema that does not compile or a sender could make slow, for any caller, storing nothing', async () => {
  const echo = await agentArtifact('as-echo');
  const refused = (p: Promise<unknown>) =>
    p.then(
      () => assert.fail('accepted'),
      (e: unknown) => e,
    );
  const missing = await refused(
    t.control.deploy({ name: 'broken', config: {}, limits: {}, ontologies: { orders: { $ref: '#/definitions/missing' } } }, echo),
  );
  assert.ok(missing instanceof CaxtonError, String(missing));
  assert.equal(missing.code, 'api.invalid');
  assert.equal(missing.context['field'], 'ontologies.orders');
  assert.match(missing.message, /the schema of ontology orders does not compile/);
  assert.equal(await t.control.getAgent('broken'), undefined, 'nothing stored');

  const kept = await t.control.getAgent('shop');
  const slow = await refused(
    t.control.upgrade({ name: 'shop', limits: {}, ontologies: { orders: { type: 'string', pattern: '^(a+)+$' } } }, echo),
  );
  assert.ok(slow instanceof CaxtonError, String(slow));
  assert.match(slow.message, /uses pattern/);
  const now = await t.control.getAgent('shop');
  assert.equal(now?.version, kept?.version, 'no new version');
  assert.deepEqual(now?.ontologies, kept?.ontologies, 'the ontologies kept');
});

test("a kind's instances are checked against the kind's ontologies", async () => {
  await t.control.deploy(
    { name: 'till', config: {}, limits: {}, kind: {}, ontologies: { orders: ORDERS['orders']! } },
    await agentArtifact('as-echo'),
  );
  assert.match(await buy('till/7', 'kind-1', '{"item":"tea","qty":1}', 'orders'), /^got inform from till\/7@caxton cid=kind-1 /);
  assert.match(await buy('till/8', 'kind-2', '{"item":"tea"}', 'orders'), /till\/8 does not understand the content as ontology "orders"/);
});
