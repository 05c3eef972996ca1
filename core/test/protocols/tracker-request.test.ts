/** fipa-request family at the tracker level: sequences, reply-by deadlines, injected failures. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TRACEPARENT_PARAM } from '../../src/acl/message.js';
import { PROTOCOL_ERROR_CODES } from '../../src/protocols/errors.js';
import { CAXTON_DEADLINE_PARAM, CAXTON_PARTICIPANT_PARAM } from '../../src/protocols/replies.js';
import { PLATFORM, assertDelivered, assertRejected, eventOf, msg, names, newTracker } from './helpers.js';

const request = (extra = {}) =>
  msg('request', 'alice@p', 'bob@p', { protocol: 'fipa-request', conversationId: 'c1', replyWith: 'r1', ...extra });
const reply = (performative: Parameters<typeof msg>[0], extra = {}) =>
  msg(performative, 'bob@p', 'alice@p', { protocol: 'fipa-request', conversationId: 'c1', inReplyTo: 'r1', ...extra });

describe('tracker: fipa-request', () => {
  it('delivers request → agree → inform and ends the conversation', () => {
    const tracker = newTracker();
    const opened = tracker.observe(request(), 0);
    assertDelivered(opened);
    assert.deepEqual(opened.conversation, { protocol: 'fipa-request', conversationId: 'c1', initiator: 'alice@p', ended: false });
    assertDelivered(tracker.observe(reply('agree'), 1));
    const done = tracker.observe(reply('inform'), 2);
    assertDelivered(done);
    assert.equal(done.conversation?.ended, true);
    assert.deepEqual(tracker.stats(), { active: 0, ended: 1, pendingNotices: 0 });
    assert.equal(tracker.nextDeadline(), undefined);
  });

  it('accepts the result without an agree (SC00026 makes agree optional)', () => {
    const tracker = newTracker();
    tracker.observe(request(), 0);
    assert.equal(tracker.observe(reply('inform'), 1).conversation?.ended, true);
  });

  it('injects failure from the platform when the reply-by passes unanswered', () => {
    const tracker = newTracker();
    tracker.observe(request({ replyBy: 1_000, userParams: { [TRACEPARENT_PARAM]: '00-abc-def-01' } }), 0);
    assert.equal(tracker.nextDeadline(), 1_000);
    assert.deepEqual(tracker.expire(999), [], 'nothing before the deadline');
    const [failure, ...rest] = tracker.expire(1_000);
    assert.equal(rest.length, 0);
    assert.ok(failure);
    assert.equal(failure.performative, 'failure');
    assert.deepEqual(failure.sender, PLATFORM);
    assert.deepEqual(names(failure.receivers), ['alice@p']);
    assert.equal(failure.conversationId, 'c1');
    assert.equal(failure.inReplyTo, 'r1');
    assert.equal(failure.protocol, 'fipa-request');
    assert.equal(eventOf(failure), 'deadline');
    assert.equal(failure.userParams?.[CAXTON_DEADLINE_PARAM], 'reply');
    assert.equal(failure.userParams?.[CAXTON_PARTICIPANT_PARAM], 'bob@p');
    assert.equal(failure.userParams?.[TRACEPARENT_PARAM], '00-abc-def-01', 'the failure joins the request trace');
    assert.match(failure.content ?? '', /bob@p did not answer by the reply-by deadline 1970-01-01T00:00:01.000Z/);
    assert.deepEqual(tracker.stats(), { active: 0, ended: 1, pendingNotices: 0 });
    assert.equal(tracker.nextDeadline(), undefined);
  });

  it('answers a reply after the timeout with not-understood instead of delivering it', () => {
    const tracker = newTracker();
    tracker.observe(request({ replyBy: 1_000 }), 0);
    tracker.expire(1_000);
    const answer = assertRejected(
      tracker.observe(reply('inform', { replyWith: 'b1' }), 1_500),
      'not-understood',
      PROTOCOL_ERROR_CODES.conversationEnded,
    );
    assert.deepEqual(names(answer.receivers), ['bob@p']);
    assert.equal(answer.inReplyTo, 'b1');
    assert.match(answer.content ?? '', /timed-out/);
  });

  it('judges a reply arriving after reply-by as late even if expire() has not run yet', () => {
    const tracker = newTracker();
    tracker.observe(request({ replyBy: 1_000 }), 0);
    assertRejected(
      tracker.observe(reply('agree'), 1_000),
      'not-understood',
      PROTOCOL_ERROR_CODES.conversationEnded,
      'reply-by is exclusive',
    );
    assert.equal(tracker.nextDeadline(), 1_000, 'the queued failure is due at once');
    const injected = tracker.expire(1_001);
    assert.deepEqual(
      injected.map((m) => m.performative),
      ['failure'],
    );
    assert.equal(tracker.nextDeadline(), undefined);
  });

  it('an agree before the deadline stops the clock', () => {
    const tracker = newTracker();
    tracker.observe(request({ replyBy: 1_000 }), 0);
    assertDelivered(tracker.observe(reply('agree'), 999));
    assert.deepEqual(tracker.expire(5_000), []);
    assertDelivered(tracker.observe(reply('inform'), 10_000));
  });

  it('a request to several participants tracks each one and fails only the silent one', () => {
    const tracker = newTracker();
    tracker.observe(msg('request', 'alice@p', ['bob@p', 'carol@p'], { protocol: 'fipa-request', conversationId: 'c2', replyBy: 100 }), 0);
    assertDelivered(tracker.observe(msg('refuse', 'bob@p', 'alice@p', { protocol: 'fipa-request', conversationId: 'c2' }), 10));
    const injected = tracker.expire(100);
    assert.equal(injected.length, 1);
    assert.equal(injected[0]?.userParams?.[CAXTON_PARTICIPANT_PARAM], 'carol@p');
    assert.deepEqual(
      tracker.inspect('alice@p', 'c2')?.participants.map((p) => [p.name, p.phase]),
      [
        ['bob@p', 'refused'],
        ['carol@p', 'timed-out'],
      ],
    );
  });

  it('rejects an out-of-sequence reply with not-understood carrying the reason and in-reply-to', () => {
    const tracker = newTracker();
    tracker.observe(request(), 0);
    tracker.observe(reply('agree'), 1);
    const answer = assertRejected(
      tracker.observe(reply('agree', { replyWith: 'b2' }), 2),
      'not-understood',
      PROTOCOL_ERROR_CODES.outOfSequence,
    );
    assert.equal(answer.inReplyTo, 'b2');
    assert.equal(answer.conversationId, 'c1');
    assert.equal(answer.protocol, 'fipa-request');
    assert.equal(eventOf(answer), 'violation');
    assert.match(answer.content ?? '', /participant sent agree in phase 'agreed'.*may send failure, inform/);
    assertDelivered(tracker.observe(reply('inform'), 3), 'the conversation is unaffected by the rejected message');
  });

  it('does not let the participant act as the initiator', () => {
    const tracker = newTracker();
    tracker.observe(request(), 0);
    assertRejected(tracker.observe(reply('cancel'), 1), 'not-understood', PROTOCOL_ERROR_CODES.outOfSequence);
  });

  it('cancel → inform-done ends the request; a cancel with reply-by left unconfirmed fails', () => {
    const tracker = newTracker();
    tracker.observe(request(), 0);
    tracker.observe(reply('agree'), 1);
    assertDelivered(
      tracker.observe(
        msg('cancel', 'alice@p', 'bob@p', { protocol: 'fipa-request', conversationId: 'c1', replyWith: 'x1', replyBy: 50 }),
        2,
      ),
    );
    const [failure] = tracker.expire(50);
    assert.equal(failure?.performative, 'failure');
    assert.equal(failure?.inReplyTo, 'x1');
    assert.match(failure?.content ?? '', /did not confirm the cancel/);
  });
});

describe('tracker: fipa-query, fipa-request-when, fipa-propose', () => {
  it('query-ref → inform', () => {
    const tracker = newTracker();
    assertDelivered(tracker.observe(msg('query-ref', 'a@p', 'b@p', { protocol: 'fipa-query', conversationId: 'q' }), 0));
    assert.equal(
      tracker.observe(msg('inform', 'b@p', 'a@p', { protocol: 'fipa-query', conversationId: 'q' }), 1).conversation?.ended,
      true,
    );
  });

  it('request-when needs an agree before the result', () => {
    const tracker = newTracker();
    tracker.observe(msg('request-when', 'a@p', 'b@p', { protocol: 'fipa-request-when', conversationId: 'w' }), 0);
    assertRejected(
      tracker.observe(msg('inform', 'b@p', 'a@p', { protocol: 'fipa-request-when', conversationId: 'w' }), 1),
      'not-understood',
      PROTOCOL_ERROR_CODES.outOfSequence,
    );
    assertDelivered(tracker.observe(msg('agree', 'b@p', 'a@p', { protocol: 'fipa-request-when', conversationId: 'w' }), 2));
    assert.equal(
      tracker.observe(msg('inform', 'b@p', 'a@p', { protocol: 'fipa-request-when', conversationId: 'w' }), 3).conversation?.ended,
      true,
    );
  });

  it('propose left unanswered past reply-by fails towards the proposer', () => {
    const tracker = newTracker();
    tracker.observe(msg('propose', 'a@p', 'b@p', { protocol: 'fipa-propose', conversationId: 'pp', replyBy: 10 }), 0);
    const [failure] = tracker.expire(10);
    assert.equal(failure?.performative, 'failure');
    assert.deepEqual(names(failure?.receivers ?? []), ['a@p']);
  });
});
