/**
 * Durable agent state end to end (decision 1600), through a real `caxton serve` and the CLI: the
 * state counters (examples/as-state-counter, js-state-counter) keep their count in
 * caxton:agent/state, so N requests get the replies 1..N, and after the node is stopped and
 * started again on the same data directory the count continues from N.
 *
 * Needs the whole feature (sandbox state imports, the bus committing state with completions, the
 * embedded log keeping it): before that, deploying a component that imports caxton:agent/state
 * is refused and this test fails at the deploy step.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { caxton, show } from './support/cli.js';
import { builtExample } from './support/paths.js';
import { stopStragglers } from './support/processes.js';
import { startServe, type Serve } from './support/serve.js';

const N = 5;

/** Sends one request and returns the content of the inform it got (the conversation's reply). */
async function count(serve: Serve, agent: string, i: number): Promise<string> {
  const r = await caxton(['send', agent, 'request', `tick ${i}`, '--wait', '--json', '--timeout', '20', ...serve.conn]);
  assert.equal(r.code, 0, show(r));
  const replies = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { message?: { performative: string; content: string } })
    .filter((l) => l.message !== undefined);
  assert.equal(replies.length, 1, r.stdout);
  assert.equal(replies[0]!.message!.performative, 'inform', r.stdout);
  return replies[0]!.message!.content;
}

for (const [example, file] of [
  ['as-state-counter', 'as-state-counter.wasm'],
  ['js-state-counter', 'js-state-counter.wasm'],
] as const) {
  describe(`${example}: a count in durable state`, () => {
    let serve: Serve | undefined;
    after(async () => {
      await stopStragglers();
      if (serve?.proc.running) await serve.stop();
    });

    it(`answers requests 1..${N}, and continues from ${N} after the node restarts`, async () => {
      serve = await startServe();
      const deployed = await caxton(['deploy', builtExample(example, file), '--name', 'counter', ...serve.conn]);
      assert.equal(deployed.code, 0, show(deployed));
      const replies: string[] = [];
      for (let i = 1; i <= N; i++) replies.push(await count(serve, 'counter', i));
      assert.deepEqual(
        replies,
        Array.from({ length: N }, (_, i) => String(i + 1)),
      );

      const dataDir = serve.dataDir;
      const stopped = await serve.stop({ keepData: true });
      assert.equal(stopped.code, 0, show(stopped));
      serve = await startServe({ dataDir });
      assert.equal(await count(serve, 'counter', N + 1), String(N + 1));
    });
  });
}
