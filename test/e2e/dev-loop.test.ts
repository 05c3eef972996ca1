/**
 * `caxton dev` (decision 1930) as an author runs it: an AssemblyScript project copied outside the
 * checkout, the real `caxton dev --json` process on a node of its own, and `caxton send --wait` from
 * another "terminal". The agent keeps a count in durable state, so every reply shows both which
 * version answered and that the state survived the upgrades. A syntax error is reported with the
 * compiler's message while the running version keeps answering; the fix is deployed by the next save.
 */
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { caxton, show, spawnCaxton } from './support/cli.js';
import { copyExample, editFile } from './support/project.js';
import { stopStragglers, type Proc } from './support/processes.js';
import { tempDir } from './support/serve.js';
import { ROOT } from './support/paths.js';

interface DevEvent {
  event: string;
  [key: string]: unknown;
}

function events(proc: Proc): DevEvent[] {
  return proc.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as DevEvent);
}

/** Waits for the `n`th event named `name` (1-based) and returns it. */
async function nth(proc: Proc, name: string, n: number, timeoutMs = 30_000): Promise<DevEvent> {
  await proc.waitFor((p) => events(p).filter((e) => e.event === name).length >= n, `caxton dev: ${name} event #${n}`, timeoutMs);
  return events(proc).filter((e) => e.event === name)[n - 1]!;
}

describe('caxton dev: the edit-run loop', () => {
  let work: string | undefined;
  after(async () => {
    await stopStragglers();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('deploys, upgrades on each save keeping state, shows messages and logs, survives a build error, and stops its node on Ctrl-C (not one it attached to)', async () => {
    work = await tempDir('caxton-dev-e2e-');
    assert.ok(path.relative(ROOT, work).startsWith('..'), 'the project lives outside the checkout');
    const dir = await copyExample('as-state-counter', work, 'counter');
    const source = path.join(dir, 'assembly', 'index.ts');
    const dev = spawnCaxton(['dev', dir, '--name', 'counter', '--json', '--quiet-ms', '100'], { cwd: work, timeoutMs: 120_000 });

    const node = await nth(dev, 'node', 1);
    assert.equal(node.started, true);
    const conn = ['--addr', String(node.address), '--data-dir', String(node.dataDir)];
    // The first build is a cold AssemblyScript compile (Binaryen -O3): on a loaded 2-core CI
    // machine it alone can take most of the default 30 s wait.
    await nth(dev, 'deployed', 1, 60_000);

    const ask = async (): Promise<string> => {
      const r = await caxton(['send', 'counter', 'request', 'tick', '--wait', '--json', '--timeout', '20', ...conn]);
      assert.equal(r.code, 0, show(r));
      const replies = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { message?: { performative: string; content: string } })
        .filter((l) => l.message?.performative === 'inform');
      assert.equal(replies.length, 1, r.stdout);
      return replies[0]!.message!.content;
    };

    assert.equal(await ask(), '1');
    // The loop's own stream shows the conversation and the agent's log, each marked as such.
    await dev.waitFor(
      (p) => events(p).some((e) => e.event === 'message' && (e.message as { content?: string }).content === '1'),
      'the reply on the message stream',
    );
    await dev.waitFor(
      (p) => events(p).some((e) => e.event === 'log' && String(e.message).includes('resuming at count 0')),
      'the agent log line',
    );

    await editFile(source, (t) =>
      t.replace('reply(msg, Performative.Inform, next.toString());', 'reply(msg, Performative.Inform, "v2 " + next.toString());'),
    );
    const upgraded = await nth(dev, 'upgraded', 1);
    assert.equal(upgraded.previousVersion, 1);
    assert.equal(await ask(), 'v2 2', 'the new version answers, from the count the old one left');

    const good = await (await import('node:fs/promises')).readFile(source, 'utf8');
    const broken = good.replace('const next = State.getI64(COUNT) + this.step;', 'const next = State.getI64(COUNT) + ;');
    assert.notEqual(broken, good, "the example's source still has the line this test breaks");
    await writeFile(source, broken);
    const failed = await nth(dev, 'build-failed', 1);
    assert.equal(failed.code, 'build.compile-failed', JSON.stringify(failed));
    assert.match(String(failed.error), /index\.ts/, 'the compiler names the file');
    assert.match(String(failed.error), /ERROR|error/, 'the compiler message is shown');
    assert.ok(dev.running, 'a build error does not stop the loop');
    assert.equal(await ask(), 'v2 3', 'the running version keeps answering');

    await writeFile(source, good.replace('"v2 "', '"v3 "'));
    const second = await nth(dev, 'upgraded', 2);
    assert.equal(second.previousVersion, 2);
    assert.equal(await ask(), 'v3 4');
    assert.equal(events(dev).filter((e) => e.event === 'deployed').length, 1, 'deployed once, upgraded after');

    // A second loop attached to that node (it did not start it): its agent is deployed there, and
    // its Ctrl-C leaves the node and the agents running.
    const attached = spawnCaxton(['dev', dir, '--name', 'counter2', '--json', ...conn], { cwd: work, timeoutMs: 60_000 });
    assert.equal((await nth(attached, 'node', 1)).started, false);
    await nth(attached, 'deployed', 1);
    const left = await attached.stop();
    assert.equal(left.code, 0, show(left));
    assert.deepEqual(events(attached).at(-1), { event: 'stopped', nodeStopped: false });
    const still = await caxton(['agents', '--json', ...conn]);
    assert.equal(still.code, 0, show(still));
    assert.deepEqual((JSON.parse(still.stdout) as Array<{ name: string }>).map((a) => a.name).sort(), ['counter', 'counter2']);

    const stopped = await dev.stop();
    assert.equal(stopped.code, 0, show(stopped));
    assert.deepEqual(events(dev).at(-1), { event: 'stopped', nodeStopped: true });
    const gone = await caxton(['agents', ...conn, '--timeout', '3']);
    assert.equal(gone.code, 4, `the node dev started is gone: ${show(gone)}`);
  });
});
