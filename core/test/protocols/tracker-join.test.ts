/**
 * An initiator opening one conversation with one opener per participant (issue 29, decision
 * 1951): what JADE's stock ContractNetInitiator and AchieveREInitiator send — each responder its
 * own cfp/request, with its own reply-with, in one conversation. Each new participant gets its
 * own branch; a cfp with the reply-by of the open call joins that call. Everything else towards
 * agents outside the conversation stays refused.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Performative } from '../../src/acl/message.js';
import { PROTOCOL_ERROR_CODES } from '../../src/protocols/errors.js';
import type { CallClosedSummary } from '../../src/protocols/replies.js';
import { ConversationTracker } from '../../src/protocols/tracker.js';
import { PLATFORM, assertDelivered, assertRejected, msg, newTracker } from './helpers.js';

const JADE = 'cnet@jade-1';
const cnet = (performative: Performative, from: string, to: string | string[], extra = {}) =>
  msg(performative, from, to, { protocol: 'fipa-contract-net', conversationId: 'C1_1700000000000', ...extra });

describe('tracker: one opener per participant in one conversation', () => {
  it("JADE's ContractNetInitiator: a cfp to each contractor, proposals, one award, one rejection, the winner informs", () => {
    const tracker = newTracker();
    assertDelivered(tracker.observe(cnet('cfp', JADE, 'a@caxton', { replyWith: 'R1_0', replyBy: 1_000 }), 0), 'first cfp');
    assertDelivered(tracker.observe(cnet('cfp', JADE, 'b@caxton', { replyWith: 'R1_1', replyBy: 1_000 }), 1), 'second cfp joins');
    assert.deepEqual(
      tracker.inspect(JADE, 'C1_1700000000000')?.participants.map((p) => [p.name, p.phase]),
      [
        ['a@caxton', 'called'],
        ['b@caxton', 'called'],
      ],
    );
    assertDelivered(tracker.observe(cnet('propose', 'a@caxton', JADE, { inReplyTo: 'R1_0' }), 10));
    assertDelivered(tracker.observe(cnet('propose', 'b@caxton', JADE, { inReplyTo: 'R1_1' }), 11));
    assertDelivered(tracker.observe(cnet('accept-proposal', JADE, 'b@caxton'), 20));
    assertDelivered(tracker.observe(cnet('reject-proposal', JADE, 'a@caxton'), 21));
    const done = tracker.observe(cnet('inform', 'b@caxton', JADE), 30);
    assertDelivered(done);
    assert.equal(done.conversation?.ended, true);
    assert.deepEqual(tracker.expire(1_000), [], 'everything was decided before the call closed: no summary');
  });

  it('cfps with the same reply-by are one call: one summary names the proposer and the silent one', () => {
    const tracker = newTracker();
    tracker.observe(cnet('cfp', JADE, 'a@caxton', { replyWith: 'R1_0', replyBy: 1_000 }), 0);
    tracker.observe(cnet('cfp', JADE, 'b@caxton', { replyWith: 'R1_1', replyBy: 1_000 }), 1);
    tracker.observe(cnet('propose', 'a@caxton', JADE, { inReplyTo: 'R1_0' }), 10);
    const notices = tracker.expire(1_000);
    assert.equal(notices.length, 1, 'one call, one summary');
    const summary = JSON.parse(notices[0]!.content ?? '') as CallClosedSummary;
    assert.deepEqual([summary.proposed, summary.silent], [['a@caxton'], ['b@caxton']]);
    assertRejected(
      tracker.observe(cnet('propose', 'b@caxton', JADE, { inReplyTo: 'R1_1' }), 1_001),
      'reject-proposal',
      PROTOCOL_ERROR_CODES.lateProposal,
    );
  });

  it("JADE's AchieveREInitiator with two responders: a request to each, each answered on its own", () => {
    const tracker = newTracker();
    const req = (performative: Performative, from: string, to: string, extra = {}) =>
      msg(performative, from, to, { protocol: 'fipa-request', conversationId: 'R7', ...extra });
    assertDelivered(tracker.observe(req('request', JADE, 'x@caxton', { replyWith: 'R7_0' }), 0));
    assertDelivered(tracker.observe(req('request', JADE, 'y@caxton', { replyWith: 'R7_1' }), 1));
    assertDelivered(tracker.observe(req('inform', 'x@caxton', JADE, { inReplyTo: 'R7_0' }), 2));
    assert.equal(tracker.inspect(JADE, 'R7')?.ended, false, 'y has not answered');
    assertRejected(
      tracker.observe(req('request', JADE, 'x@caxton', { replyWith: 'R7_2' }), 3),
      'not-understood',
      PROTOCOL_ERROR_CODES.conversationEnded,
      'x is done',
    );
    const last = tracker.observe(req('failure', 'y@caxton', JADE, { inReplyTo: 'R7_1' }), 4);
    assertDelivered(last);
    assert.equal(last.conversation?.ended, true);
  });

  it('still refuses what is not an opening towards new participants only', () => {
    const tracker = newTracker();
    tracker.observe(cnet('cfp', JADE, 'a@caxton', { replyWith: 'R1_0', replyBy: 1_000 }), 0);
    // A non-opening act to an outsider, an opener to a member and an outsider at once, another protocol's opener.
    assertRejected(tracker.observe(cnet('accept-proposal', JADE, 'z@caxton'), 1), 'not-understood', PROTOCOL_ERROR_CODES.notParticipant);
    assertRejected(tracker.observe(cnet('cfp', JADE, ['a@caxton', 'z@caxton']), 2), 'not-understood', PROTOCOL_ERROR_CODES.notParticipant);
    assertRejected(
      tracker.observe(msg('request', JADE, 'z@caxton', { protocol: 'fipa-request', conversationId: 'C1_1700000000000' }), 3),
      'not-understood',
      PROTOCOL_ERROR_CODES.notParticipant,
    );
    // A participant cannot widen the initiator's conversation: its cfp opens a conversation of its own (keyed by its name).
    assertDelivered(tracker.observe(cnet('cfp', 'a@caxton', 'z@caxton'), 4));
    assert.equal(tracker.inspect('a@caxton', 'C1_1700000000000')?.initiator, 'a@caxton');
    assert.deepEqual(
      tracker.inspect(JADE, 'C1_1700000000000')?.participants.map((p) => p.name),
      ['a@caxton'],
    );
  });

  it('bounds the participants of one conversation (maxParticipants): past it the opener is refused with failure', () => {
    const tracker = newTracker({ maxParticipants: 2 });
    tracker.observe(cnet('cfp', JADE, 'a@caxton', { replyWith: 'R1_0' }), 0);
    assertDelivered(tracker.observe(cnet('cfp', JADE, 'b@caxton', { replyWith: 'R1_1' }), 1));
    const refused = assertRejected(
      tracker.observe(cnet('cfp', JADE, 'c@caxton', { replyWith: 'R1_2' }), 2),
      'failure',
      PROTOCOL_ERROR_CODES.capacity,
    );
    assert.deepEqual(refused.receivers, [{ name: JADE }]);
    assert.deepEqual(refused.sender, PLATFORM);
    assert.equal(tracker.inspect(JADE, 'C1_1700000000000')?.participants.length, 2);
  });

  it('joined participants survive a snapshot and restore', () => {
    const tracker = newTracker();
    tracker.observe(cnet('cfp', JADE, 'a@caxton', { replyWith: 'R1_0', replyBy: 1_000 }), 0);
    tracker.observe(cnet('cfp', JADE, 'b@caxton', { replyWith: 'R1_1', replyBy: 1_000 }), 1);
    const restored = ConversationTracker.restore({ platformAgent: PLATFORM }, JSON.parse(JSON.stringify(tracker.snapshot())));
    assertDelivered(
      restored.observe(cnet('propose', 'b@caxton', JADE, { inReplyTo: 'R1_1' }), 10),
      'the joined contractor is still a participant',
    );
    assertDelivered(restored.observe(cnet('cfp', JADE, 'c@caxton', { replyWith: 'R1_2', replyBy: 1_000 }), 11), 'and more may join');
    assert.equal(restored.expire(1_000).length, 1);
  });
});

describe('tracker: nonParticipants (what a topic-addressed follow-up leaves out, decision 1960)', () => {
  const cn = (performative: Performative, from: string, to: string | string[], extra = {}) =>
    msg(performative, from, to, { protocol: 'fipa-contract-net', conversationId: 'jobs-1', ...extra });

  it('names the receivers of a follow-up that are not participants; pure, and the trimmed follow-up is in sequence', () => {
    const tracker = newTracker();
    assertDelivered(tracker.observe(cn('cfp', 'boss@caxton', ['a@caxton', 'b@caxton'], { replyBy: 1_000 }), 0));
    assertDelivered(tracker.observe(cn('propose', 'a@caxton', 'boss@caxton'), 1));
    const followUp = cn('reject-proposal', 'boss@caxton', ['a@caxton', 'late@caxton']);
    assert.deepEqual(tracker.nonParticipants(followUp), ['late@caxton']);
    assert.deepEqual(tracker.nonParticipants(followUp), ['late@caxton'], 'asking changes nothing');
    assertRejected(tracker.observe(followUp, 2), 'not-understood', PROTOCOL_ERROR_CODES.notParticipant, 'sent whole, it is refused');
    assertDelivered(tracker.observe(cn('reject-proposal', 'boss@caxton', ['a@caxton']), 3), 'without the newcomer it is in sequence');
  });

  it('names nobody for an opening act (new participants join), a message of no conversation, or a participant', () => {
    const tracker = newTracker();
    assert.deepEqual(tracker.nonParticipants(cn('cfp', 'boss@caxton', ['a@caxton'])), [], 'no conversation yet');
    assertDelivered(tracker.observe(cn('cfp', 'boss@caxton', ['a@caxton'], { replyBy: 1_000 }), 0));
    assert.deepEqual(
      tracker.nonParticipants(cn('cfp', 'boss@caxton', ['late@caxton'], { replyBy: 1_000 })),
      [],
      'a cfp may add participants',
    );
    assert.deepEqual(tracker.nonParticipants(cn('reject-proposal', 'boss@caxton', ['a@caxton'])), []);
    assert.deepEqual(tracker.nonParticipants(cn('propose', 'late@caxton', ['boss@caxton'])), [], 'not its initiator: nothing to trim');
    assert.deepEqual(tracker.nonParticipants(msg('inform', 'boss@caxton', ['late@caxton'])), [], 'no protocol');
  });
});
