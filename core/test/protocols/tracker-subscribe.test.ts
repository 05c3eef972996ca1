/** Standing conversations: fipa-subscribe and request-whenever, ended by cancel or failure. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Performative } from '../../src/acl/message.js';
import { PROTOCOL_ERROR_CODES } from '../../src/protocols/errors.js';
import { assertDelivered, assertRejected, msg, newTracker } from './helpers.js';

const sub = (performative: Performative, from: string, to: string, extra = {}) =>
  msg(performative, from, to, { protocol: 'fipa-subscribe', conversationId: 'prices', ...extra });

describe('tracker: fipa-subscribe', () => {
  it('agree, many informs, cancel → inform-done ends the subscription', () => {
    const tracker = newTracker();
    assertDelivered(tracker.observe(sub('subscribe', 'fan@p', 'feed@p', { replyWith: 's1' }), 0));
    assertDelivered(tracker.observe(sub('agree', 'feed@p', 'fan@p'), 1));
    for (let i = 0; i < 50; i++) assertDelivered(tracker.observe(sub('inform', 'feed@p', 'fan@p', { content: `tick ${i}` }), 2 + i));
    assertDelivered(tracker.observe(sub('cancel', 'fan@p', 'feed@p', { replyWith: 'stop' }), 100));
    assertRejected(
      tracker.observe(sub('subscribe', 'fan@p', 'feed@p'), 101),
      'not-understood',
      PROTOCOL_ERROR_CODES.outOfSequence,
      'cancel pending',
    );
    const done = tracker.observe(sub('inform', 'feed@p', 'fan@p', { inReplyTo: 'stop', content: 'done' }), 102);
    assertDelivered(done);
    assert.equal(done.conversation?.ended, true);
    assertRejected(
      tracker.observe(sub('inform', 'feed@p', 'fan@p'), 103),
      'not-understood',
      PROTOCOL_ERROR_CODES.conversationEnded,
      'no informs after the cancel',
    );
  });

  it('an inform that crossed the cancel in flight is delivered and the cancel still awaits its answer', () => {
    const tracker = newTracker();
    tracker.observe(sub('subscribe', 'fan@p', 'feed@p', { replyWith: 's1' }), 0);
    tracker.observe(sub('agree', 'feed@p', 'fan@p', { inReplyTo: 's1' }), 1);
    tracker.observe(sub('cancel', 'fan@p', 'feed@p', { replyWith: 'stop' }), 2);
    const crossing = tracker.observe(sub('inform', 'feed@p', 'fan@p', { inReplyTo: 's1' }), 3);
    assertDelivered(crossing);
    assert.equal(crossing.conversation?.ended, false);
    assert.deepEqual(tracker.inspect('fan@p', 'prices')?.participants[0], {
      name: 'feed@p',
      phase: 'cancelling',
      resume: 'subscribed',
      replyDeadline: undefined,
    });
    const failed = tracker.observe(sub('failure', 'feed@p', 'fan@p', { inReplyTo: 'stop' }), 4);
    assert.equal(failed.conversation?.ended, true);
    assert.equal(tracker.inspect('fan@p', 'prices')?.participants[0]?.phase, 'cancel-failed');
  });

  it('informs before the agree are out of sequence', () => {
    const tracker = newTracker();
    tracker.observe(sub('subscribe', 'fan@p', 'feed@p'), 0);
    assertRejected(tracker.observe(sub('inform', 'feed@p', 'fan@p'), 1), 'not-understood', PROTOCOL_ERROR_CODES.outOfSequence);
  });

  it('the participant may end it with failure', () => {
    const tracker = newTracker();
    tracker.observe(sub('subscribe', 'fan@p', 'feed@p'), 0);
    tracker.observe(sub('agree', 'feed@p', 'fan@p'), 1);
    assert.equal(tracker.observe(sub('failure', 'feed@p', 'fan@p'), 2).conversation?.ended, true);
  });

  it('a quiet subscription is abandoned after the idle timeout, but informs keep it alive', () => {
    const tracker = newTracker({ idleTimeoutMs: 1_000 });
    tracker.observe(sub('subscribe', 'fan@p', 'feed@p'), 0);
    tracker.observe(sub('agree', 'feed@p', 'fan@p'), 1);
    tracker.observe(sub('inform', 'feed@p', 'fan@p'), 900);
    assert.deepEqual(tracker.expire(1_500), []);
    assert.equal(tracker.nextDeadline(), 1_900);
    const [failure] = tracker.expire(1_900);
    assert.equal(failure?.performative, 'failure');
    assert.equal(failure?.userParams?.['X-caxton-event'], 'idle-timeout');
    assert.equal(tracker.inspect('fan@p', 'prices')?.participants[0]?.phase, 'abandoned');
    assertRejected(tracker.observe(sub('inform', 'feed@p', 'fan@p'), 2_000), 'not-understood', PROTOCOL_ERROR_CODES.conversationEnded);
  });
});

describe('tracker: request-whenever (fipa-request-when)', () => {
  it('stands after agree until cancelled', () => {
    const tracker = newTracker();
    const rw = (performative: Performative, from: string, to: string) =>
      msg(performative, from, to, { protocol: 'fipa-request-when', conversationId: 'alarm' });
    assertDelivered(tracker.observe(rw('request-whenever', 'a@p', 'b@p'), 0));
    assertDelivered(tracker.observe(rw('agree', 'b@p', 'a@p'), 1));
    assertDelivered(tracker.observe(rw('inform', 'b@p', 'a@p'), 2));
    assertDelivered(tracker.observe(rw('inform', 'b@p', 'a@p'), 3));
    assertDelivered(tracker.observe(rw('cancel', 'a@p', 'b@p'), 4));
    assert.equal(tracker.observe(rw('inform', 'b@p', 'a@p'), 5).conversation?.ended, true);
  });
});
