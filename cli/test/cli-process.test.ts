/**
 * The `caxton` binary as a separate process against a real API server (over the in-test
 * MemoryNode): what users type, what they see, which exit codes scripts get.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { harnessModule, type Harness } from './support/runtime-harness.js';
import { caxton } from './support/run-cli.js';
import { withoutNodeWarnings } from './support/node-warnings.js';

/** A minimal byte string that starts like any WebAssembly binary (the CLI checks the magic). */
function fakeComponent(size: number): Buffer {
  const bytes = randomBytes(size);
  Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]).copy(bytes);
  return bytes;
}

describe('caxton CLI against a running API', () => {
  let h: Harness;
  let work: string;
  let dataDirArg: string[];
  let echoWasm: Buffer;

  before(async () => {
    const { startHarness, tempDir } = await harnessModule();
    h = await startHarness({ maxArtifactBytes: 4 * 1024 * 1024 });
    work = await tempDir('caxton-cli-');
    // The token is found in <data-dir>/auth-token, as after `caxton serve --data-dir …`.
    dataDirArg = ['--addr', h.address, '--data-dir', h.dataDir];
    echoWasm = fakeComponent(300 * 1024);
    await mkdir(path.join(work, 'build'));
    await writeFile(path.join(work, 'build', 'echo.wasm'), echoWasm);
    await writeFile(path.join(work, 'notwasm.txt'), 'hello');
  });
  after(async () => {
    await h.close();
    await rm(work, { recursive: true, force: true });
  });

  it('deploys a .wasm, naming the agent after the file', async () => {
    const r = await caxton(['deploy', 'build/echo.wasm', '--fuel', '2M', '--memory', '2MiB', '--config', 'greeting=hi', ...dataDirArg], {
      cwd: work,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^deployed echo from build\/echo\.wasm$/m);
    assert.match(r.stdout, /^fuel\/message\s+2,000,000$/m);
    assert.match(r.stdout, /^memory limit\s+2\.0 MiB \(32 pages\)$/m);
    const agent = h.node.agents.get('echo');
    assert.equal(agent?.status.artifactDigest, createHash('sha256').update(echoWasm).digest('hex'));
    assert.deepEqual(agent?.status.config, { greeting: 'hi' });
    assert.equal(withoutNodeWarnings(r.stderr), '', 'no progress bar when stderr is not a terminal');
  });

  it('builds a project directory, then deploys the component', async () => {
    const project = fileURLToPath(new URL('../../../examples/as-echo', import.meta.url));
    const r = await caxton(['deploy', project, '--name', 'as-echo', '--json', ...dataDirArg]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^build: /m, 'build steps are reported on stderr');
    const deployed = JSON.parse(r.stdout) as { name: string; artifactDigest: string; language?: string };
    assert.equal(deployed.language, 'assemblyscript', 'the language of the build goes along');
    const built = await readFile(path.join(project, 'build', 'as-echo.wasm'));
    assert.equal(deployed.artifactDigest, createHash('sha256').update(built).digest('hex'));
    assert.deepEqual([...built.subarray(0, 4)], [0x00, 0x61, 0x73, 0x6d]);
    const stopped = await caxton(['stop', 'as-echo', ...dataDirArg]);
    assert.equal(stopped.code, 0, stopped.stderr);
  });

  it('lists agents as a table and as JSON', async () => {
    const table = await caxton(['agents', ...dataDirArg]);
    assert.equal(table.code, 0, table.stderr);
    const [head, row] = table.stdout.split('\n');
    assert.match(head!, /^NAME\s+STATE\s+LANG\s+VERSION\s+ROLLOUT\s+NODE\s+MAILBOX\s+HANDLED\s+RESTARTS\s+MEMORY\s+SIGNER\s+LAST ERROR$/);
    assert.match(row!, /^echo\s+running\s+-\s+1\s+-\s+node-test\s+0\s+0\s+0\s+64 KiB\/2\.0 MiB\s+-$/);
    const json = await caxton(['agents', '--json', ...dataDirArg]);
    const agents = JSON.parse(json.stdout) as { name: string; limits: { fuelPerMessage: number } }[];
    assert.deepEqual(
      agents.map((a) => [a.name, a.limits.fuelPerMessage]),
      [['echo', 2_000_000]],
    );
  });

  it('shows one agent, or exits 3 when there is none', async () => {
    const one = await caxton(['agents', 'echo', '--json', ...dataDirArg]);
    assert.equal((JSON.parse(one.stdout) as { state: string }).state, 'running');
    const missing = await caxton(['agents', 'ghost', ...dataDirArg]);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /no agent named ghost/);
    assert.match(missing.stderr, /hint: list deployed agents with `caxton agents`/);
  });

  it('sends a message and prints its id', async () => {
    const r = await caxton([
      'send',
      'echo',
      'request',
      'hello there',
      '-c',
      'conv-9',
      '-p',
      'fipa-request',
      '--param',
      'X-trace=abc',
      ...dataDirArg,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^m-\d+\n$/);
    const sent = h.node.accepted.at(-1)!.message;
    assert.deepEqual(
      [sent.performative, sent.content, sent.conversationId, sent.protocol, sent.userParams],
      ['request', 'hello there', 'conv-9', 'fipa-request', { 'X-trace': 'abc' }],
    );
  });

  it('sends a raw message as JSON or FIPA string', async () => {
    const raw = JSON.stringify({ performative: 'inform', receiver: [{ name: 'echo' }], content: 'raw!' });
    const r = await caxton(['send', '--raw', raw, '--json', ...dataDirArg]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as { accepted: string[] }).accepted, ['echo']);
    const fipa = await caxton([
      'send',
      '--raw',
      '(inform :receiver (set (agent-identifier :name echo)) :content "in FIPA")',
      ...dataDirArg,
    ]);
    assert.equal(fipa.code, 0, fipa.stderr);
    assert.equal(h.node.accepted.at(-1)!.message.content, 'in FIPA');
  });

  it('exits 3 when no receiver took the message', async () => {
    const r = await caxton(['send', 'nobody', 'inform', 'x', ...dataDirArg]);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /not delivered to nobody: unknown agent/);
  });

  it('tails messages as NDJSON until the count is reached', async () => {
    const tail = caxton(['tail', '--agent', 'echo', '--performative', 'inform', '-n', '2', '--json', ...dataDirArg]);
    const { eventually } = await harnessModule();
    await eventually(() => h.node.activeSubscriptions === 1, 'the CLI to subscribe', 10_000);
    for (const content of ['one', 'skip me']) {
      await h.client.send({
        structured: { performative: content === 'skip me' ? 'request' : 'inform', receivers: [{ name: 'echo' }], content },
      });
    }
    await h.client.send({ structured: { performative: 'inform', receivers: [{ name: 'echo' }], content: 'two' } });
    const r = await tail;
    assert.equal(r.code, 0, r.stderr);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { message: { content: string } });
    assert.deepEqual(
      events.map((e) => e.message.content),
      ['one', 'two'],
    );
  });

  it('follows logs until Ctrl-C, then exits 0', async () => {
    h.node.log('echo', 'warn', 'stored line');
    const logs = caxton(['logs', 'echo', '-f', ...dataDirArg]);
    await logs.waitFor('stored line');
    h.node.log('echo', 'info', 'live line');
    await logs.waitFor('live line');
    logs.kill('SIGINT');
    const r = await logs;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\d{4}-\d\d-\d\dT[\d:.]+Z {2}WARN {3}stored line$/m);
    assert.match(r.stdout, /INFO {3}live line$/m);
  });

  it('upgrades an agent', async () => {
    await writeFile(path.join(work, 'echo-v2.wasm'), fakeComponent(1000));
    const r = await caxton(['upgrade', 'echo', 'echo-v2.wasm', ...dataDirArg], { cwd: work });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^upgraded echo: version 1 -> 2$/m);
  });

  it('shows the node status', async () => {
    const r = await caxton(['status', ...dataDirArg]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^node\s+node-test \(caxton 0\.1\.0-test\)$/m);
    assert.match(r.stdout, /^agents\s+1 deployed, 1 running$/m);
    assert.match(r.stdout, /^bus\s+embedded \/tmp\/test\/bus$/m);
    assert.match(r.stdout, /^node-test \*\s+127\.0\.0\.1:0\s+.+\s+1: echo$/m);
  });

  it("imports, lists, gets and exports an agent's state; export | import round-trips", async () => {
    const lines = [
      JSON.stringify({ key: 'count', value: '41' }),
      JSON.stringify({ key: 'session/a', value: 'line one\nline two' }),
      JSON.stringify({ key: 'session/b', value: 'x'.repeat(200) }),
      '',
    ].join('\n');
    await writeFile(path.join(work, 'counter.jsonl'), lines);
    const imported = await caxton(['state', 'counter', 'import', 'counter.jsonl', ...dataDirArg], { cwd: work });
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /^imported into counter: 3 keys set, 0 deleted$/m);

    const got = await caxton(['state', 'counter', 'get', 'count', ...dataDirArg]);
    assert.equal(got.stdout, '41\n');
    const gotJson = await caxton(['state', 'counter', 'get', 'count', '--json', ...dataDirArg]);
    assert.deepEqual(JSON.parse(gotJson.stdout), { key: 'count', value: '41' });

    const listed = await caxton(['state', 'counter', 'list', '--prefix', 'session/', ...dataDirArg]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^KEY\s+VALUE$/m);
    assert.match(listed.stdout, /^session\/a\s+line one\\nline two$/m, 'a value shows on one line');
    assert.match(listed.stdout, /^session\/b\s+x{59}…$/m, 'long values are cut');
    assert.doesNotMatch(listed.stdout, /count/);

    const exported = await caxton(['state', 'counter', 'export', ...dataDirArg]);
    assert.equal(exported.code, 0, exported.stderr);
    assert.deepEqual(
      exported.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
      lines
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    );
    await writeFile(path.join(work, 'copy.jsonl'), exported.stdout);
    const copy = await caxton(['state', 'copy', 'import', 'copy.jsonl', '--json', ...dataDirArg], { cwd: work });
    assert.deepEqual(JSON.parse(copy.stdout), { written: 3, deleted: 0 });
    const copied = await caxton(['state', 'copy', 'list', '--json', ...dataDirArg]);
    assert.equal(copied.stdout, exported.stdout, 'list --json prints the export format');
  });

  it('state errors: a missing key exits 3, a bad import line names its line, unknown actions are usage errors', async () => {
    const missing = await caxton(['state', 'counter', 'get', 'nope', ...dataDirArg]);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /no state-key named nope/);
    assert.match(missing.stderr, /caxton state counter list/);
    await writeFile(path.join(work, 'bad.jsonl'), '{"key":"a","value":"1"}\n{"key":"b","value":2}\n');
    const bad = await caxton(['state', 'counter', 'import', 'bad.jsonl', ...dataDirArg], { cwd: work });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /bad\.jsonl:2: "value" of "b" must be a string or null/);
    const unknown = await caxton(['state', 'counter', 'frob', ...dataDirArg]);
    assert.equal(unknown.code, 2);
    const noFile = await caxton(['state', 'counter', 'import', 'nowhere.jsonl', ...dataDirArg], { cwd: work });
    assert.equal(noFile.code, 3);
    assert.match(noFile.stderr, /cannot read nowhere\.jsonl: ENOENT/);
  });

  it('deploy --keep-state asks the node to keep the old state', async () => {
    await writeFile(path.join(work, 'keeper.wasm'), fakeComponent(500));
    const r = await caxton(['deploy', 'keeper.wasm', '--keep-state', ...dataDirArg], { cwd: work });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(h.node.calls.includes('deploy keeper keep-state'));
    const stopped = await caxton(['stop', 'keeper', ...dataDirArg]);
    assert.equal(stopped.code, 0, stopped.stderr);
  });

  it('deploy/upgrade send the language build.json recorded for the artifact; --language overrides it', async () => {
    const bytes = fakeComponent(700);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    await writeFile(path.join(work, 'build', 'poly.wasm'), bytes);
    await writeFile(path.join(work, 'build', 'poly.build.json'), JSON.stringify({ name: 'poly', language: 'tinygo', sha256 }));
    const r = await caxton(['deploy', 'build/poly.wasm', ...dataDirArg], { cwd: work });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^language\s+tinygo$/m);
    assert.equal(h.node.agents.get('poly')?.status.language, 'tinygo');
    const up = await caxton(['upgrade', 'poly', 'build/poly.wasm', '--language', 'rust', '--json', ...dataDirArg], { cwd: work });
    assert.equal(up.code, 0, up.stderr);
    assert.equal((JSON.parse(up.stdout) as { agent: { language?: string } }).agent.language, 'rust');
    const bad = await caxton(['upgrade', 'poly', 'build/poly.wasm', '--language', 'Not A Label', ...dataDirArg], { cwd: work });
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /header\.language: "Not A Label" is not a language label/);
    const stopped = await caxton(['stop', 'poly', ...dataDirArg]);
    assert.equal(stopped.code, 0, stopped.stderr);
  });

  it('stops an agent', async () => {
    const r = await caxton(['stop', 'echo', '--force', ...dataDirArg]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^stopped echo/);
    assert.ok(h.node.calls.includes('stop echo force'));
  });

  describe('failures', () => {
    it('exits 4 with advice when no runtime listens', async () => {
      const r = await caxton(['status', '--addr', '127.0.0.1:1']);
      assert.equal(r.code, 4);
      assert.match(r.stderr, /^caxton: no runtime at 127\.0\.0\.1:1 \(connect ECONNREFUSED\)$/m);
      assert.match(r.stderr, /start one with `caxton serve`/);
    });

    it('exits 5 and says where to find a token when none is found', async () => {
      const r = await caxton(['agents', '--addr', h.address], { cwd: work });
      assert.equal(r.code, 5);
      assert.match(r.stderr, /requires a token and none was found \(looked in .*\.caxton\/auth-token\)/);
    });

    it('exits 5 naming the source of a wrong token', async () => {
      const r = await caxton(['agents', '--addr', h.address], { env: { CAXTON_TOKEN: 'w'.repeat(43) } });
      assert.equal(r.code, 5);
      assert.match(r.stderr, /rejected the token from CAXTON_TOKEN/);
    });

    it('takes the address and token from the environment', async () => {
      const r = await caxton(['agents', '--json'], { env: { CAXTON_ADDR: h.address, CAXTON_TOKEN: h.token } });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), []);
    });

    it('exits 2 when the runtime rejects an argument, naming the flag', async () => {
      const r = await caxton(['deploy', 'build/echo.wasm', '--name', 'bad name', ...dataDirArg], { cwd: work });
      assert.equal(r.code, 2);
      assert.match(r.stderr, /header\.name \(--name\)/);
    });

    it('exits 2 for a file that is not WebAssembly, before connecting', async () => {
      const r = await caxton(['deploy', 'notwasm.txt', '--addr', '127.0.0.1:1'], { cwd: work });
      assert.equal(r.code, 2);
      assert.match(r.stderr, /notwasm\.txt is not a WebAssembly file/);
    });

    it('exits 6 when the agent already exists', async () => {
      await caxton(['deploy', 'build/echo.wasm', ...dataDirArg], { cwd: work });
      const r = await caxton(['deploy', 'build/echo.wasm', ...dataDirArg], { cwd: work });
      assert.equal(r.code, 6);
      assert.match(r.stderr, /already exists/);
      assert.match(r.stderr, /hint: upgrade it with `caxton upgrade`/);
    });

    it('exits 7 for an artifact over the node limit', async () => {
      await writeFile(path.join(work, 'huge.wasm'), fakeComponent(5 * 1024 * 1024));
      const r = await caxton(['deploy', 'huge.wasm', ...dataDirArg], { cwd: work });
      assert.equal(r.code, 7);
      assert.match(r.stderr, /exceeds this node's limit/);
    });
  });
});
