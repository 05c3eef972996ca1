import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NearChangedError, NearKindError, checkNearName, placementKeyOf, resolveNear, InvalidArgumentError } from '../../src/index.js';

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
  });
});
