/**
 * Priorities on a real node (decision 1920): as-echo is suspended while the operator queues low
 * messages and then high ones; on resume the high ones are handled first, and aging serves a low
 * one after every `priorityAgingDispatches` high ones, so the low queue is still handled — each
 * message once, each priority in the order it was sent. A malformed priority is refused at the
 * boundary with a typed error and nothing is accepted.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PRIORITY_PARAM, type Priority } from '@caxton/core';
import { TestNode } from './support/test-node.js';

const AGING = 4;
const LOW = 12;
const HIGH = 12;
let t: TestNode;

before(async () => {
  t = await TestNode.start({ traffic: { priorityAgingDispatches: AGING } });
  await t.deploy('echo', 'as-echo');
});

after(async () => {
  await t?.dispose();
});

const send = (content: string, priority: Priority) =>
  t.send({ performative: 'request', receivers: [{ name: 'echo' }], content, userParams: { [PRIORITY_PARAM]: priority } });

test('high messages overtake a queue of low ones, and the low ones are still served (aging)', { timeout: 60_000 }, async () => {
  await t.control.suspend('echo');
  const byId = new Map<string, string>();
  for (let i = 0; i < LOW; i++) byId.set((await send(`low#${i}`, 'low')).messageId, `low#${i}`);
  for (let i = 0; i < HIGH; i++) byId.set((await send(`high#${i}`, 'high')).messageId, `high#${i}`);
  assert.equal((await t.control.getAgent('echo'))?.mailboxDepth, LOW + HIGH);
  await t.control.resume('echo');
  await t.waitFor('every message handled', () => t.handled.filter((h) => h.agent === 'echo').length === LOW + HIGH, 30_000);

  const order = t.handled.filter((h) => h.agent === 'echo').map((h) => byId.get(h.messageId)!);
  // The low ones waited first, the high ones overtake them: AGING high, one low, and so on, until
  // the high lane is empty; the rest of the low queue follows.
  const expected: string[] = [];
  let h = 0;
  let l = 0;
  while (h < HIGH) {
    for (let k = 0; k < AGING && h < HIGH; k++) expected.push(`high#${h++}`);
    if (h < HIGH) expected.push(`low#${l++}`);
  }
  while (l < LOW) expected.push(`low#${l++}`);
  assert.deepEqual(order, expected);
  assert.equal(new Set(order).size, LOW + HIGH, 'each message handled once');
  await t.waitFor(
    'every answer',
    () => t.external.filter((e) => e.message.content?.startsWith('low#') || e.message.content?.startsWith('high#')).length === LOW + HIGH,
    30_000,
  );
});

test('a malformed priority is refused at the boundary with a typed error, nothing accepted', async () => {
  const before = t.accepted.length;
  await assert.rejects(
    t.send({ performative: 'request', receivers: [{ name: 'echo' }], content: 'x', userParams: { [PRIORITY_PARAM]: 'urgent' } }),
    (err: { code?: string; rule?: string; hint?: string }) =>
      err.code === 'acl.invalid' && err.rule === 'priority.invalid' && /high, normal or low/.test(err.hint ?? ''),
  );
  await assert.rejects(
    t.send({ performative: 'request', receivers: [{ name: 'echo' }], content: 'x', userParams: { 'x-caxton-priority': 'high' } }),
    (err: { rule?: string }) => err.rule === 'priority.spelling',
  );
  assert.equal(t.accepted.length, before);
});

test('the node refuses a traffic limit out of range before it starts', async () => {
  await assert.rejects(
    TestNode.start({ traffic: { priorityAgingDispatches: 0 } }),
    (err: { code?: string }) => err.code === 'limits.out-of-range',
  );
});
