/**
 * `caxton upgrade --strategy` against a real `caxton serve` (decision 1871), as issue 28 asks: a
 * new version that crashes on one message in five (the poison agent: an echo that traps on
 * "poison") is rolled out blue-green, and the node rolls it back by itself once it has seen five
 * of its handlings; every message is answered — the one it crashed on by the running version — so
 * none is lost. `caxton agents` shows the rollout in the table and as JSON.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { caxton, show } from './support/cli.js';
import { builtExample } from './support/paths.js';
import { stopStragglers } from './support/processes.js';
import { startServe, type Serve } from './support/serve.js';

describe('caxton upgrade --strategy', () => {
  let serve: Serve;

  before(async () => {
    serve = await startServe();
    const r = await caxton(['deploy', builtExample('as-echo', 'as-echo.wasm'), '--name', 'svc', ...serve.conn]);
    assert.equal(r.code, 0, show(r));
  });
  after(async () => {
    await stopStragglers();
    if (serve?.proc.running) await serve.stop();
  });

  it('rolls back a new version that crashes on one message in five, and loses none', async () => {
    const up = await caxton([
      'upgrade',
      'svc',
      builtExample('hostile/as-poison', 'hostile-as-poison.wasm'),
      '--strategy',
      'blue-green',
      '--bake',
      '2m',
      '-q',
      ...serve.conn,
    ]);
    assert.equal(up.code, 0, show(up));
    assert.match(up.stdout, /^rolling out svc: version 2 beside version 1, blue-green, baking version 2 /m);

    const table = await caxton(['agents', ...serve.conn]);
    assert.match(table.stdout, /^svc\s+running\s+\S+\s+1\s+blue-green baking v2\s/m, show(table));

    // Five conversations at once (each new, so each to the new version): one of them is poison.
    const contents = ['one', 'two', 'poison three', 'four', 'five'];
    const sent = await Promise.all(
      contents.map((content) => caxton(['send', 'svc', 'request', content, '--wait', '--timeout', '15', ...serve.conn])),
    );
    sent.forEach((r, i) => {
      assert.equal(r.code, 0, show(r));
      assert.match(
        r.stdout,
        new RegExp(`inform\\s+svc@\\S+ -> operator@\\S+.*"${contents[i]}"$`, 'm'),
        'answered, also the one the new version crashed on',
      );
    });

    type Shown = { version: number; rollout: { phase: string; counts: { handled: number; crashes: number }; reason: string } };
    const shown = async (): Promise<{ agent: Shown; text: string }> => {
      const got = await caxton(['agents', 'svc', '--json', ...serve.conn]);
      assert.equal(got.code, 0, show(got));
      return { agent: JSON.parse(got.stdout) as Shown, text: got.stdout };
    };
    // A message that came while the new instance waited out its restart after the crash went to
    // the running version (not counted): a few more conversations, one at a time, reach 5 handlings.
    for (let extra = 1; extra <= 5 && (await shown()).agent.rollout.phase === 'baking'; extra++) {
      const r = await caxton(['send', 'svc', 'request', `extra ${extra}`, '--wait', '--timeout', '15', ...serve.conn]);
      assert.equal(r.code, 0, show(r));
    }
    const { agent, text } = await shown();
    assert.equal(agent.version, 1, 'the running version stays');
    assert.ok(agent.rollout.phase === 'rolling-back' || agent.rollout.phase === 'rolled-back', text);
    assert.deepEqual(
      [agent.rollout.counts.handled, agent.rollout.counts.crashes],
      [5, 1],
      'judged at 5 handlings (minSamples), one of them the crash',
    );
    assert.match(agent.rollout.reason, /crash rate 1\/5 above 1%/);

    const dlq = await caxton(['dlq', 'list', '--agent', 'svc', '--json', ...serve.conn]);
    assert.equal(dlq.code, 0, show(dlq));
    assert.deepEqual(JSON.parse(dlq.stdout), [], 'nothing dead-lettered');
  });

  it('refuses a threshold without a strategy before sending anything', async () => {
    const r = await caxton(['upgrade', 'svc', builtExample('as-echo', 'as-echo.wasm'), '--bake', '10m', ...serve.conn]);
    assert.equal(r.code, 2, show(r));
    assert.match(r.stderr, /apply only with --strategy/);
  });
});
