import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  NearChangedError,
  NearKeepStateError,
  NearKindError,
  NearUnsupportedError,
  checkNearName,
  placementKeyOf,
  resolveNear,
  settlePlacement,
  wantedPlacement,
  InvalidArgumentError,
} from '../../src/index.js';

describe('resolveNear (decision 2189)', () => {
  it('places an agent near a named agent by that agent’s name', () => {
    assert.deepEqual(resolveNear('ping', 'echo', { is: 'agent' }, false), { agent: 'echo', key: 'echo' });
  });

  it('collapses a chain to its root: near an agent that is itself near another', () => {
    assert.deepEqual(resolveNear('c', 'b', { is: 'agent', key: 'a' }, false), { agent: 'b', key: 'a' });
  });

  it('notes on one node that every agent is near every other, and still records the key', () => {
    const near = resolveNear('ping', 'echo', { is: 'agent' }, true);
    assert.equal(near.key, 'echo');
    assert.match(near.note ?? '', /one node/);
  });

  for (const [what, self, target, why] of [
    ['itself', 'echo', { is: 'agent' }, /near itself/],
    ['an agent not deployed', 'ping', { is: 'absent' }, /no agent echo is deployed/],
    ['a kind', 'ping', { is: 'kind' }, /agent kind/],
    ['a kind’s instance', 'ping', { is: 'instance' }, /instance of an agent kind/],
    ['a scaled agent', 'ping', { is: 'scaled', replicas: 3 }, /3 replicas/],
  ] as const) {
    it(`falls back to its own name, with a note, near ${what}`, () => {
      const near = resolveNear(self, 'echo', target, false);
      assert.equal(near.agent, 'echo');
      assert.equal(near.key, undefined);
      assert.match(near.note ?? '', why);
      assert.match(near.note ?? '', /placed by its own name/);
      assert.equal(placementKeyOf(self, near), self);
    });
  }

  it('gives the placement key: the recorded one, else the name', () => {
    assert.equal(placementKeyOf('ping', { agent: 'echo', key: 'echo' }), 'echo');
    assert.equal(placementKeyOf('ping', undefined), 'ping');
  });
});

describe('checkNearName', () => {
  it('accepts an agent name and a kind’s instance name', () => {
    assert.equal(checkNearName('echo'), 'echo');
    assert.equal(checkNearName('counter/alice'), 'counter/alice');
  });

  for (const bad of ['', 'a'.repeat(129), '-echo', 'ec ho', 'echo\n', '../etc', 'counter/', '/alice', 'echo#r2'])
    it(`refuses ${JSON.stringify(bad.slice(0, 20))} typed, naming the field`, () => {
      assert.throws(
        () => checkNearName(bad),
        (e: unknown) => e instanceof InvalidArgumentError && e.code === 'api.invalid' && e.field === 'header.near',
      );
    });
});

describe('near errors', () => {
  it('are typed failed-preconditions with a hint', () => {
    const kind = new NearKindError('counter', 'echo');
    assert.equal(kind.code, 'agent.near-kind');
    assert.equal(kind.kind, 'failed-precondition');
    assert.ok(kind.hint);
    const changed = new NearChangedError('ping', 'echo', 'other');
    assert.equal(changed.code, 'agent.near-changed');
    assert.deepEqual(changed.context, { agent: 'ping', near: 'other', was: 'echo' });
    assert.match(changed.hint ?? '', /caxton stop ping/);
    const forGood = new NearChangedError('ping', 'echo', 'other', true);
    assert.match(forGood.hint ?? '', /keeps its placement for good/);
    assert.match(forGood.hint ?? '', /another name near other/);
    const older = new NearUnsupportedError('ping', 'echo', 'n2');
    assert.equal(older.code, 'agent.near-unsupported');
    assert.equal(older.kind, 'failed-precondition');
    assert.deepEqual(older.context, { agent: 'ping', near: 'echo', node: 'n2' });
    assert.match(older.hint ?? '', /upgrade node n2/);
  });
});

describe('a cluster’s fixed placement (decision 2189)', () => {
  const near = (agent: string, key?: string) => (key === undefined ? { agent, note: 'a fallback' } : { agent, key });

  it('fixes only a key other than the name', () => {
    assert.deepEqual(wantedPlacement('ping', near('echo', 'root')), { key: 'root', near: 'echo' });
    assert.equal(wantedPlacement('ping', near('nobody')), undefined);
    assert.equal(wantedPlacement('ping', undefined), undefined);
  });

  it('records what was asked when nothing is fixed, or the same is', () => {
    assert.deepEqual(settlePlacement('ping', near('echo', 'echo'), undefined), near('echo', 'echo'));
    assert.deepEqual(settlePlacement('ping', near('echo', 'echo'), { key: 'echo', near: 'echo' }), near('echo', 'echo'));
    assert.equal(settlePlacement('ping', undefined, undefined), undefined);
    assert.deepEqual(settlePlacement('ping', near('nobody'), undefined), near('nobody'), 'a fallback fixes nothing');
  });

  it('keeps the fixed key for a deploy without --near, or near the same agent now absent, with a note', () => {
    for (const asked of [undefined, near('echo')]) {
      const kept = settlePlacement('ping', asked, { key: 'root', near: 'echo' });
      assert.equal(kept?.key, 'root');
      assert.equal(kept?.agent, 'echo');
      assert.match(kept?.note ?? '', /fixed at its first deploy/);
    }
  });

  it('a name fixed by itself (the root others are placed near) takes no --near, and needs none', () => {
    assert.equal(settlePlacement('echo', undefined, { key: 'echo' }), undefined);
    assert.deepEqual(settlePlacement('echo', near('nobody'), { key: 'echo' }), near('nobody'), 'a fallback is its own place');
    assert.throws(
      () => settlePlacement('echo', near('other', 'other'), { key: 'echo' }),
      (e: unknown) => e instanceof NearChangedError && /for good/.test(e.hint ?? ''),
    );
  });

  it('refuses another --near than the fixed placement, typed, for good', () => {
    for (const asked of [near('other', 'other'), near('nobody')])
      assert.throws(
        () => settlePlacement('ping', asked, { key: 'echo', near: 'echo' }),
        (e: unknown) => e instanceof NearChangedError && /for good/.test(e.hint ?? ''),
      );
  });

  it('--keep-state with a first --near is a typed failed-precondition', () => {
    const e = new NearKeepStateError('ping', 'echo');
    assert.equal(e.code, 'agent.near-keep-state');
    assert.equal(e.kind, 'failed-precondition');
    assert.match(e.hint ?? '', /without --keep-state/);
  });
});
