/** Which conversation a message belongs to, and what happens to messages outside any. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PROTOCOL_ERROR_CODES, ProtocolUsageError } from '../../src/protocols/errors.js';
import { PLATFORM, agent, assertDelivered, assertRejected, msg, names, newTracker } from './helpers.js';

describe('tracker: correlation', () => {
  it('keys conversations by initiator, so two agents may use the same conversation-id', () => {
    const tracker = newTracker();
    assertDelivered(tracker.observe(msg('request', 'a@p', 'x@p', { protocol: 'fipa-request', conversationId: 'same' }), 0));
    assertDelivered(tracker.observe(msg('request', 'b@p', 'y@p', { protocol: 'fipa-request', conversationId: 'same' }), 0));
    assertDelivered(tracker.observe(msg('agree', 'y@p', 'b@p', { protocol: 'fipa-request', conversationId: 'same' }), 1));
    assertDelivered(tracker.observe(msg('inform', 'x@p', 'a@p', { protocol: 'fipa-request', conversationId: 'same' }), 2));
    assert.equal(tracker.inspect('b@p', 'same')?.participants[0]?.phase, 'agreed');
    assert.equal(tracker.inspect('a@p', 'same')?.ended, true);
  });

  it('an outsider cannot step into a conversation', () => {
    const tracker = newTracker();
    tracker.observe(msg('request', 'a@p', 'x@p', { protocol: 'fipa-request', conversationId: 'c' }), 0);
    const reply = assertRejected(
      tracker.observe(msg('inform', 'mallory@p', 'a@p', { protocol: 'fipa-request', conversationId: 'c' }), 1),
      'not-understood',
      PROTOCOL_ERROR_CODES.unknownConversation,
    );
    assert.deepEqual(names(reply.receivers), ['mallory@p']);
    assert.equal(tracker.inspect('a@p', 'c')?.participants[0]?.phase, 'requested');
  });

  it('rejects a second opener with an id the initiator is still using', () => {
    const tracker = newTracker();
    tracker.observe(msg('request', 'a@p', 'x@p', { protocol: 'fipa-request', conversationId: 'c' }), 0);
    assertRejected(
      tracker.observe(msg('query-ref', 'a@p', 'y@p', { protocol: 'fipa-query', conversationId: 'c' }), 1),
      'not-understood',
      PROTOCOL_ERROR_CODES.notParticipant,
    );
    assertRejected(
      tracker.observe(msg('subscribe', 'a@p', 'x@p', { protocol: 'fipa-subscribe', conversationId: 'c' }), 1),
      'not-understood',
      PROTOCOL_ERROR_CODES.protocolMismatch,
    );
  });

  it('lets an initiator reuse the id of its own ended conversation', () => {
    const tracker = newTracker();
    tracker.observe(msg('request', 'a@p', 'x@p', { protocol: 'fipa-request', conversationId: 'c' }), 0);
    tracker.observe(msg('refuse', 'x@p', 'a@p', { protocol: 'fipa-request', conversationId: 'c' }), 1);
    assertDelivered(tracker.observe(msg('query-if', 'a@p', 'x@p', { protocol: 'fipa-query', conversationId: 'c' }), 2));
    assert.equal(tracker.inspect('a@p', 'c')?.protocol, 'fipa-query');
  });

  it('lets a former participant open its own conversation with the id of an ended one', () => {
    const tracker = newTracker();
    tracker.observe(msg('request', 'a@p', 'x@p', { protocol: 'fipa-request', conversationId: 'c' }), 0);
    tracker.observe(msg('inform', 'x@p', 'a@p', { protocol: 'fipa-request', conversationId: 'c' }), 1);
    assertDelivered(tracker.observe(msg('request', 'x@p', 'a@p', { protocol: 'fipa-request', conversationId: 'c' }), 2));
    assert.equal(tracker.inspect('x@p', 'c')?.participants[0]?.name, 'a@p');
    assertDelivered(tracker.observe(msg('agree', 'a@p', 'x@p', { protocol: 'fipa-request', conversationId: 'c' }), 3));
  });

  it('follows reply-with / in-reply-to chains when there is no conversation-id', () => {
    const tracker = newTracker();
    assertDelivered(tracker.observe(msg('cfp', 'm@p', ['a@p', 'b@p'], { protocol: 'fipa-contract-net', replyWith: 'call' }), 0));
    assertDelivered(
      tracker.observe(msg('propose', 'a@p', 'm@p', { protocol: 'fipa-contract-net', inReplyTo: 'call', replyWith: 'bid-a' }), 1),
    );
    assertDelivered(tracker.observe(msg('refuse', 'b@p', 'm@p', { protocol: 'fipa-contract-net', inReplyTo: 'call' }), 1));
    assertDelivered(
      tracker.observe(msg('accept-proposal', 'm@p', 'a@p', { protocol: 'fipa-contract-net', inReplyTo: 'bid-a', replyWith: 'award' }), 2),
    );
    assertRejected(
      tracker.observe(msg('propose', 'a@p', 'm@p', { protocol: 'fipa-contract-net', inReplyTo: 'award' }), 3),
      'not-understood',
      PROTOCOL_ERROR_CODES.outOfSequence,
    );
    const result = tracker.observe(msg('inform', 'a@p', 'm@p', { inReplyTo: 'award' }), 4);
    assert.equal(result.conversation?.ended, true, 'a reply without :protocol still belongs to the conversation');
    assert.equal(tracker.inspect('m@p', 'call')?.ended, true);
  });

  it('an unknown in-reply-to with :protocol is an unknown conversation', () => {
    const tracker = newTracker();
    assertRejected(
      tracker.observe(msg('agree', 'x@p', 'a@p', { protocol: 'fipa-request', inReplyTo: 'nope' }), 0),
      'not-understood',
      PROTOCOL_ERROR_CODES.unknownConversation,
    );
    assertRejected(
      tracker.observe(msg('agree', 'x@p', 'a@p', { protocol: 'fipa-request', conversationId: 'nope' }), 0),
      'not-understood',
      PROTOCOL_ERROR_CODES.unknownConversation,
    );
  });

  it('lets messages without any correlation handle pass unpoliced (nothing could be tied to them)', () => {
    const tracker = newTracker();
    assertDelivered(tracker.observe(msg('request', 'a@p', 'x@p', { protocol: 'fipa-request' }), 0));
    assertDelivered(tracker.observe(msg('inform', 'x@p', 'a@p', { protocol: 'fipa-request' }), 1));
    assert.equal(tracker.stats().active, 0);
  });

  it('does not police messages without :protocol outside tracked conversations', () => {
    const tracker = newTracker();
    const verdict = tracker.observe(msg('agree', 'a@p', 'x@p', { conversationId: 'chat' }), 0);
    assertDelivered(verdict);
    assert.equal(verdict.kind === 'deliver' && verdict.conversation, undefined);
  });

  it('polices a reply without :protocol that belongs to a tracked conversation', () => {
    const tracker = newTracker();
    tracker.observe(msg('request', 'a@p', 'x@p', { protocol: 'fipa-request', conversationId: 'c', replyBy: 100 }), 0);
    assertDelivered(tracker.observe(msg('agree', 'x@p', 'a@p', { conversationId: 'c' }), 1));
    assert.deepEqual(tracker.expire(100), [], 'the agree counted, so no deadline failure');
    const reply = assertRejected(
      tracker.observe(msg('propose', 'x@p', 'a@p', { conversationId: 'c' }), 2),
      'not-understood',
      PROTOCOL_ERROR_CODES.outOfSequence,
    );
    assert.equal(reply.protocol, 'fipa-request', "the answer names the conversation's protocol");
  });

  it('matches protocol names case-insensitively', () => {
    const tracker = newTracker();
    const verdict = tracker.observe(msg('request', 'a@p', 'x@p', { protocol: 'FIPA-Request', conversationId: 'c' }), 0);
    assert.equal(verdict.kind === 'deliver' && verdict.conversation?.protocol, 'fipa-request');
    assertDelivered(tracker.observe(msg('agree', 'x@p', 'a@p', { protocol: 'fipa-request', conversationId: 'c' }), 1));
  });

  it('passes unknown protocols through by default and rejects them when configured to', () => {
    const lenient = newTracker();
    assertDelivered(lenient.observe(msg('inform', 'a@p', 'x@p', { protocol: 'fipa-auction-english', conversationId: 'c' }), 0));
    const strict = newTracker({ unknownProtocol: 'reject' });
    assertRejected(
      strict.observe(msg('inform', 'a@p', 'x@p', { protocol: 'fipa-auction-english', conversationId: 'c' }), 0),
      'not-understood',
      PROTOCOL_ERROR_CODES.unknownProtocol,
    );
  });

  it("treats the opener's reply-to agents as the initiator side, but sends the platform's notices to the initiator alone", () => {
    const tracker = newTracker();
    const desk = [agent('desk@p')];
    tracker.observe(
      msg('request', 'a@p', ['x@p', 'y@p'], { protocol: 'fipa-request', conversationId: 'c', replyTo: desk, replyBy: 10 }),
      0,
    );
    assertDelivered(tracker.observe(msg('agree', 'x@p', 'desk@p', { protocol: 'fipa-request', conversationId: 'c' }), 1));
    assertDelivered(
      tracker.observe(msg('cancel', 'desk@p', 'x@p', { protocol: 'fipa-request', conversationId: 'c' }), 2),
      'reply-to acts for the initiator',
    );
    assertDelivered(
      tracker.observe(msg('inform', 'x@p', 'a@p', { protocol: 'fipa-request', conversationId: 'c' }), 3),
      'the initiator itself still belongs',
    );
    const [failure] = tracker.expire(10);
    assert.equal(failure?.userParams?.['X-caxton-participant'], 'y@p');
    // Never on a list the opener chose: that would let one message make the platform write into
    // other agents' mailboxes (issue 9, amplification).
    assert.deepEqual(names(failure?.receivers ?? []), ['a@p']);
  });

  it('answers violations to the offender itself, never to the reply-to it named', () => {
    const tracker = newTracker();
    tracker.observe(msg('request', 'a@p', 'x@p', { protocol: 'fipa-request', conversationId: 'c' }), 0);
    const reply = assertRejected(
      tracker.observe(msg('propose', 'x@p', 'a@p', { protocol: 'fipa-request', conversationId: 'c', replyTo: [agent('x-desk@p')] }), 1),
      'not-understood',
      PROTOCOL_ERROR_CODES.outOfSequence,
    );
    assert.deepEqual(names(reply.receivers), ['x@p']);
  });

  it('delivers not-understood at any point, and from the participant it ends its branch', () => {
    const tracker = newTracker();
    assertDelivered(tracker.observe(msg('not-understood', 'x@p', 'a@p', { protocol: 'fipa-request', conversationId: 'unknown' }), 0));
    tracker.observe(msg('request', 'a@p', 'x@p', { protocol: 'fipa-request', conversationId: 'c' }), 0);
    assertDelivered(tracker.observe(msg('not-understood', 'a@p', 'x@p', { protocol: 'fipa-request', conversationId: 'c' }), 1));
    assert.equal(tracker.inspect('a@p', 'c')?.participants[0]?.phase, 'requested', "the initiator's not-understood changes nothing");
    assert.equal(
      tracker.observe(msg('not-understood', 'x@p', 'a@p', { protocol: 'fipa-request', conversationId: 'c' }), 2).conversation?.ended,
      true,
    );
  });

  it("passes the platform's own messages and agents talking to themselves", () => {
    const tracker = newTracker();
    assertDelivered(
      tracker.observe(
        { performative: 'failure', sender: PLATFORM, receivers: [agent('a@p')], protocol: 'fipa-request', conversationId: 'z' },
        0,
      ),
    );
    assertDelivered(tracker.observe(msg('request', 'a@p', 'a@p', { protocol: 'fipa-request', conversationId: 'self' }), 0));
    assert.equal(tracker.stats().active, 0);
  });

  it('throws a typed error when the bus forgot to stamp the sender', () => {
    const tracker = newTracker();
    assert.throws(
      () => tracker.observe({ performative: 'request', receivers: [agent('x@p')], protocol: 'fipa-request', conversationId: 'c' }, 0),
      (error: unknown) => {
        assert.ok(error instanceof ProtocolUsageError);
        assert.equal(error.code, PROTOCOL_ERROR_CODES.senderMissing);
        assert.equal(error.context.conversationId, 'c');
        assert.ok(error.hint);
        return true;
      },
    );
  });
});
