/**
 * The contract-net demo agents (JS initiator, AssemblyScript contractors) holding a real conversation
 * through their components: search, cfp with reply-by, propose/refuse, award, reject, inform-result,
 * plus the deadline path where a late proposal is rejected automatically.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { buildAgent } from '../src/index.js';
import { examplesDir } from './fixtures.js';
import { blankMessage, loadAgent, type AgentFactory } from './harness.js';
import { MiniBus } from './minibus.js';

let initiator: AgentFactory;
let contractor: AgentFactory;
const REQUESTER = 'customer@test';

function request(task: string) {
  return blankMessage('request', {
    receivers: [{ name: 'initiator@test', addresses: [] }],
    content: task,
    protocol: 'fipa-request',
    conversationId: 'order-1',
    replyWith: 'order-1-rw',
  });
}

async function market(prices: Array<string | null>): Promise<MiniBus> {
  const bus = new MiniBus();
  await bus.spawn('initiator@test', initiator, [['deadline-ms', '500']]);
  for (const [i, price] of prices.entries()) {
    await bus.spawn(`contractor-${i}@test`, contractor, price === null ? [['decline', 'true']] : [['price', price]]);
  }
  return bus;
}

describe('contract-net example agents', () => {
  before(async () => {
    // In place and reused when up to date, as scripts/build-examples.mjs builds them.
    const i = await buildAgent(path.join(examplesDir, 'contract-net/js-initiator'), { reuse: true });
    const c = await buildAgent(path.join(examplesDir, 'contract-net/as-contractor'), { reuse: true });
    [initiator, contractor] = await Promise.all([loadAgent(i.artifactPath), loadAgent(c.artifactPath)]);
  });

  it("awards the cheapest proposal and reports the winner's result to the requester", async () => {
    const bus = await market(['42', '17.5', null, '30']);
    assert.equal(bus.directory.get('delivery')?.length, 4, 'every contractor registered its service');
    bus.post(REQUESTER, request('parcel 7 from A to B'));
    bus.pump();

    const toCustomer = bus.outside.filter((o) => o.to === REQUESTER).map((o) => o.msg);
    assert.deepEqual(
      toCustomer.map((m) => m.performative),
      ['agree', 'inform'],
    );
    assert.equal(toCustomer[1]?.content, 'done: parcel 7 from A to B by contractor-1@test for 17.5');
    assert.equal(toCustomer[1]?.conversationId, 'order-1');
    assert.equal(toCustomer[1]?.inReplyTo, 'order-1-rw');

    const cfps = bus.must('initiator@test').host.sent.filter((m) => m.performative === 'cfp');
    assert.equal(cfps.length, 1);
    assert.equal(cfps[0]?.receivers.length, 4);
    assert.equal(cfps[0]?.replyBy, bus.must('initiator@test').host.clock + 500n);
    assert.equal(cfps[0]?.protocol, 'fipa-contract-net');

    const verdicts = bus
      .must('initiator@test')
      .host.sent.filter((m) => m.performative === 'accept-proposal' || m.performative === 'reject-proposal')
      .map((m) => [m.performative, m.receivers[0]?.name]);
    assert.deepEqual(verdicts.sort(), [
      ['accept-proposal', 'contractor-1@test'],
      ['reject-proposal', 'contractor-0@test'],
      ['reject-proposal', 'contractor-3@test'],
    ]);
    // Every message of the round stays in the cfp's conversation.
    const conv = cfps[0]?.conversationId;
    for (const c of ['contractor-0@test', 'contractor-1@test', 'contractor-2@test', 'contractor-3@test']) {
      for (const m of bus.must(c).host.sent) assert.equal(m.conversationId, conv);
    }
  });

  it('closes the round at the deadline and rejects a late proposal', async () => {
    const bus = await market(['50', '20']);
    bus.post(REQUESTER, request('parcel 8'));
    // contractor-1 (the cheaper one) is slow: hold its proposal until after the deadline.
    bus.pump((to, msg) => !(to === 'initiator@test' && msg.sender?.name === 'contractor-1@test'));
    assert.equal(bus.held.length, 1);
    const timer = bus.must('initiator@test').host.timers[0];
    assert.ok(timer, 'the initiator armed a deadline timer');
    assert.equal(timer.delayMs, 500);
    bus.fireTimer('initiator@test', timer.token);
    bus.pump();
    bus.release();
    bus.pump();

    const sent = bus.must('initiator@test').host.sent;
    const accept = sent.find((m) => m.performative === 'accept-proposal');
    assert.equal(accept?.receivers[0]?.name, 'contractor-0@test');
    const late = sent.find((m) => m.performative === 'reject-proposal' && m.receivers[0]?.name === 'contractor-1@test');
    assert.equal(late?.content, 'too late');
    const toCustomer = bus.outside.filter((o) => o.to === REQUESTER).map((o) => o.msg);
    assert.deepEqual(
      toCustomer.map((m) => m.performative),
      ['agree', 'inform'],
    );
    assert.match(toCustomer[1]?.content ?? '', /by contractor-0@test for 50$/);
  });

  it('fails the request when every contractor refuses, and refuses when none exist', async () => {
    const bus = await market([null, null]);
    bus.post(REQUESTER, request('parcel 9'));
    bus.pump();
    const toCustomer = bus.outside.filter((o) => o.to === REQUESTER).map((o) => o.msg);
    assert.deepEqual(
      toCustomer.map((m) => [m.performative, m.content]),
      [
        ['agree', 'calling for proposals from 2 contractors'],
        ['failure', 'no proposals for: parcel 9'],
      ],
    );

    const empty = await market([]);
    empty.post(REQUESTER, request('parcel 10'));
    empty.pump();
    assert.deepEqual(
      empty.outside.map((o) => [o.msg.performative, o.msg.content]),
      [['refuse', 'no delivery contractors registered']],
    );
  });

  it('passes a contractor failure on to the requester', async () => {
    const bus = new MiniBus();
    await bus.spawn('initiator@test', initiator, [['deadline-ms', '500']]);
    await bus.spawn('contractor-0@test', contractor, [
      ['price', '10'],
      ['fail-on-award', 'true'],
    ]);
    bus.post(REQUESTER, request('parcel 11'));
    bus.pump();
    const last = bus.outside.at(-1)?.msg;
    assert.equal(last?.performative, 'failure');
    assert.equal(last?.content, 'contractor failed: could not perform parcel 11');
  });
});
