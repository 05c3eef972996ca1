/**
 * `caxton test --from-log` (issue 57, "Scenarios from real traffic") beside a real `caxton serve`:
 * a durable counter handles a conversation of requests and a query from the operator, and then
 * another conversation. The first becomes a scenario read from the running node's data directory
 * (nothing stopped), written into a copy of the counter's project, and `caxton test` runs it and
 * passes — the same replies and state as recorded; the same file with one expected reply edited
 * fails. The second conversation began on the first one's count, which a scenario (empty state)
 * cannot start from: refused, as is a conversation the log does not hold.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { caxton, show } from './support/cli.js';
import { builtExample } from './support/paths.js';
import { copyExample } from './support/project.js';
import { stopStragglers } from './support/processes.js';
import { startServe, tempDir, type Serve } from './support/serve.js';
import { until } from './support/wait.js';

describe('caxton test --from-log beside a real caxton serve', () => {
  let serve: Serve | undefined;
  let work: string | undefined;

  before(async () => {
    serve = await startServe();
    const client = await serve.client();
    await client.deploy({ name: 'counter' }, readFileSync(builtExample('as-state-counter', 'as-state-counter.wasm')));
    const send = (performative: 'request' | 'query-ref', content: string, conversationId: string) =>
      client.send({ structured: { performative, receivers: [{ name: 'counter' }], content, conversationId } });
    // One at a time, each handled before the next: the conversation's order is the log's.
    const handled = async (n: number): Promise<void> => {
      await until(
        async () => ((await client.listAgents()).find((a) => a.name === 'counter')?.messagesHandled ?? 0) >= n,
        `${n} messages handled`,
        30_000,
        50,
      );
    };
    for (const [i, [performative, content]] of (
      [
        ['request', '+1'],
        ['request', '+1'],
        ['request', '+1'],
        ['query-ref', 'count'],
      ] as const
    ).entries()) {
      await send(performative, content, 'tally');
      await handled(i + 1);
    }
    await send('request', '+1', 'later');
    await handled(5);
    // A handling counts as handled before its commit is durable; the state shows the last commit,
    // and an agent's commits are durable in order: then the log holds every one of them.
    await until(
      async () => (await client.getState('counter', 'count').catch(() => undefined))?.value === '4',
      'the last commit durable',
      30_000,
      50,
    );
  });
  after(async () => {
    await stopStragglers();
    if (serve?.proc.running) await serve.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('writes a scenario of a real conversation that passes against the project, and fails once a reply is edited', async () => {
    work = await tempDir('caxton-from-log-e2e-');
    const dir = await copyExample('as-state-counter', work, 'counter');
    const file = path.join(dir, 'scenarios', 'from-log.json');
    const wrote = await caxton(['test', '--from-log', 'tally', '--agent', 'counter', '--data-dir', serve!.dataDir, '--out', file], {
      cwd: work,
    });
    assert.equal(wrote.code, 0, show(wrote));
    assert.match(
      wrote.stdout,
      /^wrote counter\/scenarios\/from-log\.json: 4 steps \(4 expected replies, 1 state key\) from 4 handlings of conversation tally of counter \(version 1\)$/m,
    );
    const text = await readFile(file, 'utf8');
    assert.deepEqual(
      (JSON.parse(text) as { steps: unknown[] }).steps,
      [
        { send: { performative: 'request', content: '+1' }, expect: { performative: 'inform', content: '1' } },
        { send: { performative: 'request', content: '+1' }, expect: { performative: 'inform', content: '2' } },
        { send: { performative: 'request', content: '+1' }, expect: { performative: 'inform', content: '3' } },
        { send: { performative: 'query-ref', content: 'count' }, expect: { performative: 'inform', content: '3' } },
      ],
      text,
    );
    assert.match(text, /"expect": \{ "state": \{ "count": "3" \} \}/);
    const again = await caxton(['test', '--from-log', 'tally', '--agent', 'counter', '--data-dir', serve!.dataDir, '--out', file]);
    assert.equal(again.code, 2, show(again));
    assert.match(again.stderr, /from-log\.json exists\n {2}hint: give --force/);

    const good = await caxton(['test', dir, '--scenario', file, '--timeout', '20'], { cwd: work, timeoutMs: 90_000 });
    assert.equal(good.code, 0, show(good));
    assert.match(good.stdout, /^1\.\.5$/m, 'four steps and the state');
    assert.match(good.stdout, /^# pass 5\n# fail 0$/m, good.stdout);

    const wrong = path.join(work, 'wrong.json');
    await writeFile(wrong, text.replace('"content": "2" }', '"content": "20" }'));
    const bad = await caxton(['test', dir, '--scenario', wrong, '--timeout', '20'], { cwd: work, timeoutMs: 90_000 });
    assert.equal(bad.code, 1, show(bad));
    assert.match(
      bad.stdout,
      /^not ok 2 - wrong\.json \(.*\): step 2: request "\+1"\n {2}---\n {2}problems:\n {4}- "content: expected \\"20\\", got \\"2\\""$/m,
      bad.stdout,
    );
    assert.match(bad.stdout, /^# pass 4\n# fail 1$/m, bad.stdout);
  });

  it('refuses a conversation that began on state, and one the log does not hold', async () => {
    const out = path.join(work ?? (await tempDir('caxton-from-log-e2e-')), 'never.json');
    const later = await caxton(['test', '--from-log', 'later', '--agent', 'counter', '--data-dir', serve!.dataDir, '--out', out]);
    assert.equal(later.code, 2, show(later));
    assert.match(
      later.stderr,
      /counter had state when conversation later began \(1 key, e\.g\. "count"\): a scenario starts the agent with empty state/,
    );
    const missing = await caxton(['test', '--from-log', 'nope', '--agent', 'counter', '--data-dir', serve!.dataDir, '--out', out]);
    assert.equal(missing.code, 2, show(missing));
    assert.match(
      missing.stderr,
      /conversation nope is not in the log of counter\n {2}hint: conversations of counter in the log, most recent last: tally, later/,
    );
  });
});
