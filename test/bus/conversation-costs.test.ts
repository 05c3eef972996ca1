/**
 * What conversations cost (issue 61, decision 2184) on a real node running the contract net (the
 * QuickJS broker, three AssemblyScript contractors): each conversation's figures, per agent, add up
 * to each agent's costs in its status, and all of them to the node's totals; the broker's share of
 * a request's conversation burnt fuel and sent its agree and cfp.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { HANDLING_COST_KEYS, addCosts, zeroCosts, type HandlingCosts } from '@caxton/core';
import { TestNode } from './support/test-node.js';
import { agentArtifact } from './support/artifacts.js';

const CONTRACTORS: Record<string, string> = { c1: '40', c2: '25', c3: '70' };
const PARCELS = ['parcel-1', 'parcel-2', 'parcel-3'];

let t: TestNode;

before(async () => {
  t = await TestNode.start();
  for (const [name, price] of Object.entries(CONTRACTORS)) await t.deploy(name, 'contract-net/as-contractor', { price });
  await t.deploy('broker', 'contract-net/js-initiator', { 'service-type': 'delivery', 'deadline-ms': '2000' });
});

after(async () => {
  await t?.dispose();
});

const figures = (c: HandlingCosts): HandlingCosts =>
  Object.fromEntries(HANDLING_COST_KEYS.map((k) => [k, c[k]])) as unknown as HandlingCosts;

test('per conversation and per agent, the costs of a contract net add up to the agents’ and the node’s', async () => {
  for (const conversationId of PARCELS)
    await t.send({
      performative: 'request',
      receivers: [{ name: 'broker' }],
      content: conversationId,
      protocol: 'fipa-request',
      conversationId,
    });
  for (const conversationId of PARCELS)
    await t.waitFor(
      `the result of ${conversationId} to reach the operator`,
      () => t.external.find((e) => e.message.conversationId === conversationId && e.message.performative === 'inform'),
      60_000,
    );
  await t.settle();

  const view = await t.control.conversationCosts({ limit: 1_000 });
  const agents = await t.control.listAgents();
  assert.deepEqual(agents.map((a) => a.name).sort(), ['broker', 'c1', 'c2', 'c3']);

  // Every agent's costs in its status: as many handlings as it handled, each costing fuel.
  const byAgents = zeroCosts();
  for (const a of agents) {
    assert.ok(a.costs, `${a.name} shows its costs`);
    assert.equal(a.costs.handled, a.messagesHandled, `${a.name}: its costs count what it handled`);
    assert.ok(a.costs.fuel > 0 && a.costs.handlerUs > 0, `${a.name} burnt fuel and time: ${JSON.stringify(a.costs)}`);
    addCosts(byAgents, a.costs);
  }
  assert.deepEqual(figures(view.totals), figures(byAgents), "the node's totals are the sum of its agents' costs");

  // Every handling of this flow is some conversation's: the conversations alone add up, per agent too.
  assert.equal(view.noConversation.handled, 0, JSON.stringify(view.noConversation));
  assert.equal(view.evicted.conversations, 0);
  assert.equal(view.conversations.length, view.conversationCount);
  const byConversations = zeroCosts();
  const perAgent = new Map<string, HandlingCosts>();
  for (const c of view.conversations) {
    addCosts(byConversations, c);
    const shares = zeroCosts();
    for (const s of c.agents) {
      addCosts(shares, s);
      addCosts(perAgent.get(s.agent) ?? perAgent.set(s.agent, zeroCosts()).get(s.agent)!, s);
    }
    assert.deepEqual(figures(shares), figures(c), `${c.conversationId}: its agents' shares add up to it`);
  }
  assert.deepEqual(figures(byConversations), figures(view.totals), 'the conversations add up to the totals');
  for (const a of agents)
    assert.deepEqual(figures(perAgent.get(a.name)!), figures(a.costs!), `${a.name}: its shares of the conversations add up to its costs`);

  // A request's conversation: the broker handled the request (agree + cfp sent) and the result.
  for (const conversationId of PARCELS) {
    const c = view.conversations.find((x) => x.conversationId === conversationId);
    assert.ok(c, `${conversationId} has figures`);
    const broker = c.agents.find((s) => s.agent === 'broker');
    assert.ok(broker && broker.fuel > 0 && broker.messagesSent >= 2 && broker.bytesSent > 0, `${conversationId}: ${JSON.stringify(c)}`);
    assert.ok(c.firstAt <= c.lastAt);
    const one = await t.control.conversationCosts({ conversationId });
    assert.deepEqual(one.conversations, [c], 'read alone, the same figures');
  }
  // The cfps' conversations are the contractors'.
  assert.ok(
    view.conversations.some((c) => Object.keys(CONTRACTORS).every((n) => c.agents.some((s) => s.agent === n && s.fuel > 0))),
    'a cfp conversation with each contractor burning fuel',
  );
  assert.deepEqual((await t.control.conversationCosts({ conversationId: 'never-seen' })).conversations, []);
});

test("a kind's instances: their handlings are their conversations' (state bytes too) and their kind's, and the node's totals are the agents' and kinds' costs", async () => {
  await t.control.deploy({ name: 'counter', config: {}, limits: {}, kind: { idleMs: 60_000 } }, await agentArtifact('as-state-counter'));
  for (const n of [1, 2, 3]) {
    await t.send({
      performative: 'request',
      receivers: [{ name: 'counter/alice' }],
      content: 'count',
      conversationId: 'tally',
      replyWith: `tally-${n}`,
    });
    await t.waitFor(`the answer to tally-${n}`, () => t.external.find((e) => e.message.inReplyTo === `tally-${n}`), 60_000);
  }
  await t.settle();
  const tally = (await t.control.conversationCosts({ conversationId: 'tally' })).conversations[0];
  assert.ok(tally, 'the conversation has figures');
  assert.deepEqual(
    tally.agents.map((a) => a.agent),
    ['counter/alice'],
    'the instance by its name',
  );
  assert.equal(tally.handled, 3);
  assert.ok(tally.fuel > 0 && tally.messagesSent === 3 && tally.bytesSent > 0, JSON.stringify(tally));
  assert.ok(tally.stateBytesWritten >= 3 * 'count'.length, `each handling wrote its count: ${tally.stateBytesWritten} bytes`);
  // The kind's status carries its instances' costs (decision 2184), so the node's totals are the
  // deployed agents' and kinds' costs added up.
  const kind = (await t.control.getAgent('counter'))!;
  assert.equal(kind.costs?.handled, tally.handled, "the kind's costs are its instance's handlings");
  assert.equal(kind.costs?.stateBytesWritten, tally.stateBytesWritten);
  const view = await t.control.conversationCosts({ limit: 1 });
  const agents = (await t.control.listAgents()).filter((a) => a.costs !== undefined);
  const byAgents = agents.reduce((sum, a) => sum + a.costs!.handled, 0);
  assert.equal(view.totals.handled, byAgents, `${view.totals.handled} = ${byAgents} (agents and kinds)`);
});
