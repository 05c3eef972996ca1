/**
 * A new user's first session, every step a separate `caxton` process against a real `caxton serve`:
 * build an AssemblyScript and a JavaScript agent from source, deploy them, watch `caxton tail`
 * (running in the background) show the replies to `caxton send`, inspect with agents/status/logs,
 * stop an agent, stop the node with Ctrl-C.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { caxton, show } from './support/cli.js';
import { stopStragglers } from './support/processes.js';
import { copyExample } from './support/project.js';
import { startServe, tempDir, type Serve } from './support/serve.js';
import { Tail } from './support/tail.js';
import { until } from './support/wait.js';

const COMPONENT_HEADER = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]);

async function sha256(file: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
}

interface AgentJson {
  name: string;
  state: string;
  version: number;
  artifactDigest: string;
  messagesHandled: number;
  mailboxDepth: number;
  nodeId: string;
}

describe('a new user with the caxton CLI and a real caxton serve', () => {
  let serve: Serve;
  let work: string;
  let tail: Tail | undefined;
  const digests: Record<string, string> = {};

  before(async () => {
    serve = await startServe();
    work = await tempDir('caxton-e2e-work-');
    await copyExample('as-echo', work);
    await copyExample('js-echo', work);
  });
  after(async () => {
    await stopStragglers();
    await rm(work, { recursive: true, force: true });
    if (serve.proc.running) await serve.stop();
  });

  it('builds an AssemblyScript project from source, then reuses the build', async () => {
    const r = await caxton(['build', 'as-echo'], { cwd: work });
    assert.equal(r.code, 0, show(r));
    const artifact = path.join(work, 'as-echo', 'build', 'as-echo.wasm');
    const bytes = await readFile(artifact);
    assert.deepEqual(bytes.subarray(0, 8), COMPONENT_HEADER, 'a component, not a core module');
    digests.asEcho = await sha256(artifact);
    assert.match(r.stdout, /^artifact\s+as-echo\/build\/as-echo\.wasm$/m);
    assert.match(r.stdout, new RegExp(`^sha256\\s+${digests.asEcho}$`, 'm'));
    assert.match(r.stdout, /^language\s+assemblyscript$/m);
    assert.doesNotMatch(r.stdout, /up to date/, 'the first build compiles');
    assert.match(await readFile(`${artifact}.sha256`, 'utf8'), new RegExp(`^${digests.asEcho}\\b`));
    assert.match(r.stderr, /^build: asc /m, 'build steps are reported on stderr');

    const again = await caxton(['build', 'as-echo'], { cwd: work });
    assert.equal(again.code, 0, show(again));
    assert.match(again.stdout, /^time\s+up to date \(reused\)$/m);
    assert.equal(await sha256(artifact), digests.asEcho);
  });

  it('builds a JavaScript project, with --json for scripts', async () => {
    const r = await caxton(['build', 'js-echo', '--json'], { cwd: work });
    assert.equal(r.code, 0, show(r));
    const built = JSON.parse(r.stdout) as { artifactPath: string; sha256: string; language: string; bytes: number; reused: boolean };
    assert.equal(built.language, 'javascript');
    assert.equal(built.reused, false);
    assert.equal(built.artifactPath, path.join(work, 'js-echo', 'build', 'js-echo.wasm'));
    assert.equal(built.sha256, await sha256(built.artifactPath));
    assert.equal(built.bytes, (await readFile(built.artifactPath)).length);
    digests.jsEcho = built.sha256;
  });

  it('deploys a project directory and a .wasm file', async () => {
    const dir = await caxton(['deploy', 'as-echo', '--name', 'echo', ...serve.conn], { cwd: work });
    assert.equal(dir.code, 0, show(dir));
    assert.match(dir.stdout, /^deployed echo from as-echo\/build\/as-echo\.wasm$/m);
    assert.match(dir.stdout, /^state\s+running$/m);
    assert.match(dir.stdout, new RegExp(`^artifact\\s+sha256:${digests.asEcho} `, 'm'));
    assert.match(dir.stderr, /as-echo\.wasm is up to date/, 'the project was built already, so deploy reuses it');

    const wasm = await caxton(['deploy', 'js-echo/build/js-echo.wasm', '--json', ...serve.conn], { cwd: work });
    assert.equal(wasm.code, 0, show(wasm));
    const agent = JSON.parse(wasm.stdout) as AgentJson;
    assert.equal(agent.name, 'js-echo', 'named after the file');
    assert.equal(agent.state, 'running');
    assert.equal(agent.artifactDigest, digests.jsEcho);
    assert.equal(agent.nodeId, serve.nodeId);

    const twice = await caxton(['deploy', 'as-echo/build/as-echo.wasm', '--name', 'echo', ...serve.conn], { cwd: work });
    assert.equal(twice.code, 6, show(twice));
    assert.match(
      twice.stderr,
      /^caxton: an agent named echo already exists\n {2}hint: upgrade it with `caxton upgrade`, or stop it first$/m,
    );
  });

  it('shows the replies to caxton send in a background caxton tail', async () => {
    tail = new Tail(serve, [], false);
    // Until the tail shows a probe's reply its subscription may not be live yet.
    await tail.ready(
      async (n) => {
        const r = await caxton(['send', 'echo', 'request', `probe-${n}`, ...serve.conn]);
        assert.equal(r.code, 0, show(r));
      },
      (t, n) => t.lines().some((l) => l.includes(`"probe-${n}"`) && /\binform\b/.test(l)),
    );

    const sent = await caxton(['send', 'echo', 'request', 'hello from a new user', '-c', 'conv-e2e', '--reply-with', 'q1', ...serve.conn]);
    assert.equal(sent.code, 0, show(sent));
    assert.match(sent.stdout, /^\S+\n$/, 'send prints just the message id');
    await tail.waitFor(
      (t) => t.lines().some((l) => /\binform\s+echo@caxton -> operator@caxton\s+conv=conv-e2e\s+re=q1\s+"hello from a new user"$/.test(l)),
      'the echo reply on the tail',
    );
    assert.ok(
      tail.lines().some((l) => /\brequest\s+operator@caxton -> echo@caxton\s+conv=conv-e2e\s+"hello from a new user"$/.test(l)),
      tail.proc.stdout,
    );

    const js = await caxton(['send', 'js-echo', 'query-ref', 'hi from the CLI', '--json', ...serve.conn]);
    assert.equal(js.code, 0, show(js));
    const result = JSON.parse(js.stdout) as { messageId: string; accepted: string[]; refused: unknown[] };
    assert.deepEqual(result.accepted, ['js-echo']);
    assert.deepEqual(result.refused, []);
    await tail.waitFor(
      (t) => t.lines().some((l) => /\binform\s+js-echo@caxton -> operator@caxton\s+"hi from the CLI"$/.test(l)),
      'the JavaScript echo reply on the tail',
    );
  });

  it('lists agents and the node with --json, and one agent in detail', async () => {
    // A handled message leaves the mailbox once its completion is on disk, a moment after the
    // reply shows on the tail.
    const agents = await until(async () => {
      const list = await caxton(['agents', '--json', ...serve.conn]);
      assert.equal(list.code, 0, show(list));
      const all = JSON.parse(list.stdout) as AgentJson[];
      return all.every((a) => a.mailboxDepth === 0) ? all : undefined;
    }, 'empty mailboxes');
    assert.deepEqual(
      agents.map((a) => a.name),
      ['echo', 'js-echo'],
    );
    for (const a of agents) {
      assert.equal(a.state, 'running');
      assert.equal(a.version, 1);
      assert.ok(a.messagesHandled >= 1, `${a.name} handled ${a.messagesHandled}`);
    }
    assert.equal(agents[0]!.artifactDigest, digests.asEcho);

    const one = await caxton(['agents', 'echo', ...serve.conn]);
    assert.equal(one.code, 0, show(one));
    assert.match(one.stdout, /^name\s+echo$/m);
    assert.match(one.stdout, /^handled\s+\d+$/m);

    const table = await caxton(['agents', ...serve.conn]);
    assert.match(
      table.stdout,
      /^NAME\s+STATE\s+LANG\s+VERSION\s+ROLLOUT\s+NODE\s+MAILBOX\s+HANDLED\s+RESTARTS\s+MEMORY\s+SIGNER\s+LAST ERROR$/m,
    );
    assert.match(table.stdout, /^js-echo\s+running\s+javascript\s+1\s/m);

    const status = await caxton(['status', '--json', ...serve.conn]);
    assert.equal(status.code, 0, show(status));
    const node = JSON.parse(status.stdout) as {
      nodeId: string;
      version: string;
      agentsTotal: number;
      agentsRunning: number;
      nodes: { id: string; address: string; self: boolean; agents: string[] }[];
      storage: { role: string; kind: string; location: string }[];
    };
    assert.equal(node.nodeId, serve.nodeId);
    assert.equal(node.agentsTotal, 2);
    assert.equal(node.agentsRunning, 2);
    const self = node.nodes.find((n) => n.self);
    assert.equal(self?.address, serve.address, 'the address this node really listens on (not :0)');
    assert.deepEqual([...self!.agents].sort(), ['echo', 'js-echo']);
    assert.deepEqual(
      node.storage.map((s) => `${s.role}:${s.kind}`),
      ['bus:embedded', 'registry:embedded', 'artifacts:embedded', 'audit:embedded'],
    );
    for (const s of node.storage) assert.ok(s.location.startsWith(serve.dataDir), s.location);
  });

  it('scales an agent to replicas behind its name and back (decision 2010)', async () => {
    const up = await caxton(['scale', 'js-echo', '--replicas', '2', ...serve.conn]);
    assert.equal(up.code, 0, show(up));
    assert.match(up.stdout, /^scaled js-echo to 2 replicas$/m);
    assert.match(up.stdout, /^replicas\s+2 replicas \(conversations stay on one replica/m);
    const table = await caxton(['agents', ...serve.conn]);
    assert.match(table.stdout, /^js-echo\s+running \(2 replicas\)\s+javascript\s+1\s/m, show(table));
    const json = await caxton(['agents', '--json', ...serve.conn]);
    assert.deepEqual((JSON.parse(json.stdout) as (AgentJson & { replicas?: unknown })[]).find((a) => a.name === 'js-echo')?.replicas, {
      replicas: 2,
      draining: 0,
    });
    const bad = await caxton(['scale', 'js-echo', '--replicas', '0', ...serve.conn]);
    assert.equal(bad.code, 2, show(bad));
    assert.match(bad.stderr, /--replicas/);
    const down = await caxton(['scale', 'js-echo', '--replicas', '1', ...serve.conn]);
    assert.equal(down.code, 0, show(down));
    assert.match(down.stdout, /^scaled js-echo to 1 replica$/m);
    assert.doesNotMatch(down.stdout, /^replicas/m);
  });

  it("prints an agent's log, as text and as NDJSON", async () => {
    const text = await caxton(['logs', 'echo', ...serve.conn]);
    assert.equal(text.code, 0, show(text));
    assert.match(text.stdout, new RegExp(`INFO\\s+\\[caxton\\] deployed version 1 \\(${digests.asEcho!.slice(0, 12)}`));

    const json = await caxton(['logs', 'js-echo', '--json', '-n', '1', ...serve.conn]);
    assert.equal(json.code, 0, show(json));
    const lines = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { agent: string; level: string; message: string });
    assert.equal(lines.length, 1);
    assert.match(lines[0]!.agent, /^js-echo/);
  });

  it('stops an agent; it is gone and messages to it are refused', async () => {
    const stop = await caxton(['stop', 'echo', ...serve.conn]);
    assert.equal(stop.code, 0, show(stop));
    assert.match(stop.stdout, /^stopped echo \(version 1, \d+ messages handled\)$/m);

    const list = await caxton(['agents', '--json', ...serve.conn]);
    assert.deepEqual(
      (JSON.parse(list.stdout) as AgentJson[]).map((a) => a.name),
      ['js-echo'],
    );

    const send = await caxton(['send', 'echo', 'request', 'anyone there?', ...serve.conn]);
    assert.equal(send.code, 3, show(send));
    assert.match(send.stderr, /^caxton: no agent named echo@caxton\n {2}hint: check the name with `caxton agents`/m);
  });

  it('ends caxton tail and caxton serve with Ctrl-C (exit 0)', async () => {
    const t = await tail!.stop();
    assert.equal(t.code, 0, show(t));
    const s = await serve.stop();
    assert.equal(s.code, 0, show(s));
    assert.match(s.stderr, /caxton: stopped/);
    assert.doesNotMatch(s.stderr, /internal error/);
  });
});
