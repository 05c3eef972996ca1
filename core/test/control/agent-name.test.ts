/** Instance names of agent kinds (decision 1980): `<kind>/<key>`, parsed and bounded at the boundary. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError, instanceName, isInstanceName, parseInstanceName } from '../../src/index.js';

test('a plain agent name is no instance name', () => {
  assert.equal(parseInstanceName('counter'), undefined);
});

test('isInstanceName: a name with a "/" addresses an instance (validity is parseInstanceName\'s to check)', () => {
  assert.equal(isInstanceName('counter'), false);
  assert.equal(isInstanceName('orders.v2'), false);
  assert.equal(isInstanceName(''), false);
  assert.equal(isInstanceName('counter/alice'), true);
  assert.equal(isInstanceName(instanceName('orders.v2', 'order-17')), true);
  // Not a valid instance name, but one all the same: parseInstanceName refuses it rather than reading it as a plain agent.
  assert.equal(isInstanceName('counter/a/b'), true);
  assert.throws(() => parseInstanceName('counter/a/b'), InvalidArgumentError);
});

test('<kind>/<key> is taken apart, and put together again', () => {
  assert.deepEqual(parseInstanceName('counter/alice'), { kind: 'counter', key: 'alice' });
  assert.deepEqual(parseInstanceName('orders.v2/order-17_a.b'), { kind: 'orders.v2', key: 'order-17_a.b' });
  assert.equal(instanceName('counter', 'alice'), 'counter/alice');
  const longest = 'k'.repeat(128);
  assert.deepEqual(parseInstanceName(`counter/${longest}`), { kind: 'counter', key: longest });
});

test('a bad kind or key is refused with the rule, naming the field', () => {
  for (const bad of [
    'counter/',
    '/alice',
    'counter/a/b',
    'counter/bad key',
    'counter/-lead',
    `counter/${'k'.repeat(129)}`,
    'count er/alice',
    'counter/ünï',
  ]) {
    assert.throws(
      () => parseInstanceName(bad, 'message.receivers'),
      (e: InvalidArgumentError) => {
        assert.ok(e instanceof InvalidArgumentError, bad);
        assert.equal(e.field, 'message.receivers');
        assert.match(e.hint ?? '', /<kind>\/<key>/);
        return true;
      },
      bad,
    );
  }
});
