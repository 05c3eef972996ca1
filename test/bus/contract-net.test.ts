/**
 * fipa-contract-net with ten real contractors through the real node: seven propose, two refuse, one
 * proposes only after the cfp's reply-by. The runtime must close the call at the deadline (telling
 * the initiator who was silent), answer the late proposal with reject-proposal from the platform
 * and never hand it to the initiator; the initiator (examples/contract-net/js-initiator, QuickJS)
 * awards the cheapest on-time bid and the winner's result reaches the operator. The flow is read
 * from the bus's 'accepted' events, which is also what `caxton tail` shows.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestNode, AMS, local, type Accepted } from './support/test-node.js';
import { arrow, indexOf } from './support/flow.js';

const ON_TIME: Record<string, string> = { c1: '50', c2: '61', c3: '12', c4: '70', c5: '33', c6: '44', c7: '90' };
const DECLINERS = ['d1', 'd2'];
const LATE = 'late';
const DEADLINE_MS = 600;

let t: TestNode;

before(async () => {
  t = await TestNode.start();
  for (const [name, price] of Object.entries(ON_TIME)) await t.deploy(name, 'contract-net/as-contractor', { price });
  for (const name of DECLINERS) await t.deploy(name, 'contract-net/as-contractor', { decline: 'true' });
  // Price 1 would win if it were on time: the award going to c3 also shows it never arrived.
  await t.deploy(LATE, 'conformance/late-contractor', { price: '1', 'delay-ms': String(DEADLINE_MS + 900) });
  await t.deploy('broker', 'contract-net/js-initiator', { 'service-type': 'delivery', 'deadline-ms': String(DEADLINE_MS) });
});

after(async () => {
  await t?.dispose();
});

test('a contract net with ten contractors: refusals, a late proposal rejected by the runtime, award and result', async () => {
  await t.send({
    performative: 'request',
    receivers: [{ name: 'broker' }],
    content: 'parcel 1',
    protocol: 'fipa-request',
    conversationId: 'parcel-1',
    replyWith: 'parcel-1-req',
  });
  await t.waitFor('the late proposal to be answered by the platform', () =>
    t.accepted.find((a) => a.message.performative === 'reject-proposal' && a.message.sender?.name === AMS),
  );
  await t.waitFor('the result to reach the operator', () =>
    t.accepted.find((a) => a.message.conversationId === 'parcel-1' && a.message.performative === 'inform'),
  );
  await t.settle();

  const cfp = t.accepted.find((a) => a.message.performative === 'cfp');
  assert.ok(cfp, 'the broker sent a cfp');
  const cfpCid = cfp.message.conversationId!;
  assert.ok(cfp.message.replyBy !== undefined, 'the cfp has a reply-by');
  const flow = t.accepted.filter((a) => a.message.conversationId === 'parcel-1' || a.message.conversationId === cfpCid);
  // Nothing else happened on the bus.
  assert.equal(
    flow.length,
    t.accepted.length,
    `unexpected messages:\n${t.accepted
      .filter((a) => !flow.includes(a))
      .map(arrow)
      .join('\n')}`,
  );

  const contractors = [...Object.keys(ON_TIME), ...DECLINERS, LATE].sort().join(',');
  const losers = Object.keys(ON_TIME).filter((c) => c !== 'c3');
  const expected = [
    'operator → broker request',
    'broker → operator agree',
    `broker → ${contractors} cfp`,
    ...Object.keys(ON_TIME).map((c) => `${c} → broker propose`),
    ...DECLINERS.map((d) => `${d} → broker refuse`),
    'ams → broker inform', // the call closed at the cfp's reply-by
    'broker → c3 accept-proposal',
    ...losers.map((c) => `broker → ${c} reject-proposal`),
    'c3 → broker inform', // the winner's result
    'broker → operator inform',
    `ams → ${LATE} reject-proposal`, // the late proposal, answered by the runtime
  ];
  assert.deepEqual(flow.map(arrow).sort(), [...expected].sort(), `flow:\n${flow.map(arrow).join('\n')}`);

  // The late proposal was never accepted for delivery: the initiator cannot have seen it.
  assert.equal(flow.filter((a) => local(a.message.sender) === LATE).length, 0);
  assert.ok(!t.deliveredTo('broker').some((a) => local(a.message.sender) === LATE));

  // Causal order.
  const at = (what: string, pred: (a: Accepted) => boolean): number => indexOf(flow, what, pred);
  const is = (from: string, perf: string, to?: string) => (a: Accepted) =>
    local(a.message.sender) === from &&
    a.message.performative === perf &&
    (to === undefined || a.message.receivers.some((r) => local(r) === to));
  const request = at('request', is('operator', 'request'));
  const cfpAt = at('cfp', is('broker', 'cfp'));
  assert.equal(request, 0);
  assert.ok(at('agree', is('broker', 'agree')) > request && cfpAt > request);
  const answers = flow.filter((a) => a.message.performative === 'propose' || a.message.performative === 'refuse');
  assert.ok(
    answers.every((a) => a.seq > cfp.seq),
    'answers follow the cfp',
  );
  const accept = at('accept-proposal', is('broker', 'accept-proposal'));
  const lastProposal = Math.max(...Object.keys(ON_TIME).map((c) => at(`${c} propose`, is(c, 'propose'))));
  assert.ok(accept > lastProposal, 'the award follows every on-time proposal');
  const result = at('winner result', is('c3', 'inform'));
  const toOperator = at('result to operator', (a) => is('broker', 'inform')(a) && a.message.conversationId === 'parcel-1');
  assert.ok(result > accept && toOperator > result);
  const callClosed = at('call closed', is('ams', 'inform', 'broker'));
  const lateReject = at('late reject-proposal', is('ams', 'reject-proposal', LATE));
  assert.ok(lateReject > callClosed, 'the late proposal came after the call closed');
  assert.ok(flow[lateReject]!.at >= cfp.message.replyBy!, 'the platform rejected it after the reply-by');

  // What the platform said when the call closed: two refusals and one silent contractor.
  const closed = flow[callClosed]!.message;
  assert.equal(closed.userParams?.['X-caxton-event'], 'deadline');
  assert.equal(closed.userParams?.['X-caxton-deadline'], 'call');
  const report = JSON.parse(closed.content!) as { event: string; refused: string[]; silent: string[] };
  assert.equal(report.event, 'call-closed');
  assert.deepEqual(report.silent.map(local), [LATE]);
  assert.deepEqual(report.refused.map(local).sort(), DECLINERS);

  // The platform's reject-proposal speaks for the initiator and names the late proposal's event.
  const rejection = flow[lateReject]!.message;
  assert.equal(rejection.userParams?.['X-caxton-event'], 'late-proposal');
  assert.equal(local(rejection.userParams?.['X-caxton-on-behalf-of']), 'broker');
  assert.equal(rejection.conversationId, cfpCid);
  // …and the late contractor really received it in its sandbox.
  await t.waitFor('the late contractor to log the rejection', () => t.logs(LATE).some((l) => l.startsWith('rejected (late-proposal)')));

  // The award and the result.
  assert.equal(flow[accept]!.message.content, 'parcel 1');
  assert.equal(flow[toOperator]!.message.content, 'done: parcel 1 by c3@caxton for 12');
  assert.equal(flow[toOperator]!.message.inReplyTo, 'parcel-1-req');
  // Every delivery was handled successfully and completed.
  assert.ok(
    t.handled.every((h) => h.outcome.status === 'ok'),
    JSON.stringify(t.handled.filter((h) => h.outcome.status !== 'ok')),
  );
  await t.waitFor('every handled delivery to be completed', () => t.handled.every((h) => t.completed.has(h.deliveryId)));
});
