/**
 * Declared ontologies (issue 61, decision 2183) in the cluster topology: two in-process nodes on the
 * real Kafka and etcd. The agent is deployed with its schema through one node and runs on one of
 * them; the other checks a send against the schema from the registry's watched mirror, before
 * anything is appended to Kafka. Through either node, content breaking the schema is refused typed
 * and never reaches the agent; matching content is handled once, wherever the agent runs.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { CaxtonError, type OntologySchemas } from '@caxton/core';
import { agentArtifact } from '../bus/support/artifacts.js';
import { TestNode } from '../bus/support/test-node.js';
import { servers, type Servers } from './support/servers.js';
import { waitFor } from './support/cluster.js';

const ORDERS: OntologySchemas = {
  orders: {
    type: 'object',
    properties: { item: { type: 'string' }, qty: { type: 'integer', minimum: 1 } },
    required: ['item', 'qty'],
    additionalProperties: false,
  },
};

let infra: Servers;
const nodes: TestNode[] = [];

/** Handlings by the shop of message `messageId`, on every node. */
const shopHandled = (messageId: string): number =>
  nodes.flatMap((n) => n.handled).filter((h) => h.agent === 'shop' && h.messageId === messageId).length;

/** Messages of conversation `cid` accepted for the shop, through any node. */
const acceptedFor = (cid: string): number =>
  nodes.flatMap((n) => n.deliveredTo('shop')).filter((a) => a.message.conversationId === cid).length;

/** An operator's send of `content` in `ontology` to the shop through `node`: the refusal, or the accepted message's id. */
async function order(
  node: TestNode,
  cid: string,
  content: string,
  ontology = 'orders',
): Promise<{ refused: CaxtonError } | { messageId: string }> {
  try {
    const sent = await node.send({
      performative: 'request',
      receivers: [{ name: 'shop' }],
      conversationId: cid,
      language: 'json',
      ontology,
      content,
    });
    return { messageId: sent.messageId };
  } catch (err) {
    if (err instanceof CaxtonError) return { refused: err };
    throw err;
  }
}

function refusal(r: Awaited<ReturnType<typeof order>>, what: string): CaxtonError {
  assert.ok('refused' in r, `${what} was refused`);
  return r.refused;
}

before(async () => {
  infra = await servers();
  const cluster = { name: `ontologies-${randomBytes(3).toString('hex')}`, partitions: 4 };
  for (const nodeId of ['onto-a', 'onto-b']) {
    nodes.push(await TestNode.start({ nodeId, kafka: { brokers: [infra.kafka] }, etcd: { endpoints: [infra.etcd] }, cluster }));
  }
  await nodes[0]!.control.deploy({ name: 'shop', config: {}, limits: {}, ontologies: ORDERS }, await agentArtifact('as-echo'));
  await waitFor(
    'the shop to run',
    async () => (await nodes[0]!.control.listAgents()).some((a) => a.name === 'shop' && a.state === 'running'),
    60_000,
  );
  // Each node knows the shop's ontologies once its mirror of the registry has the record (a watch):
  // a send naming one the shop does not speak is refused there from then on. (A send through a node
  // whose mirror has not caught up yet is checked by nothing: the window a registry watch takes.)
  for (const [i, node] of nodes.entries())
    await waitFor(
      `node ${i} to check the shop's ontologies`,
      async () => 'refused' in (await order(node, `sync-${i}`, '{}', 'recipes')),
      60_000,
    );
});

after(async () => {
  for (const n of nodes) await n.dispose();
  await infra?.stop();
});

test("through either node, content breaking the shop's schema is refused typed before the log; matching content is handled once", async () => {
  const running = (await nodes[0]!.control.listAgents()).find((a) => a.name === 'shop')!;
  assert.ok(
    nodes.some((n) => n.node.nodeId !== running.nodeId),
    'one of the two nodes does not run the shop: its check is the mirror',
  );
  const accepted: string[] = [];
  for (const [i, node] of nodes.entries()) {
    const bad = refusal(await order(node, `bad-${i}`, '{"item":"tea","qty":0}'), `the breaking order through node ${i}`);
    assert.equal(bad.code, 'bus.invalid-send');
    assert.match(
      bad.message,
      /content not understood: .*shop does not understand the content as ontology "orders": content\/qty must be >= 1/,
    );
    assert.ok(bad.hint, 'the refusal says what to do');
    const notJson = refusal(await order(node, `text-${i}`, 'two teas please'), `the text order through node ${i}`);
    assert.match(notJson.message, /shop takes ontology "orders" as JSON, and the content is not JSON/);
    const ok = await order(node, `ok-${i}`, '{"item":"tea","qty":2}');
    assert.ok('messageId' in ok, `node ${i} accepted the matching order`);
    accepted.push(ok.messageId);
  }
  await waitFor('both matching orders handled', () => accepted.every((id) => shopHandled(id) >= 1), 60_000, 25);
  for (const n of nodes) await n.settle();
  for (const [i, id] of accepted.entries()) assert.equal(shopHandled(id), 1, `the order through node ${i} handled once`);
  for (const i of [0, 1])
    assert.equal(acceptedFor(`bad-${i}`) + acceptedFor(`text-${i}`), 0, `nothing refused through node ${i} was accepted`);
});
