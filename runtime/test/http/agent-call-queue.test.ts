/** Per-agent in-flight cap and bounded queue (runtime/src/http/agent-call-queue.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentCallQueue, QUEUE_FACTOR } from '../../src/http/agent-call-queue.js';

test('runs up to maxInFlight, queues up to maxInFlight × 4, refuses past that; FIFO on release', () => {
  const q = new AgentCallQueue();
  const started: number[] = [];
  const dones: (() => void)[] = [];
  const admit = (i: number): string =>
    q.admit('a', 2, (done) => {
      started.push(i);
      dones.push(done);
    });
  assert.equal(admit(0), 'run');
  assert.equal(admit(1), 'run');
  for (let i = 2; i < 2 + 2 * QUEUE_FACTOR; i++) assert.equal(admit(i), 'queued');
  assert.equal(admit(99), 'refused');
  assert.deepEqual(started, [0, 1]);
  assert.equal(q.inFlight('a'), 2);
  assert.equal(q.waiting('a'), 8);
  dones[0]!();
  dones[0]!(); // a second call of the same done changes nothing
  assert.deepEqual(started, [0, 1, 2]);
  assert.equal(q.inFlight('a'), 2);
  // Each release starts the next waiting call, which appends its own done: release them all in order.
  for (let i = 1; i < dones.length; i++) dones[i]!();
  assert.deepEqual(started, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(q.inFlight('a'), 0);
  assert.equal(q.waiting('a'), 0);
});

test('agents do not share slots', () => {
  const q = new AgentCallQueue();
  assert.equal(
    q.admit('a', 1, () => {}),
    'run',
  );
  assert.equal(
    q.admit('a', 1, () => {}),
    'queued',
  );
  assert.equal(
    q.admit('b', 1, () => {}),
    'run',
  );
});
