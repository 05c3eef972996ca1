/** Contract net at the tracker level: rounds, the closing deadline, late proposals, awards. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Performative } from '../../src/acl/message.js';
import { PROTOCOL_ERROR_CODES } from '../../src/protocols/errors.js';
import {
  CALL_SUMMARY_LANGUAGE,
  CAXTON_DEADLINE_PARAM,
  CAXTON_ON_BEHALF_OF_PARAM,
  type CallClosedSummary,
} from '../../src/protocols/replies.js';
import { PLATFORM, assertDelivered, assertRejected, eventOf, msg, names, newTracker } from './helpers.js';

const MANAGER = 'manager@p';
const contractors = Array.from({ length: 10 }, (_, i) => `c${i}@p`);

const fromManager = (performative: Performative, to: string | string[], extra = {}) =>
  msg(performative, MANAGER, to, { protocol: 'fipa-contract-net', conversationId: 'job-1', ...extra });
const fromContractor = (performative: Performative, who: string, extra = {}) =>
  msg(performative, who, MANAGER, {
    protocol: 'fipa-contract-net',
    conversationId: 'job-1',
    inReplyTo: 'cfp-1',
    replyWith: `${who}-${performative}`,
    ...extra,
  });

describe('tracker: fipa-contract-net with ten contractors', () => {
  it('refusals, one late proposal auto-rejected, one award, the rest rejected, the winner informs', () => {
    const tracker = newTracker();
    assertDelivered(tracker.observe(fromManager('cfp', contractors, { replyWith: 'cfp-1', replyBy: 1_000 }), 0));
    assert.equal(tracker.nextDeadline(), 1_000);

    const refusers = contractors.slice(0, 3);
    const bidders = contractors.slice(3, 9);
    const late = contractors[9]!;
    for (const [i, who] of refusers.entries()) assertDelivered(tracker.observe(fromContractor('refuse', who), 10 + i), who);
    for (const [i, who] of bidders.entries()) assertDelivered(tracker.observe(fromContractor('propose', who), 100 + i), who);

    // The call closes: the manager learns who proposed, refused and stayed silent.
    const [closed, ...others] = tracker.expire(1_000);
    assert.equal(others.length, 0);
    assert.ok(closed);
    assert.equal(closed.performative, 'inform');
    assert.deepEqual(closed.sender, PLATFORM);
    assert.deepEqual(names(closed.receivers), [MANAGER]);
    assert.equal(closed.inReplyTo, 'cfp-1');
    assert.equal(eventOf(closed), 'deadline');
    assert.equal(closed.userParams?.[CAXTON_DEADLINE_PARAM], 'call');
    assert.equal(closed.language, CALL_SUMMARY_LANGUAGE);
    const summary = JSON.parse(closed.content ?? '') as CallClosedSummary;
    assert.deepEqual(summary, {
      event: 'call-closed',
      round: 1,
      closedAt: 1_000,
      proposed: [...bidders].sort(),
      refused: [...refusers].sort(),
      silent: [late],
    });

    // The late proposal never reaches the manager: the runtime rejects it on the manager's behalf.
    const rejection = assertRejected(
      tracker.observe(fromContractor('propose', late), 1_200),
      'reject-proposal',
      PROTOCOL_ERROR_CODES.lateProposal,
    );
    assert.deepEqual(names(rejection.receivers), [late]);
    assert.equal(rejection.inReplyTo, `${late}-propose`);
    assert.equal(rejection.conversationId, 'job-1');
    assert.equal(eventOf(rejection), 'late-proposal');
    assert.equal(rejection.userParams?.[CAXTON_ON_BEHALF_OF_PARAM], MANAGER);
    assertRejected(
      tracker.observe(fromContractor('propose', late), 1_201),
      'not-understood',
      PROTOCOL_ERROR_CODES.conversationEnded,
      'only once',
    );

    const [winner, ...losers] = bidders as [string, ...string[]];
    assertDelivered(tracker.observe(fromManager('accept-proposal', winner, { inReplyTo: `${winner}-propose` }), 1_300));
    assertDelivered(tracker.observe(fromManager('reject-proposal', losers, { inReplyTo: 'bids' }), 1_301));
    assertRejected(
      tracker.observe(fromContractor('inform', losers[0]!), 1_302),
      'not-understood',
      PROTOCOL_ERROR_CODES.conversationEnded,
      'a rejected bidder has nothing to report',
    );

    const result = tracker.observe(fromContractor('inform', winner), 1_400);
    assertDelivered(result);
    assert.equal(result.conversation?.ended, true);
    assert.deepEqual(
      tracker.inspect(MANAGER, 'job-1')?.participants.map((p) => p.phase),
      ['refused', 'refused', 'refused', 'done', 'rejected', 'rejected', 'rejected', 'rejected', 'rejected', 'late-rejected'],
    );
    assert.deepEqual(tracker.expire(100_000), []);
    assert.deepEqual(tracker.stats(), { active: 0, ended: 0, pendingNotices: 0 }, 'forgotten after the retention period');
  });

  it('a late proposal is rejected even when observed before expire() ran, and the close notice is queued', () => {
    const tracker = newTracker();
    tracker.observe(fromManager('cfp', ['c0@p', 'c1@p'], { replyWith: 'cfp-1', replyBy: 1_000 }), 0);
    tracker.observe(fromContractor('propose', 'c0@p'), 10);
    assertRejected(tracker.observe(fromContractor('propose', 'c1@p'), 1_000), 'reject-proposal', PROTOCOL_ERROR_CODES.lateProposal);
    assert.equal(tracker.nextDeadline(), 1_000);
    const [notice] = tracker.expire(1_001);
    assert.deepEqual((JSON.parse(notice?.content ?? '') as CallClosedSummary).silent, ['c1@p']);
  });

  it('lets the initiator award before the call closes', () => {
    const tracker = newTracker();
    tracker.observe(fromManager('cfp', ['c0@p', 'c1@p'], { replyBy: 1_000 }), 0);
    tracker.observe(fromContractor('propose', 'c0@p'), 10);
    assertDelivered(tracker.observe(fromManager('accept-proposal', 'c0@p'), 20));
    assertRejected(
      tracker.observe(fromManager('accept-proposal', 'c1@p'), 21),
      'not-understood',
      PROTOCOL_ERROR_CODES.outOfSequence,
      'c1 has not proposed',
    );
    const [notice] = tracker.expire(1_000);
    const summary = JSON.parse(notice?.content ?? '') as CallClosedSummary;
    assert.deepEqual([summary.proposed, summary.silent], [[], ['c1@p']]);
  });

  it('fails towards the initiator when nobody answered the call at all', () => {
    const tracker = newTracker();
    tracker.observe(fromManager('cfp', ['c0@p', 'c1@p'], { replyWith: 'cfp-1', replyBy: 500 }), 0);
    const [failure] = tracker.expire(500);
    assert.equal(failure?.performative, 'failure');
    assert.equal(failure?.userParams?.[CAXTON_DEADLINE_PARAM], 'call');
    assert.match(failure?.content ?? '', /no participant answered/);
    assert.deepEqual(tracker.stats().active, 0, 'every branch closed: the conversation ended');
    assertRejected(
      tracker.observe(fromContractor('propose', 'c0@p'), 600),
      'reject-proposal',
      PROTOCOL_ERROR_CODES.lateProposal,
      'late even after the end',
    );
  });

  it('sends nothing at the deadline when everyone refused before it (the conversation already ended)', () => {
    const tracker = newTracker();
    tracker.observe(fromManager('cfp', ['c0@p', 'c1@p'], { replyBy: 500 }), 0);
    tracker.observe(fromContractor('refuse', 'c0@p'), 1);
    assert.equal(tracker.observe(fromContractor('refuse', 'c1@p'), 2).conversation?.ended, true);
    assert.equal(tracker.nextDeadline(), undefined);
    assert.deepEqual(tracker.expire(500), []);
  });

  it('without reply-by the call never closes: proposals are accepted at any time', () => {
    const tracker = newTracker();
    tracker.observe(fromManager('cfp', 'c0@p'), 0);
    assertDelivered(tracker.observe(fromContractor('propose', 'c0@p'), 50_000));
  });

  it('an accept-proposal with reply-by bounds the wait for the result', () => {
    const tracker = newTracker();
    tracker.observe(fromManager('cfp', 'c0@p'), 0);
    tracker.observe(fromContractor('propose', 'c0@p'), 1);
    tracker.observe(fromManager('accept-proposal', 'c0@p', { replyWith: 'award', replyBy: 100 }), 2);
    const [failure] = tracker.expire(100);
    assert.equal(failure?.performative, 'failure');
    assert.equal(failure?.inReplyTo, 'award');
    assert.equal(failure?.userParams?.[CAXTON_DEADLINE_PARAM], 'reply');
  });

  it('a second cfp in a plain contract net is out of sequence', () => {
    const tracker = newTracker();
    tracker.observe(fromManager('cfp', 'c0@p'), 0);
    tracker.observe(fromContractor('propose', 'c0@p'), 1);
    assertRejected(tracker.observe(fromManager('cfp', 'c0@p'), 2), 'not-understood', PROTOCOL_ERROR_CODES.outOfSequence);
  });
});

describe('tracker: fipa-iterated-contract-net', () => {
  const iterated = (performative: Performative, from: string, to: string | string[], extra = {}) =>
    msg(performative, from, to, { protocol: 'fipa-iterated-contract-net', conversationId: 'auction', ...extra });

  it('runs a second round with some proposers, each round closing on its own deadline', () => {
    const tracker = newTracker();
    tracker.observe(iterated('cfp', MANAGER, ['a@p', 'b@p', 'c@p'], { replyWith: 'round-1', replyBy: 100 }), 0);
    for (const who of ['a@p', 'b@p', 'c@p']) assertDelivered(tracker.observe(iterated('propose', who, MANAGER), 10));
    const [first] = tracker.expire(100);
    assert.deepEqual((JSON.parse(first?.content ?? '') as CallClosedSummary).proposed, ['a@p', 'b@p', 'c@p']);

    assertDelivered(tracker.observe(iterated('reject-proposal', MANAGER, 'c@p'), 110));
    assertDelivered(tracker.observe(iterated('cfp', MANAGER, ['a@p', 'b@p'], { replyWith: 'round-2', replyBy: 200 }), 111));
    assertRejected(
      tracker.observe(iterated('cfp', MANAGER, 'c@p'), 112),
      'not-understood',
      PROTOCOL_ERROR_CODES.conversationEnded,
      'c was rejected',
    );
    assertDelivered(tracker.observe(iterated('propose', 'a@p', MANAGER), 150));

    const [second] = tracker.expire(200);
    assert.equal(second?.inReplyTo, 'round-2');
    const summary = JSON.parse(second?.content ?? '') as CallClosedSummary;
    assert.deepEqual([summary.round, summary.proposed, summary.silent], [2, ['a@p'], ['b@p']]);
    assertRejected(tracker.observe(iterated('propose', 'b@p', MANAGER), 201), 'reject-proposal', PROTOCOL_ERROR_CODES.lateProposal);

    assertDelivered(tracker.observe(iterated('accept-proposal', MANAGER, 'a@p'), 210));
    assert.equal(tracker.observe(iterated('inform', 'a@p', MANAGER), 220).conversation?.ended, true);
  });

  it('cannot call an agent that was not in the conversation into a new round', () => {
    const tracker = newTracker();
    tracker.observe(iterated('cfp', MANAGER, ['a@p']), 0);
    tracker.observe(iterated('propose', 'a@p', MANAGER), 1);
    assertRejected(tracker.observe(iterated('cfp', MANAGER, ['a@p', 'z@p']), 2), 'not-understood', PROTOCOL_ERROR_CODES.notParticipant);
  });
});
