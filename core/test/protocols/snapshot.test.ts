/** Persisting and restoring tracker state across a runtime restart. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { AclMessage, Performative } from '../../src/acl/message.js';
import { PROTOCOL_ERROR_CODES } from '../../src/protocols/errors.js';
import type { TrackerSnapshot } from '../../src/protocols/snapshot.js';
import { ConversationTracker } from '../../src/protocols/tracker.js';
import { PLATFORM, agent, assertDelivered, assertRejected, msg, newTracker } from './helpers.js';

const OPTIONS = { platformAgent: PLATFORM };
const throughJson = (snapshot: TrackerSnapshot): TrackerSnapshot => JSON.parse(JSON.stringify(snapshot)) as TrackerSnapshot;
const cn = (performative: Performative, from: string, to: string | string[], extra = {}) =>
  msg(performative, from, to, { protocol: 'fipa-contract-net', conversationId: 'job', ...extra });

describe('tracker snapshots', () => {
  it('a restarted tracker continues a contract net where the old one stopped', () => {
    const before = newTracker();
    before.observe(cn('cfp', 'm@p', ['a@p', 'b@p', 'c@p'], { replyWith: 'call', replyBy: 1_000 }), 0);
    before.observe(cn('propose', 'a@p', 'm@p', { replyWith: 'bid-a' }), 10);
    before.observe(cn('refuse', 'b@p', 'm@p'), 11);

    const after = ConversationTracker.restore(OPTIONS, throughJson(before.snapshot()));
    assert.deepEqual(after.stats(), before.stats());
    assert.deepEqual(after.inspect('m@p', 'job'), before.inspect('m@p', 'job'));
    assert.equal(after.nextDeadline(), 1_000);
    const [closed] = after.expire(1_000);
    assert.deepEqual(JSON.parse(closed?.content ?? ''), {
      event: 'call-closed',
      round: 1,
      closedAt: 1_000,
      proposed: ['a@p'],
      refused: ['b@p'],
      silent: ['c@p'],
    });
    assert.equal(closed?.inReplyTo, 'call');
    assertRejected(after.observe(cn('propose', 'c@p', 'm@p'), 1_001), 'reject-proposal', PROTOCOL_ERROR_CODES.lateProposal);
    // The reply-with chain survives too: an answer naming only in-reply-to still correlates.
    assertDelivered(after.observe(msg('accept-proposal', 'm@p', 'a@p', { protocol: 'fipa-contract-net', inReplyTo: 'bid-a' }), 1_002));
    assert.equal(after.observe(cn('inform', 'a@p', 'm@p'), 1_003).conversation?.ended, true);
  });

  it('keeps injected messages that were queued but not yet handed out', () => {
    const before = newTracker();
    before.observe(msg('request', 'a@p', 'b@p', { protocol: 'fipa-request', conversationId: 'r', replyBy: 5 }), 0);
    assertRejected(
      before.observe(msg('agree', 'b@p', 'a@p', { protocol: 'fipa-request', conversationId: 'r' }), 6),
      'not-understood',
      PROTOCOL_ERROR_CODES.conversationEnded,
    );
    const after = ConversationTracker.restore(OPTIONS, throughJson(before.snapshot()));
    assert.equal(after.nextDeadline(), 6);
    assert.deepEqual(after.expire(7), before.expire(7));
  });

  it('behaves exactly like the original after a restore at any point of any traffic', () => {
    const agents = ['a@p', 'b@p', 'c@p'];
    const step = fc.record({
      performative: fc.constantFrom<Performative>(
        'request',
        'agree',
        'inform',
        'cfp',
        'propose',
        'refuse',
        'accept-proposal',
        'reject-proposal',
        'cancel',
        'subscribe',
        'failure',
        'not-understood',
      ),
      from: fc.constantFrom(...agents),
      to: fc.constantFrom(...agents),
      protocol: fc.constantFrom('fipa-request', 'fipa-contract-net', 'fipa-iterated-contract-net', 'fipa-subscribe'),
      conversationId: fc.option(fc.constantFrom('x', 'y'), { nil: undefined }),
      replyWith: fc.option(fc.constantFrom('r1', 'r2'), { nil: undefined }),
      inReplyTo: fc.option(fc.constantFrom('r1', 'r2'), { nil: undefined }),
      replyBy: fc.option(fc.integer({ min: 0, max: 400 }), { nil: undefined }),
      advance: fc.integer({ min: 0, max: 200 }),
      expire: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), fc.nat(), (steps, cutAt) => {
        const limits = { maxConversations: 4, maxEndedRetained: 3, idleTimeoutMs: 2_000, endedRetentionMs: 500 };
        const original = newTracker(limits);
        let copy: ConversationTracker | undefined;
        const cut = cutAt % (steps.length + 1);
        let now = 0;
        for (const [i, s] of steps.entries()) {
          if (i === cut) copy = ConversationTracker.restore({ platformAgent: PLATFORM, ...limits }, throughJson(original.snapshot()));
          now += s.advance;
          const message: AclMessage = {
            performative: s.performative,
            sender: agent(s.from),
            receivers: [agent(s.to)],
            protocol: s.protocol,
          };
          if (s.conversationId !== undefined) message.conversationId = s.conversationId;
          if (s.replyWith !== undefined) message.replyWith = s.replyWith;
          if (s.inReplyTo !== undefined) message.inReplyTo = s.inReplyTo;
          if (s.replyBy !== undefined) message.replyBy = now + s.replyBy;
          const expected = original.observe(message, now);
          if (copy !== undefined) {
            const actual = copy.observe(message, now);
            assert.deepEqual(
              actual.kind === 'reject' ? { ...actual, error: actual.error.toJSON() } : actual,
              expected.kind === 'reject' ? { ...expected, error: expected.error.toJSON() } : expected,
            );
          }
          if (s.expire) {
            const injected = original.expire(now);
            if (copy !== undefined) assert.deepEqual(copy.expire(now), injected);
          }
          if (copy !== undefined) {
            assert.deepEqual(copy.stats(), original.stats());
            assert.equal(copy.nextDeadline(), original.nextDeadline());
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('refuses corrupt or foreign snapshots with a typed error', () => {
    const tracker = newTracker();
    tracker.observe(msg('request', 'a@p', 'b@p', { protocol: 'fipa-request', conversationId: 'r' }), 0);
    const good = throughJson(tracker.snapshot());
    const [conversation] = good.conversations;
    assert.ok(conversation);
    const corruptions: Array<[string, unknown]> = [
      ['another version', { ...good, version: 2 }],
      ['not an object', null],
      ['an unknown protocol', { ...good, conversations: [{ ...conversation, protocol: 'fipa-dance' }] }],
      [
        'a phase the protocol lacks',
        { ...good, conversations: [{ ...conversation, branches: [{ ...conversation.branches[0], phase: 'proposed' }] }] },
      ],
      [
        'cancelling without the phase to resume',
        { ...good, conversations: [{ ...conversation, branches: [{ ...conversation.branches[0], phase: 'cancelling' }] }] },
      ],
      ['a conversation twice', { ...good, conversations: [conversation, conversation] }],
      ['no participants', { ...good, conversations: [{ ...conversation, branches: [] }] }],
      ['pending messages without their due time', { ...good, pending: [msg('failure', 'ams@caxton', 'a@p')] }],
    ];
    for (const [label, snapshot] of corruptions) {
      assert.throws(
        () => ConversationTracker.restore(OPTIONS, snapshot as TrackerSnapshot),
        (error: unknown) => error instanceof Error && 'code' in error && error.code === PROTOCOL_ERROR_CODES.snapshotInvalid,
        label,
      );
    }
    assert.doesNotThrow(() => ConversationTracker.restore(OPTIONS, good));
  });
});
