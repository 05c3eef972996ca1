/**
 * Timer keys in etcd for instances of kinds (decision 2060): `counter/alice` is one key segment
 * (`counter%2Falice`), a named agent's keys are unchanged, no two names share a segment, and a
 * name with more than one `/` (or none before it) is refused typed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyLayout, timerSegment } from '../../src/registry/etcd/keys.js';
import { RegistryError } from '../../src/registry/errors.js';

const keys = new KeyLayout('/caxton/c1/');

test('an instance name is one segment; a named agent keeps the key it always had', () => {
  assert.equal(keys.timersPrefix('counter/alice'), '/caxton/c1/store/timers/counter%2Falice/');
  assert.equal(keys.timerKey('counter/alice', 't1'), '/caxton/c1/store/timers/counter%2Falice/t1');
  assert.equal(keys.timersPrefix('echo@caxton'), '/caxton/c1/store/timers/echo@caxton/');
  assert.equal(timerSegment('counter/alice@caxton'), 'counter%2Falice@caxton');
});

test('segments never collide: a literal %2F is escaped, so it differs from an encoded /', () => {
  const names = ['counter/alice', 'counter%2Falice', 'counter/al%ice', 'a/b', 'a%2Fb', 'ab'];
  const segments = names.map(timerSegment);
  assert.equal(new Set(segments).size, names.length, segments.join(' '));
  for (const s of segments) assert.ok(!s.includes('/'));
});

test('names that are no agent and no instance are refused typed', () => {
  for (const bad of ['', '/alice', 'a/b/c', 'counter/']) {
    assert.throws(
      () => keys.timersPrefix(bad),
      (err: unknown) => err instanceof RegistryError,
      bad,
    );
  }
});
