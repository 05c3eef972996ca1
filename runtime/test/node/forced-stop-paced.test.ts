/**
 * A forced stop in the middle of a paced outbox (decision 2099): the stop starts the rest of the
 * agent's outbox at once (the bus's forget flushes its send turns), so nothing from the stopped
 * agent is accepted after `stop --force` returned, and no delivery ends both completed and
 * dead-lettered. Counts and order, not time.
 *
 * The real agent lifecycle with the embedded residency (real registry, real sandbox host running a
 * real example agent for deploy and stop), a real bus over a recording memory log; the bus's port
 * answers names and runnability from the lifecycle, and its handlings from a script.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir } from '../registry/helpers/tmp.js';
import { inform, operator, until } from '../bus/scripted-port.js';
import { example } from '../support/examples.js';
import { openScriptedLifecycle } from './support/lifecycle-wiring.js';

const BURST = 1_000;

test('a forced stop during a 1,000-send burst: nothing from the agent is accepted after the stop returned, nothing is both completed and dead-lettered', async () => {
  const dir = await tempDir('forced-stop-paced');
  const node = await openScriptedLifecycle(dir.path, {
    mailboxCapacity: 20_000,
    dispatch: { maxAttempts: 3, maxBatch: 64, maxPerAgent: 16, maxInFlight: 2 },
  });
  const { lifecycle, bus, log, port } = node;
  port.script = (item) => {
    if (item.kind !== 'delivery' || item.agent !== 'a') return {};
    const c = item.delivery.message.content ?? '';
    return { outbox: Array.from({ length: BURST }, (_, i) => inform('n', `${c}.${i}`)) };
  };
  try {
    const echo = await example('as-echo');
    await lifecycle.deploy({ name: 'a', limits: {}, config: {} }, echo);
    await lifecycle.deploy({ name: 'n', limits: {}, config: {} }, echo);
    // Accepted sends of the burst, counted as the log takes them; the stop is started from inside
    // the log's append of the 100th (past the first turn: the rest of the burst waits for turns).
    let fromA = 0;
    let stopped: Promise<unknown> | undefined;
    let stopReturned = false;
    let acceptedAfterStop = 0;
    const append = log.append.bind(log);
    log.append = async (deliveries) => {
      for (const d of deliveries) {
        if (!/^go\d\.\d+$/.test(d.message.content ?? '')) continue;
        fromA += 1;
        if (stopReturned) acceptedAfterStop += 1;
        if (fromA === 100) stopped = lifecycle.stop('a', true).then(() => void (stopReturned = true));
      }
      return append(deliveries);
    };
    await bus.freezeDispatch();
    for (const m of ['go0', 'go1', 'go2']) await bus.send(inform('a', m), operator);
    bus.thawDispatch();
    await until(() => stopped !== undefined, 'the stop started in the middle of the burst', 20_000);
    await stopped;
    const atReturn = fromA;
    await bus.idle();
    assert.equal(acceptedAfterStop, 0, `no send of a accepted after the stop returned (${atReturn} before)`);
    assert.equal(fromA, atReturn);
    assert.equal(atReturn % BURST, 0, 'whole outboxes only: the paced one was started to its end, as an unpaced one is');
    const lettered = new Set((await log.deadLetters(100)).map((l) => l.delivery.id));
    const both = [...log.completedIds].filter((id) => lettered.has(id));
    assert.deepEqual(both, [], 'no delivery both completed and dead-lettered');
    const goes = new Set(
      port.items.filter((i) => i.agent === 'a' && i.kind === 'delivery').map((i) => (i as { delivery: { id: string } }).delivery.id),
    );
    assert.equal(goes.size + lettered.size >= 3, true, 'every command handled or dead-lettered');
  } finally {
    await node.close();
    await dir.remove();
  }
});
