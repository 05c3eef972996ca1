/**
 * `caxton upgrade --replay` (issue 57) against a real `caxton serve`: the durable counter handles
 * real traffic; a new version with one changed constant — it traps when its count reaches 7 — is
 * refused by its replay (typed error, exit 6, the counts and the first refusing handling) and the
 * recorded version keeps running and counting; a version that counts by 2 writes other state in
 * every handling and is refused, also with only `--accept-diff sends`, then accepted with
 * `--accept-diff sends,state` and replaces the running one.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { caxton, show } from './support/cli.js';
import { builtExample } from './support/paths.js';
import { copyExample, editFile } from './support/project.js';
import { stopStragglers } from './support/processes.js';
import { startServe, tempDir, type Serve } from './support/serve.js';
import { until } from './support/wait.js';

const COUNTED = 12;

describe('caxton upgrade --replay against a real caxton serve', () => {
  let serve: Serve;
  let work: string;
  let trapping: string;
  let doubling: string;

  before(async () => {
    work = await tempDir('caxton-upgrade-replay-');
    // Two versions with one constant changed each, built as a user builds them.
    const trap = await copyExample('as-state-counter', work, 'counter-trap');
    await editFile(path.join(trap, 'assembly', 'index.ts'), (s) =>
      s.replace(
        'const next = State.getI64(COUNT) + this.step;',
        'const next = State.getI64(COUNT) + this.step;\n      if (next == 7) unreachable();',
      ),
    );
    const double = await copyExample('as-state-counter', work, 'counter-double');
    await editFile(path.join(double, 'assembly', 'index.ts'), (s) => s.replace('step: i64 = 1;', 'step: i64 = 2;'));
    for (const dir of [trap, double]) {
      const r = await caxton(['build', dir], { cwd: work });
      assert.equal(r.code, 0, show(r));
    }
    // Each project's build output keeps the example's package name.
    trapping = path.join(trap, 'build', 'as-state-counter.wasm');
    doubling = path.join(double, 'build', 'as-state-counter.wasm');
    serve = await startServe();
    const client = await serve.client();
    await client.deploy({ name: 'counter' }, readFileSync(builtExample('as-state-counter', 'as-state-counter.wasm')));
    for (let i = 0; i < COUNTED; i++)
      await client.send({
        structured: { performative: 'request', receivers: [{ name: 'counter' }], content: '+1', conversationId: `c-${i}` },
      });
    await until(
      async () => (await client.getState('counter', 'count').catch(() => undefined))?.value === String(COUNTED),
      'the counter counted',
      60_000,
      100,
    );
  });
  after(async () => {
    await stopStragglers();
    if (serve?.proc.running) await serve.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('a version that traps on one recorded message is refused, and the running version keeps counting', async () => {
    const r = await caxton(['upgrade', 'counter', trapping, '--replay', '1000', '--json', ...serve.conn]);
    assert.equal(r.code, 6, show(r));
    assert.match(r.stderr, /refused by its replay: of 12 recorded handlings, 1 crashed/);
    assert.match(r.stderr, /first: #7 request/);
    assert.match(r.stderr, /version 1 keeps running/);
    const client = await serve.client();
    const agent = (await client.listAgents()).find((a) => a.name === 'counter')!;
    assert.equal(agent.version, 1);
    await client.send({ structured: { performative: 'request', receivers: [{ name: 'counter' }], content: '+1' } });
    await until(
      async () => (await client.getState('counter', 'count'))?.value === String(COUNTED + 1),
      'the old version counted on',
      30_000,
      100,
    );
  });

  it('differences refuse unless accepted; the last handlings only, or a window of time', async () => {
    const refused = await caxton(['upgrade', 'counter', doubling, '--replay', '5', ...serve.conn]);
    assert.equal(refused.code, 6, show(refused));
    // Its replies go to the API caller, which the log does not hold: only its writes are compared.
    assert.match(refused.stderr, /of 5 recorded handlings, 0 crashed, 0 sent otherwise, 5 wrote other state/);
    const window = await caxton(['upgrade', 'counter', doubling, '--replay', '1h', '--accept-diff', 'sends', ...serve.conn]);
    assert.equal(window.code, 6, show(window));
    assert.match(window.stderr, /of 13 recorded handlings/);
    const accepted = await caxton([
      'upgrade',
      'counter',
      doubling,
      '--replay',
      '1h',
      '--accept-diff',
      'sends,state',
      '--json',
      ...serve.conn,
    ]);
    assert.equal(accepted.code, 0, show(accepted));
    assert.equal((JSON.parse(accepted.stdout) as { agent: { version: number } }).agent.version, 2);
    // Audited as the upgrade it is, with the span replayed and what was let through.
    const audit = await caxton(['audit', '--json', ...serve.conn]);
    assert.equal(audit.code, 0, show(audit));
    const intents = audit.stdout
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { kind?: string; method: string; args: { fields: Record<string, string> } })
      .filter((r) => r.kind === 'intent' && r.method === 'UpgradeAgent');
    assert.deepEqual(
      intents.map((r) => [r.args.fields['replay'], r.args.fields['acceptDiff']]),
      [
        ['1000 handlings', 'none'],
        ['5 handlings', 'none'],
        ['3600000 ms', 'sends'],
        ['3600000 ms', 'sends,state'],
      ],
    );
  });

  it('bad --replay values are refused before anything is uploaded', async () => {
    const bad = await caxton(['upgrade', 'counter', doubling, '--replay', 'soon', ...serve.conn]);
    assert.equal(bad.code, 2, show(bad));
    const tooMany = await caxton(['upgrade', 'counter', doubling, '--replay', '99999999', ...serve.conn]);
    assert.notEqual(tooMany.code, 0, show(tooMany));
    assert.match(tooMany.stderr, /replay/);
    const stray = await caxton(['upgrade', 'counter', doubling, '--accept-diff', 'sends', ...serve.conn]);
    assert.equal(stray.code, 2, show(stray));
  });
});
