/** The pure budget decision of a replica unit's start (decision 2096, review finding 10). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { budgetDecision, type HeldUnit } from '../../../src/topology/cluster/replica-budget.js';

const unit = (name: string, state: HeldUnit['state'], idle: boolean, lastMail: number): HeldUnit => ({ name, state, idle, lastMail });

test('room below the budget, counting units of every state and the owner replicas', () => {
  assert.deepEqual(budgetDecision([unit('a#r2', 'running', false, 1)], 0, 2), { kind: 'room' });
  assert.deepEqual(budgetDecision([unit('a#r2', 'stopping', true, 1)], 1, 2), { kind: 'wait' }, 'a stopping unit still counts');
  assert.deepEqual(budgetDecision([], 2, 2), { kind: 'refuse' }, 'owner replicas alone can fill it');
});

test('full: the running unit idle longest is evicted; none idle: refused; one stopping: wait', () => {
  const full = [
    unit('a#r2', 'running', true, 5),
    unit('a#r3', 'running', true, 3),
    unit('a#r4', 'running', false, 1),
    unit('a#r5', 'starting', true, 0),
  ];
  assert.deepEqual(budgetDecision(full, 0, 4), { kind: 'evict', name: 'a#r3' });
  assert.deepEqual(budgetDecision([unit('a#r2', 'running', false, 1), unit('a#r3', 'starting', true, 0)], 0, 2), { kind: 'refuse' });
  assert.deepEqual(budgetDecision([...full, unit('a#r6', 'stopping', true, 9)], 0, 4), { kind: 'wait' });
});
