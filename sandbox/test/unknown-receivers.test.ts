/**
 * Receivers the bus refused as unknown are refused on the agent's shard until the routing epoch
 * moves (decision 2123): the memo alone (pure), then the lift-bomb agent's send flood to `b@p` in
 * a sandbox on both binding paths — told `b@p` is unknown, its first send of a call still goes to
 * the bus (which answers it with the `failure` a routing failure gets) and its second is refused
 * with a typed error; once the epoch moves (something deployed), the flood's sends are taken again.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Engine } from '../src/engine.js';
import type { WorkResult } from '../src/results.js';
import { Sandbox } from '../src/sandbox.js';
import { MAX_UNKNOWN_RECEIVERS, RoutingEpoch, UnknownReceivers } from '../src/host/unknown-receivers.js';
import { TEST_ENGINE_CACHE } from './fixtures/build.js';
import { ATTACKS, liftBombComponent, MEMORY_CAP_PAGES } from './fixtures/lift-bombs.js';
import { work } from './helpers.js';

const to = (...names: string[]): { name: string }[] => names.map((name) => ({ name }));

describe('UnknownReceivers', () => {
  it('refuses the second send of a call whose every receiver was refused in the current epoch, and none once the epoch moves', () => {
    const epoch = new RoutingEpoch();
    const memo = new UnknownReceivers(epoch);
    assert.equal(memo.refusing(to('b@p')), undefined, 'nothing noted: nothing refused');
    memo.note('b@p', epoch.current);
    memo.note('c', epoch.current);
    assert.equal(memo.refusing(to('b@p')), undefined, 'the first of the call goes to the bus');
    assert.deepEqual(memo.refusing(to('b@p')), to('b@p'));
    assert.equal(memo.refusing(to('b@p', 'c')), undefined, 'another receiver set: its first goes too');
    assert.deepEqual(memo.refusing(to('b@p', 'c')), to('b@p', 'c'));
    assert.equal(memo.refusing(to('b@p', 'echo')), undefined, 'a receiver the bus may take: the send goes to the bus');
    memo.begin();
    assert.equal(memo.refusing(to('b@p')), undefined, 'a new call: its first goes to the bus again');
    assert.deepEqual(memo.refusing(to('b@p')), to('b@p'));
    epoch.changed();
    assert.equal(memo.refusing(to('b@p')), undefined, 'a name may route now: the memo is void');
  });

  it('ignores a refusal routed in an epoch that has moved since (a deploy between the bus routing and the note)', () => {
    const epoch = new RoutingEpoch();
    const memo = new UnknownReceivers(epoch);
    const routedIn = epoch.current;
    epoch.changed();
    memo.note('b@p', routedIn);
    memo.refusing(to('b@p'));
    assert.equal(memo.refusing(to('b@p')), undefined);
  });

  it('shares its epoch across threads through the buffer (the shards read what the bus thread bumps)', () => {
    const bus = new RoutingEpoch();
    const shard = new RoutingEpoch(bus.buffer);
    const memo = new UnknownReceivers(shard);
    memo.note('b@p', bus.current);
    memo.refusing(to('b@p'));
    assert.ok(memo.refusing(to('b@p')));
    bus.changed();
    assert.equal(memo.refusing(to('b@p')), undefined);
  });

  it('keeps at most MAX_UNKNOWN_RECEIVERS names', () => {
    const epoch = new RoutingEpoch();
    const memo = new UnknownReceivers(epoch);
    for (let i = 0; i <= MAX_UNKNOWN_RECEIVERS; i++) memo.note(`n${i}`, epoch.current);
    const twice = (name: string): unknown => (memo.refusing(to(name)), memo.refusing(to(name)));
    assert.equal(twice('n0'), undefined, 'the oldest made room');
    assert.ok(twice(`n${MAX_UNKNOWN_RECEIVERS}`));
  });
});

let bytes: Uint8Array;
before(async () => {
  bytes = await liftBombComponent();
});

for (const binding of ['auto', 'jco'] as const) {
  describe(`a send flood to a receiver the bus refused, on the ${binding === 'auto' ? 'direct' : 'jco'} path`, () => {
    const reason = (r: WorkResult): string => (r.status === 'rejected' ? r.reason : `not rejected: ${r.status}`);

    it('is refused at its second send while the epoch holds, and sent again once it moves', async () => {
      const routing = new RoutingEpoch();
      const sandbox = new Sandbox({
        engine: new Engine({ cacheDir: TEST_ENGINE_CACHE, binding }),
        newId: () => 'id',
        clock: () => 1_700_000_000_000,
        routing,
      });
      const agent = `flood-${binding}@test`;
      await sandbox.deploy({ name: agent, artifact: bytes, limits: { memoryPages: MEMORY_CAP_PAGES, maxOutbox: 20 } });
      const first = sandbox.run(work(agent, ATTACKS.sendFlood));
      assert.equal(reason(first), 'outbox full: at most 20 messages per call');
      assert.equal(first.outbox.length, 20);

      sandbox.noteUnknownReceiver(agent, 'b@p', routing.current);
      const refused = sandbox.run(work(agent, ATTACKS.sendFlood));
      assert.equal(reason(refused), 'no agent named b@p', 'the agent saw the typed error at its second send and returned it');
      assert.equal(refused.outbox.length, 1, 'the first went out, for the bus to answer with a failure');
      assert.equal(sandbox.metrics(agent)?.refusals.invalidMessage, 1, 'counted as a send the bus would refuse');

      routing.changed();
      const again = sandbox.run(work(agent, ATTACKS.sendFlood));
      assert.equal(reason(again), 'outbox full: at most 20 messages per call');
      assert.equal(again.outbox.length, 20);
    });

    it('refuses nothing without a routing epoch (a sandbox the bus tells nothing)', async () => {
      const sandbox = new Sandbox({
        engine: new Engine({ cacheDir: TEST_ENGINE_CACHE, binding }),
        newId: () => 'id',
        clock: () => 1_700_000_000_000,
      });
      const agent = `plain-${binding}@test`;
      await sandbox.deploy({ name: agent, artifact: bytes, limits: { memoryPages: MEMORY_CAP_PAGES, maxOutbox: 20 } });
      sandbox.noteUnknownReceiver(agent, 'b@p', 0);
      assert.equal(sandbox.run(work(agent, ATTACKS.sendFlood)).outbox.length, 20);
    });
  });
}
