/** Memory bounds, garbage collection and configuration of the tracker. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PROTOCOL_ERROR_CODES, ProtocolConfigError } from '../../src/protocols/errors.js';
import { TRACKER_DEFAULTS, resolveTrackerOptions } from '../../src/protocols/options.js';
import { PLATFORM, assertDelivered, assertRejected, eventOf, msg, newTracker } from './helpers.js';

const open = (from: string, id: string, extra = {}) =>
  msg('request', from, 'worker@p', { protocol: 'fipa-request', conversationId: id, ...extra });
const finish = (to: string, id: string) => msg('inform', 'worker@p', to, { protocol: 'fipa-request', conversationId: id });

describe('tracker: bounded memory', () => {
  it('refuses new conversations beyond maxConversations with failure, and accepts again once one ends', () => {
    const tracker = newTracker({ maxConversations: 2 });
    assertDelivered(tracker.observe(open('a@p', '1'), 0));
    assertDelivered(tracker.observe(open('b@p', '2'), 0));
    const refusal = assertRejected(tracker.observe(open('c@p', '3', { replyWith: 'r3' }), 0), 'failure', PROTOCOL_ERROR_CODES.capacity);
    assert.equal(eventOf(refusal), 'capacity');
    assert.equal(refusal.inReplyTo, 'r3');
    assertDelivered(tracker.observe(finish('a@p', '1'), 1), 'existing conversations are never evicted');
    assertDelivered(tracker.observe(open('c@p', '3'), 2));
    assert.equal(tracker.stats().active, 2);
  });

  it('caps conversations per initiator so one agent cannot exhaust the platform', () => {
    const tracker = newTracker({ maxConversationsPerInitiator: 2 });
    tracker.observe(open('noisy@p', '1'), 0);
    tracker.observe(open('noisy@p', '2'), 0);
    assertRejected(tracker.observe(open('noisy@p', '3'), 0), 'failure', PROTOCOL_ERROR_CODES.capacity);
    assertDelivered(tracker.observe(open('quiet@p', '1'), 0));
  });

  it("caps the text one initiator's conversations in progress hold (long names, many addresses), and takes more once one ends", () => {
    const tracker = newTracker({ maxUnitsPerInitiator: 20_000 });
    const far = (i: number) => ({ name: `w${i}@p`, addresses: Array.from({ length: 4 }, (_, k) => `http://${'x'.repeat(2_000)}/${k}`) });
    const wide = (id: string) => ({ ...open('noisy@p', id), receivers: [far(Number(id))] });
    assertDelivered(tracker.observe(wide('1'), 0)); // ~8,100 characters
    assertDelivered(tracker.observe(wide('2'), 0));
    const refusal = assertRejected(tracker.observe(wide('3'), 0), 'failure', PROTOCOL_ERROR_CODES.capacity);
    assert.match(refusal.content!, /noisy@p's conversations in progress already hold \d+ characters/);
    assertDelivered(tracker.observe(open('quiet@p', '1'), 0), 'another initiator is not held back');
    assertDelivered(tracker.observe(msg('inform', 'w1@p', 'noisy@p', { protocol: 'fipa-request', conversationId: '1' }), 1));
    assertDelivered(tracker.observe(wide('3'), 2), 'an ended conversation no longer counts against its initiator');
  });

  it('forgets ended conversations, oldest first, to make room in its text budget, and refuses when that is not enough', () => {
    const tracker = newTracker({ maxTrackedUnits: 30_000, maxUnitsPerInitiator: 1_000_000 });
    const far = (i: number) => ({ name: `w${i}@p`, addresses: [`http://${'x'.repeat(9_000)}`] });
    const wide = (from: string, id: string) => ({ ...open(from, id), receivers: [far(Number(id))] });
    for (const id of ['1', '2', '3']) {
      assertDelivered(tracker.observe(wide('a@p', id), 0));
      tracker.observe(msg('inform', `w${id}@p`, 'a@p', { protocol: 'fipa-request', conversationId: id }), 1);
    }
    assert.equal(tracker.stats().ended, 3);
    assertDelivered(tracker.observe(wide('b@p', '4'), 2), 'the oldest ended one makes room');
    assert.equal(tracker.inspect('a@p', '1'), undefined, 'forgotten');
    assert.equal(tracker.inspect('a@p', '3')?.ended, true, 'the newest ended one is kept');
    assertDelivered(tracker.observe(wide('b@p', '5'), 2));
    assertDelivered(tracker.observe(wide('b@p', '6'), 2));
    assert.equal(tracker.stats().ended, 0);
    const refusal = assertRejected(tracker.observe(wide('b@p', '7'), 2), 'failure', PROTOCOL_ERROR_CODES.capacity);
    assert.match(refusal.content!, /the runtime's conversations already hold \d+ characters/);
  });

  it('forgets ended conversations after endedRetentionMs, and beyond maxEndedRetained oldest first', () => {
    const tracker = newTracker({ endedRetentionMs: 100, maxEndedRetained: 2 });
    for (const id of ['1', '2', '3']) {
      tracker.observe(open('a@p', id), 0);
      tracker.observe(finish('a@p', id), 1);
    }
    assert.equal(tracker.stats().ended, 2);
    assert.equal(tracker.inspect('a@p', '1'), undefined, 'the oldest ended conversation went first');
    assert.equal(tracker.inspect('a@p', '3')?.ended, true);
    tracker.expire(101);
    assert.deepEqual(tracker.stats(), { active: 0, ended: 0, pendingNotices: 0 });
    // Once forgotten, a straggler is an unknown conversation rather than an ended one.
    assertRejected(tracker.observe(finish('a@p', '3'), 102), 'not-understood', PROTOCOL_ERROR_CODES.unknownConversation);
  });

  it('abandons idle conversations and schedules the idle check as a deadline', () => {
    const tracker = newTracker({ idleTimeoutMs: 500 });
    tracker.observe(open('a@p', '1'), 0);
    tracker.observe(msg('agree', 'worker@p', 'a@p', { protocol: 'fipa-request', conversationId: '1' }), 100);
    assert.equal(tracker.nextDeadline(), 600);
    const [failure] = tracker.expire(600);
    assert.equal(failure?.performative, 'failure');
    assert.deepEqual(failure?.sender, PLATFORM);
    assert.equal(tracker.stats().active, 0);
  });

  it('suspends the idle clock while a reply-by is pending', () => {
    const tracker = newTracker({ idleTimeoutMs: 500 });
    tracker.observe(open('a@p', '1', { replyBy: 2_000 }), 0);
    assert.equal(tracker.nextDeadline(), 2_000);
    assert.deepEqual(tracker.expire(1_000), []);
    assert.equal(tracker.expire(2_000).length, 1);
  });

  it('with idleTimeoutMs Infinity nothing is scheduled for conversations without deadlines', () => {
    const tracker = newTracker({ idleTimeoutMs: Infinity });
    tracker.observe(open('a@p', '1'), 0);
    assert.equal(tracker.nextDeadline(), undefined);
    assert.deepEqual(tracker.expire(Number.MAX_SAFE_INTEGER), []);
    assert.equal(tracker.stats().active, 1);
  });

  it('a reply-by already in the past is due at once', () => {
    const tracker = newTracker();
    tracker.observe(open('a@p', '1', { replyBy: 5 }), 10);
    assert.equal(tracker.nextDeadline(), 5);
    assert.equal(tracker.expire(10).length, 1);
  });

  it('formats reply-by values beyond the Date range without throwing', () => {
    const tracker = newTracker();
    tracker.observe(open('a@p', '1', { replyBy: 2 ** 60 }), 0);
    const [failure] = tracker.expire(2 ** 61);
    assert.match(failure?.content ?? '', /ms since the epoch/);
  });
});

describe('tracker options', () => {
  it('fills in documented defaults', () => {
    const resolved = resolveTrackerOptions({ platformAgent: PLATFORM });
    assert.deepEqual({ ...resolved, platformAgent: undefined }, { ...TRACKER_DEFAULTS, platformAgent: undefined });
  });

  for (const [label, options] of [
    ['an empty platform name', { platformAgent: { name: '' } }],
    ['a zero cap', { platformAgent: PLATFORM, maxConversations: 0 }],
    ['a fractional cap', { platformAgent: PLATFORM, maxConversationsPerInitiator: 1.5 }],
    ['a negative idle timeout', { platformAgent: PLATFORM, idleTimeoutMs: -1 }],
    ['an infinite retention', { platformAgent: PLATFORM, endedRetentionMs: Infinity }],
    ['an unknown policy', { platformAgent: PLATFORM, unknownProtocol: 'drop' as 'deliver' }],
  ] as const) {
    it(`rejects ${label}`, () => {
      assert.throws(
        () => resolveTrackerOptions(options),
        (error: unknown) =>
          error instanceof ProtocolConfigError && error.code === PROTOCOL_ERROR_CODES.configInvalid && error.hint !== undefined,
      );
    });
  }
});
