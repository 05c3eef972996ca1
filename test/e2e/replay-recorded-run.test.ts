/**
 * Replay's acceptance on the embedded log (issue 57): a real `caxton serve` records a run of 10,000
 * deliveries — a durable counter, a counter of timers, the contract net and an agent calling a real
 * loopback HTTP service (test/support/recorded-run.ts) — and `caxton replay` runs each agent's
 * recorded version on every handling its log holds with nothing differing. The same run on a
 * cluster's Kafka topics: test/cluster/replay-recorded-run.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { caxton, show } from './support/cli.js';
import { stopStragglers } from './support/processes.js';
import { startServe, type Serve } from './support/serve.js';
import { until } from './support/wait.js';
import {
  TEN_THOUSAND_DELIVERIES as RUN,
  agentsOf,
  deliveriesOf,
  deployRun,
  parseReplay,
  runDone,
  sendRun,
  shoutService,
} from '../support/recorded-run.js';

describe(`a recorded run of ${deliveriesOf(RUN).toLocaleString('en')} deliveries on the embedded log replays with nothing differing`, () => {
  let serve: Serve;
  let service: Awaited<ReturnType<typeof shoutService>>;

  before(async () => {
    service = await shoutService();
    serve = await startServe();
    const client = await serve.client();
    await deployRun(client, service.port);
    await sendRun(client, RUN);
    let seen = '';
    await until(
      async () => {
        const r = await runDone([client], RUN);
        seen = r.seen;
        return r.done || undefined;
      },
      'the whole run handled',
      240_000,
      250,
    ).catch((e: unknown) => {
      throw new Error(`${(e as Error).message} (last seen: ${seen})`);
    });
  });
  after(async () => {
    await stopStragglers();
    if (serve?.proc.running) await serve.stop();
    await service?.close();
  });

  it('each agent replays every handling its log recorded, none differing', { timeout: 300_000 }, async (t) => {
    let replayed = 0;
    for (const agent of agentsOf(RUN)) {
      const r = await caxton(['replay', agent.name, '--data-dir', serve.dataDir, '--json']);
      const { summary, differing } = parseReplay(r.stdout);
      assert.ok(summary, show(r));
      assert.equal(summary.diverged, 0, `${agent.name}: ${JSON.stringify(differing.slice(0, 3))}\n${show(r).slice(-3000)}`);
      assert.equal(summary.crashed, 0, agent.name);
      assert.equal(summary.unreplayable, 0, agent.name);
      assert.equal(r.code, 0, show(r).slice(-3000));
      assert.ok(summary.replayed >= agent.handlings, `${agent.name}: ${summary.replayed} of at least ${agent.handlings}`);
      replayed += summary.replayed;
      t.diagnostic(`${agent.name}: ${summary.replayed} handlings replayed, 0 differ`);
    }
    // Every delivery's handling (the ticker's firings are handlings too): the whole run was replayed.
    assert.ok(replayed >= deliveriesOf(RUN), `${replayed} handlings replayed of ${deliveriesOf(RUN)} deliveries`);
  });
});
