/**
 * A deployment's topic allow-list (decision 2050): what a pattern is, what it allows, and every
 * refusal typed with a hint, bounds checked before the work they bound.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  parseTopicPatterns,
  parseTopicPatternText,
  TOPIC_LIMITS,
  topicAllowed,
  topicMatchesPattern,
  topicNotAllowed,
  TopicError,
} from '../../src/index.js';

const refusedWith =
  (field: RegExp) =>
  (err: unknown): boolean => {
    assert.ok(err instanceof TopicError, String(err));
    assert.equal(err.code, 'topic.invalid-pattern');
    assert.equal(err.kind, 'invalid-argument');
    assert.match(err.field, field);
    assert.match(err.hint ?? '', /ending in \*/);
    return true;
  };

describe('topic patterns: what they allow', () => {
  it('a name allows that topic only', () => {
    assert.equal(topicMatchesPattern('alerts', 'alerts'), true);
    assert.equal(topicMatchesPattern('alerts', 'alerts.eu'), false);
    assert.equal(topicMatchesPattern('alerts', 'alert'), false);
    assert.equal(topicMatchesPattern('alerts', 'Alerts'), false, 'names are case-sensitive, as topics are');
  });

  it('a prefix with * allows every longer topic that starts with it, not the prefix itself', () => {
    assert.equal(topicMatchesPattern('orders.*', 'orders.eu'), true);
    assert.equal(topicMatchesPattern('orders.*', 'orders.eu.retail'), true);
    assert.equal(topicMatchesPattern('orders.*', 'orders.'), false, 'the * stands for at least one character');
    assert.equal(topicMatchesPattern('orders.*', 'orders'), false);
    assert.equal(topicMatchesPattern('orders.*', 'ordersx'), false);
    assert.equal(topicMatchesPattern('orders*', 'orders-eu'), true, 'a prefix need not end at a dot');
    assert.equal(topicMatchesPattern('*', 'anything/at.all'), true);
  });

  it('no list allows every topic; an empty list allows none', () => {
    assert.equal(topicAllowed(undefined, 'x'), true);
    assert.equal(topicAllowed([], 'x'), false);
    const list = parseTopicPatterns(['orders.*', 'alerts']);
    assert.equal(topicAllowed(list, 'orders.eu'), true);
    assert.equal(topicAllowed(list, 'alerts'), true);
    assert.equal(topicAllowed(list, 'alerts.eu'), false);
    assert.equal(topicAllowed(list, 'payments'), false);
  });
});

describe('topic patterns: parsing', () => {
  it('keeps the order given and each pattern once; the result is frozen', () => {
    const list = parseTopicPatterns(['b', 'a.*', 'b', '*']);
    assert.deepEqual(list, ['b', 'a.*', '*']);
    assert.ok(Object.isFrozen(list));
  });

  it('the command line form: commas, spaces around them, the empty text as no topic', () => {
    assert.deepEqual(parseTopicPatternText('orders.*, alerts'), ['orders.*', 'alerts']);
    assert.deepEqual(parseTopicPatternText(''), []);
    assert.deepEqual(parseTopicPatternText('  '), []);
    assert.throws(() => parseTopicPatternText('a,,b'), refusedWith(/^topics\[1\]$/));
    assert.throws(() => parseTopicPatternText('a,'), refusedWith(/^topics\[1\]$/));
  });

  it('refuses a * anywhere but at the end, more than one, and every character a topic name has not', () => {
    for (const bad of ['or*ders', '*.eu', '**', 'a**', 'orders.*.eu', '.orders', '-x', 'topic:x', 'a b', 'a@p', 'ü', '']) {
      assert.throws(() => parseTopicPatterns(['ok', bad]), refusedWith(/^topics\[1\]$/), JSON.stringify(bad));
    }
    assert.throws(() => parseTopicPatterns([7]), refusedWith(/^topics\[0\]$/));
    assert.throws(() => parseTopicPatterns('orders.*'), refusedWith(/^topics$/));
  });

  it('bounds the length of a pattern and the number of them, the count before any is read', () => {
    const longest = `${'a'.repeat(TOPIC_LIMITS.maxTopicNameLength - 1)}*`;
    assert.deepEqual(parseTopicPatterns([longest]), [longest]);
    assert.throws(() => parseTopicPatterns([`${'a'.repeat(TOPIC_LIMITS.maxTopicNameLength)}*`]), refusedWith(/^topics\[0\]$/));
    const many = Array.from({ length: TOPIC_LIMITS.maxTopicPatterns }, (_, i) => `t${i}`);
    assert.equal(parseTopicPatterns(many).length, TOPIC_LIMITS.maxTopicPatterns);
    // One more, and the extra entry is not a string: the count is what is refused.
    assert.throws(
      () => parseTopicPatterns([...many, 42]),
      (err: unknown) => err instanceof TopicError && /has 33 patterns; at most 32/.test(err.message),
    );
    const text = 'x'.repeat(TOPIC_LIMITS.maxTopicPatterns * (TOPIC_LIMITS.maxTopicNameLength + 2) + 1);
    assert.throws(
      () => parseTopicPatternText(text),
      (err: unknown) => err instanceof TopicError && /characters; at most/.test(err.message),
    );
  });

  it('a topic outside the list is refused as permission-denied, naming the list and how to change it', () => {
    const err = topicNotAllowed('worker', 'payments', ['orders.*', 'alerts']);
    assert.equal(err.code, 'topic.not-allowed');
    assert.equal(err.kind, 'permission-denied');
    assert.match(err.message, /worker may not subscribe to "payments": its deployment allows orders\.\*,alerts/);
    assert.match(err.hint ?? '', /--topics/);
    assert.match(topicNotAllowed('w', 'x', []).message, /allows no topic/);
  });
});
