/**
 * The pure part of blue-green and canary rollouts (decision 1871): the strategy as typed, the
 * conversation split (deterministic, about the asked share, a conversation kept on one version,
 * answers to older conversations on the current one, bounded memory) and the controller (verdicts
 * from the counts and an injected clock, thresholds validated against their table).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CaxtonError,
  ConversationSplit,
  conversationToCandidate,
  keyToCandidate,
  DEFAULT_ROLLOUT_THRESHOLDS,
  formatStrategy,
  parseStrategy,
  resolveRolloutThresholds,
  RolloutController,
  ROLLOUT_LIMIT_TABLE,
  type RolloutThresholds,
} from '../../src/index.js';

describe('rollout strategy', () => {
  it('reads blue-green and canary:<percent>', () => {
    assert.deepEqual(parseStrategy('blue-green'), { kind: 'blue-green' });
    assert.deepEqual(parseStrategy('canary:25'), { kind: 'canary', percent: 25 });
    assert.deepEqual(parseStrategy('canary:5%'), { kind: 'canary', percent: 5 });
    assert.equal(formatStrategy(parseStrategy('canary:100')), 'canary:100');
  });
  it('refuses anything else with a typed error and a hint', () => {
    for (const bad of ['canary', 'canary:0', 'canary:101', 'canary:-3', 'canary:2.5', 'red-black', '']) {
      assert.throws(
        () => parseStrategy(bad),
        (e: unknown) => e instanceof CaxtonError && e.kind === 'invalid-argument' && /canary:<percent>/.test(e.hint ?? ''),
        bad,
      );
    }
  });
});

describe('rollout thresholds', () => {
  it('defaults fill what is not given; each bound is accepted and one past it refused', () => {
    assert.deepEqual(resolveRolloutThresholds({}), DEFAULT_ROLLOUT_THRESHOLDS);
    assert.equal(resolveRolloutThresholds({ maxCrashRatePercent: 0 }).maxCrashRatePercent, 0, 'zero: any crash rolls back');
    for (const [name, def] of Object.entries(ROLLOUT_LIMIT_TABLE)) {
      assert.equal(resolveRolloutThresholds({ [name]: def.ceiling })[name as keyof RolloutThresholds], def.ceiling);
      assert.throws(
        () => resolveRolloutThresholds({ [name]: def.ceiling + 1 }),
        (e: unknown) => e instanceof CaxtonError && e.code === 'limits.out-of-range',
        name,
      );
      assert.throws(
        () => resolveRolloutThresholds({ [name]: def.min - 1 }),
        (e: unknown) => e instanceof CaxtonError && e.code === 'limits.out-of-range',
        name,
      );
    }
    assert.throws(() => resolveRolloutThresholds({ bakeMs: 1.5 }), /whole number/);
    assert.throws(
      () => resolveRolloutThresholds({ nope: 1 } as never),
      (e: unknown) => e instanceof CaxtonError && e.code === 'limits.unknown',
    );
  });
});

describe('conversation split', () => {
  it('is deterministic and gives about the asked share to the new version', () => {
    let toCandidate = 0;
    for (let i = 0; i < 10_000; i++) {
      const c = conversationToCandidate(`conv-${i}`, 'svc#2', 50);
      assert.equal(c, conversationToCandidate(`conv-${i}`, 'svc#2', 50));
      if (c) toCandidate += 1;
    }
    assert.ok(toCandidate > 4_700 && toCandidate < 5_300, `50% of 10,000 conversations, got ${toCandidate}`);
    let ten = 0;
    for (let i = 0; i < 10_000; i++) if (conversationToCandidate(`conv-${i}`, 'svc#2', 10)) ten += 1;
    assert.ok(ten > 850 && ten < 1_150, `10%, got ${ten}`);
    assert.equal(conversationToCandidate('x', 's', 100), true);
  });

  it('keeps a conversation on the version it started on', () => {
    const split = new ConversationSplit('svc#2', 50);
    const first = new Map<string, string>();
    for (let i = 0; i < 200; i++) first.set(`c${i}`, split.route({ conversationId: `c${i}`, messageId: `m${i}` }));
    assert.ok(new Set(first.values()).size === 2, 'both versions get conversations');
    for (let i = 0; i < 200; i++) {
      assert.equal(split.route({ conversationId: `c${i}`, inReplyTo: `r${i}`, messageId: `n${i}` }), first.get(`c${i}`));
    }
  });

  it('sends answers to conversations older than the rollout to the current version', () => {
    const split = new ConversationSplit('svc#2', 100); // blue-green: every new conversation to the new version
    assert.equal(split.route({ conversationId: 'old', inReplyTo: 'sent-before', messageId: 'a' }), 'current');
    assert.equal(split.route({ conversationId: 'old', messageId: 'b' }), 'current', 'and the whole conversation stays there');
    assert.equal(split.route({ conversationId: 'new', messageId: 'c' }), 'candidate');
  });

  it('sends answers to a conversation a version started back to that version', () => {
    const split = new ConversationSplit('svc#2', 100);
    split.started('asked-by-current', 'current');
    assert.equal(split.route({ conversationId: 'asked-by-current', inReplyTo: 'q', messageId: 'a' }), 'current');
    split.started('asked-by-candidate', 'candidate');
    assert.equal(split.route({ conversationId: 'asked-by-candidate', inReplyTo: 'q', messageId: 'b' }), 'candidate');
  });

  it('remembers a bounded number of conversations', () => {
    const split = new ConversationSplit('svc#2', 50, 10);
    for (let i = 0; i < 100; i++) split.route({ conversationId: `c${i}`, messageId: `m${i}` });
    assert.equal(split.size, 10);
  });

  it('forgets the least recently used conversation first: one in use keeps its version', () => {
    const split = new ConversationSplit('svc#2', 100, 3);
    split.started('mine', 'current');
    split.route({ conversationId: 'a', messageId: 'm1' });
    split.route({ conversationId: 'b', messageId: 'm2' });
    assert.equal(split.route({ conversationId: 'mine', messageId: 'm3', inReplyTo: 'x' }), 'current', 'used again: now the most recent');
    split.route({ conversationId: 'c', messageId: 'm4' }); // evicts a, not mine
    assert.equal(split.route({ conversationId: 'mine', messageId: 'm5', inReplyTo: 'x' }), 'current', 'still on the version it started on');
  });
});

describe('rollout controller', () => {
  const thresholds = resolveRolloutThresholds({ maxCrashRatePercent: 10, maxFailureRatePercent: 20, maxP99Ms: 50, bakeMs: 1_000 });
  const bounds = { minSamples: 5, latencySamples: 100 };

  it('waits through the bake and promotes a version within every threshold', () => {
    const c = new RolloutController(thresholds, 10_000, bounds);
    for (let i = 0; i < 20; i++) assert.equal(c.observe({ outcome: 'ok', durationMs: 2 }, 10_100).kind, 'wait');
    assert.deepEqual(c.verdict(10_999), { kind: 'wait', until: 11_000 });
    assert.deepEqual(c.verdict(11_000), { kind: 'promote' });
    assert.equal(c.phase, 'promoting');
    c.settle();
    assert.equal(c.phase, 'promoted');
    assert.deepEqual(c.counts(), { handled: 20, crashes: 0, failures: 0, p99Ms: 2 });
  });

  it('never promotes while the agent is held (kill switch), but still rolls back on a breach', () => {
    const c = new RolloutController(thresholds, 0, bounds);
    for (let i = 0; i < 10; i++) c.observe({ outcome: 'ok', durationMs: 1 }, 100);
    assert.deepEqual(c.verdict(5_000, true), { kind: 'wait', until: 5_000 }, 'baked, but held: waits');
    assert.equal(c.phase, 'baking');
    assert.deepEqual(c.verdict(5_001), { kind: 'promote' }, 'released: promoted');
    const bad = new RolloutController(thresholds, 0, bounds);
    for (let i = 0; i < 5; i++) bad.observe({ outcome: 'crashed' }, 100, true);
    assert.equal(bad.verdict(5_000, true).kind, 'rollback', 'a breach rolls back while held');
  });

  it('rolls back, never promotes, a bake that ended with fewer than minSamples handlings', () => {
    const c = new RolloutController(thresholds, 0, bounds);
    assert.deepEqual(c.verdict(1_000), {
      kind: 'rollback',
      reason: 'only 0 handling(s) of the new version during the bake, fewer than the 5 needed to judge it',
    });
    const few = new RolloutController(thresholds, 0, bounds);
    for (let i = 0; i < 4; i++) few.observe({ outcome: 'ok', durationMs: 1 }, 1);
    assert.equal(few.verdict(1_000, true).kind, 'wait', "held (the agent got no work): the bake's end waits for the brake");
    assert.equal(few.verdict(1_000).kind, 'rollback');
  });

  it('rolls back on the crash rate once enough handlings were seen, not on the first crash', () => {
    const c = new RolloutController(thresholds, 0, bounds);
    assert.equal(c.observe({ outcome: 'crashed' }, 1).kind, 'wait', 'one crash in one handling is not yet a rate');
    for (let i = 0; i < 3; i++) c.observe({ outcome: 'ok' }, 2);
    const v = c.observe({ outcome: 'ok' }, 3);
    assert.equal(v.kind, 'rollback');
    assert.match((v as { reason: string }).reason, /crash rate 1\/5 above 10%/);
    assert.equal(c.phase, 'rolling-back');
    assert.equal(c.observe({ outcome: 'ok' }, 4).kind, 'rollback', 'a verdict is final');
    assert.equal(c.counts().handled, 5, 'and nothing is counted after it');
    c.settle();
    assert.equal(c.phase, 'rolled-back');
  });

  it('rolls back on failure replies and on the p99 handle time', () => {
    const f = new RolloutController(thresholds, 0, bounds);
    for (let i = 0; i < 3; i++) f.observe({ outcome: 'ok' }, 1);
    f.observe({ outcome: 'failure' }, 1);
    assert.match((f.observe({ outcome: 'failure' }, 1) as { reason: string }).reason, /failure rate 2\/5/);
    const l = new RolloutController(thresholds, 0, bounds);
    for (let i = 0; i < 4; i++) l.observe({ outcome: 'ok', durationMs: 5 }, 1);
    assert.match((l.observe({ outcome: 'ok', durationMs: 80 }, 1) as { reason: string }).reason, /p99 handle time 80 ms above 50 ms/);
  });

  it('judges what was seen when the bake ends, however few', () => {
    const c = new RolloutController(thresholds, 0, bounds);
    c.observe({ outcome: 'crashed' }, 1);
    assert.equal(c.verdict(999).kind, 'wait');
    assert.equal(c.verdict(1_000).kind, 'rollback');
  });

  it('fail and abort end it with the reason given', () => {
    const c = new RolloutController(thresholds, 0, bounds);
    assert.deepEqual(c.fail('the new version wrote state'), { kind: 'rollback', reason: 'the new version wrote state' });
    const a = new RolloutController(thresholds, 0, bounds);
    a.abort('rolled back by the operator');
    assert.equal(a.phase, 'aborted');
    assert.equal(a.reason, 'rolled back by the operator');
    a.settle();
    assert.equal(a.phase, 'aborted');
  });
});

describe('an ended rollout lets go of its samples', () => {
  it('release() keeps the p99 shown and drops the handle times; a later handling adds nothing', () => {
    const c = new RolloutController(DEFAULT_ROLLOUT_THRESHOLDS, 0);
    for (let i = 1; i <= 50; i++) c.observe({ outcome: 'ok', durationMs: i }, 1);
    const before = c.counts();
    c.abort('rolled back by the operator');
    c.release();
    // The samples are the controller's memory of the bake (up to latencySamples numbers): gone.
    assert.equal((c as unknown as { durations: number[] }).durations.length, 0, 'handle-time samples dropped');
    assert.deepEqual(c.counts(), before, 'the counts and p99 shown are kept');
    c.observe({ outcome: 'crashed', durationMs: 9_999 }, 2);
    assert.deepEqual(c.counts(), before, 'a handling after the end is not counted');
    assert.equal(c.phase, 'aborted');
  });
});

describe('keyToCandidate (a kind split by key, decision 2175)', () => {
  it('gives about its share of keys the new version, the same keys every time, every key for blue-green', () => {
    let onNew = 0;
    for (let i = 0; i < 10_000; i++) {
      const k = keyToCandidate('counter', `key-${i}`, 2, { kind: 'canary', percent: 25 });
      assert.equal(k, keyToCandidate('counter', `key-${i}`, 2, { kind: 'canary', percent: 25 }));
      if (k) onNew += 1;
    }
    assert.ok(onNew > 2_300 && onNew < 2_700, `about 25 %: ${onNew}`);
    assert.ok(keyToCandidate('counter', 'any', 2, { kind: 'blue-green' }));
  });

  it('is salted by the kind and the candidate version: another rollout splits other keys', () => {
    const split = (kind: string, version: number): string =>
      Array.from({ length: 64 }, (_, i) => (keyToCandidate(kind, `k${i}`, version, { kind: 'canary', percent: 50 }) ? '1' : '0')).join('');
    assert.notEqual(split('counter', 2), split('counter', 3));
    assert.notEqual(split('counter', 2), split('meter', 2));
    assert.equal(split('counter', 2), split('counter', 2));
  });
});
