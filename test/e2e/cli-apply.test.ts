/**
 * `caxton apply -f`, `diff -f` and `delete -f` (decision 2169), each a separate `caxton` process
 * against a real `caxton serve`, with real components: diff changes nothing; apply deploys; applied
 * again it changes nothing, and its steps are audited as one change set (each record carries the id
 * it printed); a changed count and config apply as a scale and an upgrade; a changed
 * component with a rollout strategy rolls out, and a scaled agent's is upgraded in place; a file with
 * mistakes is refused whole (each with its line and field) and nothing changes; --prune stops what
 * the file no longer names; delete stops what it names.
 */
import assert from 'node:assert/strict';
import { copyFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { caxton, show } from './support/cli.js';
import { builtExample } from './support/paths.js';
import { stopStragglers } from './support/processes.js';
import { startServe, tempDir, type Serve } from './support/serve.js';

interface AgentJson {
  name: string;
  version: number;
  config: Record<string, string>;
  replicas?: { replicas: number };
}

describe('caxton apply, diff and delete against a real caxton serve', () => {
  let serve: Serve;
  let dir: string;
  const file = (): string => path.join(dir, 'app.yaml');
  const app = (agents: string): Promise<void> => writeFile(file(), `apiVersion: caxton/v1\nagents:\n${agents}`);
  const run = (args: string[]) => caxton([...args, ...serve.conn], { cwd: dir });
  const agents = async (): Promise<Map<string, AgentJson>> => {
    const r = await run(['agents', '--json']);
    assert.equal(r.code, 0, show(r));
    return new Map((JSON.parse(r.stdout) as AgentJson[]).map((a) => [a.name, a]));
  };
  const detail = async (name: string): Promise<AgentJson> => {
    const r = await run(['agents', name, '--json']);
    assert.equal(r.code, 0, show(r));
    return JSON.parse(r.stdout) as AgentJson;
  };

  before(async () => {
    serve = await startServe();
    dir = await tempDir('caxton-apply-');
    // Sources are relative to the file: the components sit beside it.
    await copyFile(builtExample('as-echo', 'as-echo.wasm'), path.join(dir, 'echo.wasm'));
    await copyFile(builtExample('as-worker', 'as-worker.wasm'), path.join(dir, 'worker.wasm'));
  });
  after(async () => {
    await stopStragglers();
    if (serve.proc.running) await serve.stop();
  });

  it('diff changes nothing; apply deploys; applied again nothing changes', async () => {
    await app(
      '  - name: echo\n    source: echo.wasm\n    config: { greeting: hi }\n  - name: worker\n    source: worker.wasm\n    replicas: 2\n',
    );
    const diff = await run(['diff', '-f', 'app.yaml']);
    assert.equal(diff.code, 0, show(diff));
    assert.match(diff.stdout, /^\+ deploy echo$/m);
    assert.match(diff.stdout, /^\+ deploy worker$/m);
    assert.match(diff.stdout, /^\^ scale worker 1 -> 2$/m);
    assert.match(diff.stdout, /^3 changes$/m);
    assert.equal((await agents()).size, 0, 'diff deployed nothing');

    const applied = await run(['apply', '-f', 'app.yaml']);
    assert.equal(applied.code, 0, show(applied));
    assert.match(applied.stdout, /^applied: 3 changes$/m);
    // Audited as one change set: each step's records carry the id the apply printed, and nothing else does.
    const changeSet = /^audited as change set (\S+)$/m.exec(applied.stdout)?.[1];
    assert.ok(changeSet !== undefined, show(applied));
    const audit = await run(['audit', '--json']);
    assert.equal(audit.code, 0, show(audit));
    const trail = audit.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind?: string; method: string; changeSet?: string; args?: { fields: Record<string, string> } });
    const inSet = trail.filter((r) => r.changeSet === changeSet);
    assert.deepEqual(
      inSet.filter((r) => r.kind === 'intent').map((r) => `${r.method} ${r.args?.fields.agent}`),
      ['DeployAgent echo', 'DeployAgent worker', 'ScaleAgent worker'],
    );
    assert.equal(inSet.filter((r) => r.kind === 'outcome').length, 3, 'each step ended in the set too');
    assert.ok(
      trail.filter((r) => r.kind === 'intent' && r.changeSet === undefined).every((r) => !['DeployAgent', 'ScaleAgent'].includes(r.method)),
      'no step outside it',
    );
    assert.deepEqual((await detail('echo')).config, { greeting: 'hi' });
    assert.equal((await detail('worker')).replicas?.replicas, 2);

    const again = await run(['apply', '-f', 'app.yaml', '--json']);
    assert.equal(again.code, 0, show(again));
    const out = JSON.parse(again.stdout) as { applied: number; steps: { status: string }[] };
    assert.equal(out.applied, 0, show(again));
    assert.deepEqual(
      out.steps.map((s) => s.status),
      ['unchanged', 'unchanged'],
    );
  });

  it('a changed count and config apply as a scale and an upgrade', async () => {
    const before = await detail('worker');
    await app(
      '  - name: echo\n    source: echo.wasm\n    config: { greeting: hello }\n  - name: worker\n    source: worker.wasm\n    replicas: 3\n',
    );
    const applied = await run(['apply', '-f', 'app.yaml']);
    assert.equal(applied.code, 0, show(applied));
    assert.match(applied.stdout, /^done\s+~ upgrade echo \(config\)$/m);
    assert.match(applied.stdout, /^done\s+\^ scale worker 2 -> 3$/m);
    const echo = await detail('echo');
    assert.deepEqual(echo.config, { greeting: 'hello' });
    assert.equal(echo.version, 2);
    const worker = await detail('worker');
    assert.equal(worker.replicas?.replicas, 3);
    assert.equal(worker.version, before.version, 'a scale is no upgrade');
  });

  it('a changed component rolls out when the file asks, and a scaled one is upgraded in place; applied again, nothing changes', async () => {
    const worker = await detail('worker');
    await app(
      '  - name: echo\n    source: worker.wasm\n    config: { greeting: hello }\n    rollout: { strategy: canary:50, bake: 10m }\n' +
        '  - name: worker\n    source: echo.wasm\n    replicas: 3\n',
    );
    const applied = await run(['apply', '-f', 'app.yaml']);
    assert.equal(applied.code, 0, show(applied));
    assert.match(applied.stdout, /^done\s+~ upgrade echo \(component\) as a rollout$/m);
    assert.match(applied.stdout, /^done\s+~ upgrade worker \(component\)$/m);
    const echo = (await detail('echo')) as AgentJson & { rollout?: { candidateVersion: number } };
    assert.deepEqual([echo.version, echo.rollout?.candidateVersion], [2, 3], 'version 3 rolls out beside version 2');
    const upgraded = await detail('worker');
    assert.deepEqual(
      [upgraded.version, upgraded.replicas?.replicas],
      [worker.version + 1, 3],
      'upgraded in place, still three (decision 2176)',
    );
    const again = await run(['apply', '-f', 'app.yaml', '--json']);
    assert.equal(again.code, 0, show(again));
    assert.deepEqual(
      (JSON.parse(again.stdout) as { steps: { status: string }[] }).steps.map((s) => s.status),
      ['unchanged', 'unchanged'],
      'the rollout in progress is of this component: nothing to do',
    );
    const aborted = await run(['rollback', 'echo']);
    assert.equal(aborted.code, 0, show(aborted));
  });

  it('refuses a file with mistakes whole, each with its line and field, and changes nothing', async () => {
    await app(
      '  - name: echo\n    source: echo.wasm\n    colour: blue\n  - name: worker\n    source: worker.wasm\n    replicas: -1\n  - name: extra\n    source: missing.wasm\n',
    );
    const refused = await run(['apply', '-f', 'app.yaml']);
    assert.equal(refused.code, 2, show(refused));
    assert.match(refused.stderr, /app\.yaml:5:5 agents\[0\]\.colour: unknown field/);
    assert.match(refused.stderr, /app\.yaml:8:15 agents\[1\]\.replicas: /);
    assert.match(refused.stderr, /nothing was applied/);
    const now = await agents();
    assert.deepEqual([...now.keys()].sort(), ['echo', 'worker'], 'nothing deployed');
    assert.equal((await detail('echo')).version, 2, 'nothing upgraded');
    // A source that cannot be read refuses the file too, before anything is sent.
    await app('  - name: extra\n    source: missing.wasm\n');
    const missing = await run(['apply', '-f', 'app.yaml']);
    assert.equal(missing.code, 2, show(missing));
    assert.match(missing.stderr, /app\.yaml:3:1 agents\[0\]\.source: missing\.wasm does not exist/);
    assert.equal((await agents()).has('extra'), false);
  });

  it('--prune stops what the file no longer names; delete stops what it names', async () => {
    await app('  - name: worker\n    source: worker.wasm\n    replicas: 3\n');
    const plain = await run(['apply', '-f', 'app.yaml']);
    assert.equal(plain.code, 0, show(plain));
    assert.ok((await agents()).has('echo'), 'without --prune echo stays');
    const pruned = await run(['apply', '-f', 'app.yaml', '--prune']);
    assert.equal(pruned.code, 0, show(pruned));
    assert.match(pruned.stdout, /^done\s+- stop echo \(not in the file; --prune\)$/m);
    assert.deepEqual([...(await agents()).keys()], ['worker']);
    const deleted = await run(['delete', '-f', 'app.yaml']);
    assert.equal(deleted.code, 0, show(deleted));
    assert.equal((await agents()).size, 0);
  });
});
