/**
 * `caxton test` (decision 1930) as an author runs it: an AssemblyScript state counter copied
 * outside the checkout, with scenario files written beside it. A correct scenario passes (exit 0,
 * TAP `ok` lines), each scenario starts from a fresh deployment (empty state), and a wrong one
 * fails (exit 1) with a `not ok` line saying what was expected and what came back.
 */
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { caxton, show } from './support/cli.js';
import { copyExample } from './support/project.js';
import { stopStragglers } from './support/processes.js';
import { tempDir } from './support/serve.js';

const step = (performative: string, content: string, expect: Record<string, string>) => ({ send: { performative, content }, expect });

describe('caxton test: scenario files', () => {
  let work: string | undefined;
  after(async () => {
    await stopStragglers();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('passes correct scenarios, each on a fresh agent, and fails a wrong one with what differed', async () => {
    work = await tempDir('caxton-test-e2e-');
    const dir = await copyExample('as-state-counter', work, 'counter');
    await mkdir(path.join(dir, 'scenarios'));
    await writeFile(
      path.join(dir, 'scenarios', 'counts.json'),
      JSON.stringify({
        description: 'counts requests',
        steps: [
          step('request', 'tick', { performative: 'inform', content: '1' }),
          step('request', 'tick', { content: '2' }),
          step('query-ref', 'count', { performative: 'inform', contentIncludes: '2' }),
        ],
      }),
    );
    await writeFile(path.join(dir, 'scenarios', 'fresh.json'), JSON.stringify({ steps: [step('request', 'tick', { content: '1' })] }));
    const wrong = path.join(work, 'wrong.json');
    await writeFile(
      wrong,
      JSON.stringify({
        steps: [step('request', 'tick', { content: '1' }), step('request', 'tick', { performative: 'inform', content: '5' })],
      }),
    );

    const good = await caxton(['test', dir, '--timeout', '20'], { cwd: work, timeoutMs: 90_000 });
    assert.equal(good.code, 0, show(good));
    const lines = good.stdout.trim().split('\n');
    assert.deepEqual(lines.slice(0, 2), ['TAP version 13', '1..4']);
    assert.equal(lines.filter((l) => l.startsWith('ok ')).length, 4, good.stdout);
    assert.match(
      good.stdout,
      /^ok 4 - counter\/scenarios\/fresh\.json: step 1: request "tick"$/m,
      'the second scenario counts from 1 again',
    );
    assert.match(good.stdout, /^# pass 4\n# fail 0$/m);

    const bad = await caxton(['test', dir, '--scenario', wrong, '--timeout', '20'], { cwd: work, timeoutMs: 90_000 });
    assert.equal(bad.code, 1, show(bad));
    assert.match(bad.stdout, /^ok 1 - /m);
    assert.match(
      bad.stdout,
      /^not ok 2 - wrong\.json: step 2: request "tick"\n {2}---\n {2}problems:\n {4}- "content: expected \\"5\\", got \\"2\\""$/m,
      bad.stdout,
    );
    assert.match(
      bad.stdout,
      /^ {2}at: "wrong\.json:1"\n {2}expected: \[\{"performative":"inform","content":"5"\}\]\n {2}actual: \[\{"performative":"inform","content":"2"\}\]$/m,
    );
    assert.match(bad.stdout, /^# pass 1\n# fail 1$/m);

    const invalid = path.join(work, 'invalid.json');
    await writeFile(invalid, JSON.stringify({ steps: [{ send: { performative: 'shout', content: 'x' }, expect: { content: 'y' } }] }));
    const refused = await caxton(['test', dir, '--scenario', invalid], { cwd: work });
    assert.equal(refused.code, 2, show(refused));
    assert.match(refused.stderr, /invalid\.json:1: step 1 send\.performative is not a FIPA performative: "shout"/);
    assert.equal(refused.stdout, '', 'nothing run for a bad scenario file');
  });
});
