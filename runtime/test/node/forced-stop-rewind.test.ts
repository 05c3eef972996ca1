/**
 * A forced stop and a rewind of its agent's handlings (decision 2070): the embedded stop forgets the
 * agent's mailbox, then awaits its dead letters and `onStopped` (registry I/O), and only then takes
 * the agent out of the node. A completion that fails in between is rewound while the agent is still
 * one, so its deliveries go back into a re-created mailbox; the stop must take that mailbox too and
 * dead-letter what it holds (nothing else dispatches it). Each delivery goes once.
 *
 * The real agent lifecycle with the embedded residency (real registry, real sandbox host running a
 * real example agent for deploy and stop), a real bus over a recording memory log; the bus's port
 * answers names and runnability from the lifecycle, and its handlings from a script (so a
 * completion can be held and failed at a chosen point).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Bus } from '../../src/bus/bus.js';
import { BusEvents, type BusEvent } from '../../src/bus/events.js';
import { tempDir } from '../registry/helpers/tmp.js';
import { RecordingLog, inform, operator, until } from '../bus/scripted-port.js';
import { example } from '../support/examples.js';
import { openScriptedLifecycle } from './support/lifecycle-wiring.js';

/**
 * Deploys `a`, has m1..m3 handled ahead of a first completion that is held, force-stops `a` and,
 * while the stop waits in `onStopped` (its mailbox forgotten, `a` still an agent), fails that
 * completion: the rewind puts the three into a re-created mailbox. Then lets the stop finish and
 * hands what happened to `check`. `failLetters`: the log cannot write dead letters.
 */
async function stopWithARewindInside(
  failLetters: boolean,
  check: (r: { log: RecordingLog; bus: Bus; seen: string[]; busEvents: BusEvent[]; lines: string[] }) => Promise<void>,
): Promise<void> {
  const dir = await tempDir('forced-stop-rewind');
  const log = new RecordingLog();
  log.failDeadLetter = () => failLetters;
  const events = new BusEvents();
  const seenEvents: BusEvent[] = [];
  events.on((e) => void seenEvents.push(e));
  // The stop's `onStopped` (registry I/O) is held: the window between its forget and its remove.
  let stopPassed!: () => void;
  const stopHeld = new Promise<void>((r) => (stopPassed = r));
  let stopping = false;
  let inOnStopped = false;
  const node = await openScriptedLifecycle(dir.path, {
    log,
    events,
    mailboxCapacity: 100,
    dispatch: { maxAttempts: 3, maxBatch: 64, maxPerAgent: 1, maxInFlight: 2 },
    onStopped: async () => {
      if (!stopping) return;
      inOnStopped = true;
      await stopHeld;
    },
  });
  const { lifecycle, bus, port, lines } = node;
  const seen: string[] = [];
  port.script = (item) => {
    const content = item.kind === 'delivery' ? (item.delivery.message.content ?? '') : `timer:${item.token}`;
    seen.push(content);
    return { stateWrites: [{ key: `k-${content}`, value: 'x' }] };
  };
  try {
    await lifecycle.deploy({ name: 'a', limits: {}, config: {} }, await example('as-echo'));
    // The first completion is held, then fails: m1..m3 are handled ahead of it (early release).
    let failCommit!: () => void;
    const commitHeld = new Promise<void>((r) => (failCommit = r));
    let failNext = true;
    const complete = log.complete.bind(log);
    log.complete = async (records) => {
      if (failNext) {
        failNext = false;
        await commitHeld;
        throw Object.assign(new Error('state topic unreachable'), { code: 'kafka.unavailable' });
      }
      return complete(records);
    };
    for (const m of ['m1', 'm2', 'm3']) await bus.send(inform('a', m), operator);
    await until(() => seen.length === 3, 'handled ahead of the first completion');

    stopping = true;
    const stopped = lifecycle.stop('a', true);
    // The stop forgot the (empty: all handed off) mailbox and waits in onStopped; the commit fails now.
    await until(() => inOnStopped, 'the stop waiting in onStopped, its mailbox forgotten', 10_000);
    assert.equal(port.resets.length, 0, 'not rewound yet');
    failCommit();
    await until(() => port.resets.length === 1 && bus.mailboxDepth('a') === 3, 'rewound into a re-created mailbox while still an agent');
    stopPassed();
    const status = await stopped;
    assert.equal(status.state, 'stopped');
    assert.equal(lifecycle.has('a'), false);

    await check({ log, bus, seen, busEvents: seenEvents, lines });
  } finally {
    stopPassed();
    await node.close();
    await dir.remove();
  }
}

test("a forced stop whose agent's failed completion is rewound before the agent is removed dead-letters the rewound deliveries, once each, and leaves no mailbox", async () => {
  await stopWithARewindInside(false, async ({ log, bus, seen, busEvents }) => {
    await until(() => log.ops.filter((o) => o.startsWith('dead-letter:')).length === 3, 'the three rewound deliveries dead-lettered');
    await bus.idle();
    assert.equal(bus.mailboxDepth('a'), 0, 'no mailbox left holding them');
    assert.deepEqual(seen, ['m1', 'm2', 'm3'], 'not handled again');
    const letters = await log.deadLetters(10);
    assert.deepEqual(letters.map((l) => l.delivery.message.content).sort(), ['m1', 'm2', 'm3']);
    assert.ok(letters.every((l) => l.reason === 'agent a was stopped before handling it' && l.attempts === 0));
    assert.equal(log.ops.filter((o) => o.startsWith('complete:')).length, 0, 'none completed as well');
    const told = busEvents.filter((e) => e.type === 'dead-lettered');
    assert.equal(told.length, 3, "each told once as a dead-lettered event, as the bus's own dead letters are");
  });
});

test("a forced stop whose second take's dead letters cannot be written still stops the agent: each warned about, none told as dead-lettered, none left in a mailbox (pending in the log)", async () => {
  await stopWithARewindInside(true, async ({ log, bus, seen, busEvents, lines }) => {
    await bus.idle();
    assert.equal(log.ops.filter((o) => o.startsWith('dead-letter-failed:')).length, 3, 'each tried once');
    const warned = lines.filter(
      (l) => l.startsWith('a warn: ') && l.includes('could not be dead-lettered') && l.includes('stays pending in the log'),
    );
    assert.equal(warned.length, 3, 'one warning each');
    assert.equal(busEvents.filter((e) => e.type === 'dead-lettered').length, 0, 'not told as dead-lettered');
    assert.equal(bus.mailboxDepth('a'), 0, 'in no mailbox');
    assert.deepEqual(seen, ['m1', 'm2', 'm3'], 'not handled again');
    assert.equal(log.ops.filter((o) => o.startsWith('complete:')).length, 0, 'not completed: pending in the log still');
  });
});
