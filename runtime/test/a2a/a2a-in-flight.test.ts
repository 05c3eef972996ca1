/**
 * The A2A endpoint's bound on tasks waiting for answers (decision 1950): a burst of sends larger
 * than the bound, all at once, against a real node with a real WASM agent that answers after a
 * delay (examples/as-reminder). The slot is taken when the send is authorized, before the SDK
 * reads it, so exactly the bound's number run and the rest are refused `a2a.busy`; the slots come
 * back when the tasks end. With today's in-memory task store the SDK's awaits between the check
 * and the executor are microtasks only, so the burst pins the bound rather than reproducing the
 * race (an I/O-backed store opens it); the slot's own rules (released once, by the request or by
 * the execution that claimed it), which close it, are pure and tested here too.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { RunningNode } from '../../src/start/start-node.js';
import { InFlightSlots } from '../../src/a2a/in-flight-slots.js';
import { startA2aNode, type A2aNode } from './a2a-node.js';

const LIMIT = 2;
const BURST = 7;

let a2aNode: A2aNode;
let node: RunningNode;
let admin: string;

/** An A2A 0.3 `message/send` (blocking: it answers when the task ends); the reminder answers after `delayMs`. */
async function sendReminder(delayMs: number, text: string): Promise<{ status: number; state?: string; code?: string }> {
  const res = await fetch(`${node.a2aUrl!}/a2a/reminder/jsonrpc`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'message/send',
      params: {
        message: { kind: 'message', role: 'user', messageId: randomUUID(), parts: [{ kind: 'text', text: `${delayMs} ${text}` }] },
      },
    }),
  });
  const body = (await res.json()) as { result?: { status?: { state?: string } }; error?: { data?: { code?: string } } };
  return { status: res.status, state: body.result?.status?.state, code: body.error?.data?.code };
}

before(async () => {
  a2aNode = await startA2aNode('caxton-a2a-busy-', { callTimeoutMs: 10_000, maxTasksInFlight: LIMIT }, { reminder: 'as-reminder' });
  ({ node, admin } = a2aNode);
});

after(async () => {
  await a2aNode?.stop();
});

describe('A2A endpoint: the in-flight bound holds against a burst', () => {
  it(`runs ${LIMIT} of ${BURST} sends fired at once, refuses the rest a2a.busy, and takes a send again once they end`, async () => {
    const outcomes = await Promise.all(Array.from({ length: BURST }, (_, i) => sendReminder(2000, `burst ${i}`)));
    const completed = outcomes.filter((o) => o.status === 200 && o.state === 'completed');
    const busy = outcomes.filter((o) => o.status === 503 && o.code === 'a2a.busy');
    assert.equal(completed.length, LIMIT, `exactly the bound ran: ${JSON.stringify(outcomes)}`);
    assert.equal(busy.length, BURST - LIMIT, `the excess was refused a2a.busy: ${JSON.stringify(outcomes)}`);
    // Every slot came back: the bound's number run again at once.
    const later = await Promise.all(Array.from({ length: LIMIT }, (_, i) => sendReminder(10, `later ${i}`)));
    assert.deepEqual(
      later.map((o) => [o.status, o.state]),
      Array.from({ length: LIMIT }, () => [200, 'completed']),
    );
  });
});

describe('A2A endpoint: in-flight slots (pure)', () => {
  it('gives at most max slots; each comes back once, by the request unless an execution claimed it', () => {
    const slots = new InFlightSlots(2);
    const a = slots.tryReserve()!;
    const b = slots.tryReserve()!;
    assert.equal(slots.tryReserve(), undefined, 'full');
    // A request cut before its execution began: its slot comes back, and a late execution may not claim it.
    b.requestEnded();
    assert.equal(slots.inUse, 1);
    assert.equal(b.claim(), false);
    b.release();
    assert.equal(slots.inUse, 1, 'released once only');
    // A claimed slot outlives its request (a non-blocking send, a client gone): only the execution's end frees it.
    assert.equal(a.claim(), true);
    a.requestEnded();
    assert.equal(slots.inUse, 1);
    a.release();
    a.release();
    a.requestEnded();
    assert.equal(slots.inUse, 0);
    assert.ok(slots.tryReserve());
  });
});
