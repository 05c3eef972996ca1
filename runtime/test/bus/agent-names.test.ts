/**
 * An agent's local and qualified names made once and shared (decision 2150): the same spellings
 * as before, one object per name, frozen, and bounded whatever names a guest writes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentNames, MAX_KEPT_NAME, MAX_NAMES } from '../../src/bus/agent-names.js';

const names = (): AgentNames => new AgentNames('caxton', 'topic:');

test('a bare name is qualified once: the same frozen id every time, and its local name back', () => {
  const n = names();
  const a = n.qualify({ name: 'echo' });
  assert.deepEqual(a, { name: 'echo@caxton' });
  assert.equal(n.qualify({ name: 'echo' }), a, 'one shared id per name');
  assert.equal(n.qualifiedId('echo'), a);
  assert.ok(Object.isFrozen(a));
  assert.throws(() => {
    (a as { name: string }).name = 'other';
  }, TypeError);
  assert.equal(n.localName(a), 'echo');
  assert.equal(n.localName('echo@caxton'), 'echo');
});

test('names of other platforms, topics, and ids carrying more than a name keep their spelling', () => {
  const n = names();
  const remote = { name: 'ping@jade-1' };
  assert.equal(n.qualify(remote), remote);
  assert.equal(n.localName(remote), 'ping@jade-1');
  const topic = { name: 'topic:news' };
  assert.equal(n.qualify(topic), topic);
  const rich = { name: 'echo', addresses: ['http://127.0.0.1:7778/acc'] };
  const q = n.qualify(rich);
  assert.deepEqual(q, { name: 'echo@caxton', addresses: ['http://127.0.0.1:7778/acc'] });
  assert.notEqual(q, n.qualifiedId('echo'), 'a rich id is not the shared bare one');
  assert.equal(n.localName('echo'), 'echo');
  assert.equal(n.localName('echo@caxton2'), 'echo@caxton2', 'a platform whose name only starts like ours');
  assert.equal(n.localName('a@b@caxton'), 'a@b', 'the last @ splits, as before');
  assert.equal(n.localName('x@caxton'), 'x', 'a qualified name never seen qualified here is split too');
});

test('the tables are bounded: past MAX_NAMES names they start again, and spellings stay right', () => {
  const n = names();
  const first = n.qualifiedId('a0');
  for (let i = 1; i <= MAX_NAMES + 10; i++) n.qualifiedId(`a${i}`);
  const again = n.qualifiedId('a0');
  assert.notEqual(again, first, 'emptied once past the bound');
  assert.deepEqual(again, first);
  assert.equal(n.localName(`a${MAX_NAMES + 10}@caxton`), `a${MAX_NAMES + 10}`);
  const sizes = n as unknown as { qualifiedIds: Map<string, unknown>; localNames: Map<string, unknown> };
  assert.ok(sizes.qualifiedIds.size <= MAX_NAMES && sizes.localNames.size <= MAX_NAMES);
});

test('a long name is qualified fresh each time, never kept (a guest may write 8 KiB names)', () => {
  const n = names();
  const long = 'x'.repeat(MAX_KEPT_NAME + 1);
  const a = n.qualify({ name: long });
  assert.deepEqual(a, { name: `${long}@caxton` });
  assert.notEqual(n.qualify({ name: long }), a, 'not shared');
  assert.equal(Object.isFrozen(a), false);
  assert.equal(n.localName(a), long, 'its local name is still split out');
  const kept = 'y'.repeat(MAX_KEPT_NAME);
  assert.equal(n.qualify({ name: kept }), n.qualify({ name: kept }), 'a name at the bound is kept');
});

test("a platform name holding an '@' is refused (local names split at the last one)", () => {
  assert.throws(() => new AgentNames('a@b', 'topic:'), RangeError);
});
