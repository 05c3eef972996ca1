/**
 * Bad input to a real `caxton serve`, each through the CLI as a separate process: every mistake
 * gets one clear error and its exit code, and the node keeps serving — after each case a message
 * to a deployed echo agent is accepted, and at the end echo has handled every one of them and the
 * node logged no internal error.
 */
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { caxton, cleanEnv, show } from './support/cli.js';
import { builtExample, CAXTON_BIN } from './support/paths.js';
import { stopStragglers } from './support/processes.js';
import { hasScript, PtyRun } from './support/pty.js';
import { startServe, tempDir, type Serve } from './support/serve.js';
import { until } from './support/wait.js';

const COMPONENT_HEADER = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]);
const CORE_MODULE_HEADER = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
/** The node's default artifact limit (runtime/src/api/server.ts DEFAULT_MAX_ARTIFACT_BYTES). */
const MAX_ARTIFACT_BYTES = 64 * 1024 * 1024;
/** The node buffers at most this many uploads at once (maxConcurrentUploads). */
const UPLOAD_SLOTS = 4;

function withHeader(header: Buffer, size: number, fill: 'random' | 'zero'): Buffer {
  const bytes = fill === 'zero' ? Buffer.alloc(size) : Buffer.from(Array.from({ length: size }, (_, i) => (i * 7919 + 13) % 251));
  header.copy(bytes);
  return bytes;
}

describe('bad input to a real caxton serve', () => {
  let serve: Serve;
  let work: string;
  let followUps = 0;

  /** The node still serves: a message to echo is accepted (and, checked at the end, handled). */
  async function stillServing(after: string): Promise<void> {
    const r = await caxton(['send', 'echo', 'request', `still there after ${after}?`, '--json', ...serve.conn]);
    assert.equal(r.code, 0, `after ${after}: ${show(r)}`);
    assert.deepEqual((JSON.parse(r.stdout) as { accepted: string[] }).accepted, ['echo']);
    followUps++;
  }

  before(async () => {
    serve = await startServe();
    work = await tempDir('caxton-e2e-bad-');
    const r = await caxton(['deploy', builtExample('as-echo', 'as-echo.wasm'), '--name', 'echo', ...serve.conn]);
    assert.equal(r.code, 0, show(r));
  });
  after(async () => {
    await stopStragglers();
    await serve.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('rejects garbage bytes: locally without the wasm header, at the node with it', async () => {
    await writeFile(path.join(work, 'garbage.wasm'), withHeader(Buffer.from('garbage!'), 5000, 'random'));
    const local = await caxton(['deploy', 'garbage.wasm', ...serve.conn], { cwd: work });
    assert.equal(local.code, 2, show(local));
    assert.match(local.stderr, /^caxton: garbage\.wasm is not a WebAssembly file$/m);
    assert.match(local.stderr, /^ {2}hint: build the agent first/m);

    await writeFile(path.join(work, 'mangled.wasm'), withHeader(COMPONENT_HEADER, 5000, 'random'));
    const remote = await caxton(['deploy', 'mangled.wasm', ...serve.conn], { cwd: work });
    assert.equal(remote.code, 2, show(remote));
    assert.match(remote.stderr, /^caxton: the component is malformed: /m);
    assert.match(remote.stderr, /^ {2}hint: Build the agent as a WebAssembly component of the `agent` world/m);

    // Many chunks, each waiting for flow control: the client must not pile up listeners meanwhile.
    await writeFile(path.join(work, 'mangled-big.wasm'), withHeader(COMPONENT_HEADER, 32 * 1024 * 1024, 'zero'));
    const big = await caxton(['deploy', 'mangled-big.wasm', ...serve.conn], { cwd: work });
    assert.equal(big.code, 2, show(big));
    assert.match(big.stderr, /^caxton: the component /m);
    assert.doesNotMatch(big.stderr, /MaxListenersExceededWarning|Warning/);
    await stillServing('garbage');
  });

  it('rejects a core module: agents must be components (exit 2, with how to wrap it)', async () => {
    await writeFile(path.join(work, 'core.wasm'), CORE_MODULE_HEADER);
    const r = await caxton(['deploy', 'core.wasm', ...serve.conn], { cwd: work });
    assert.equal(r.code, 2, show(r));
    assert.match(r.stderr, /^caxton: the artifact is a core WebAssembly module, but agents must be WebAssembly components$/m);
    assert.match(r.stderr, /hint: Wrap the module as a component of the `agent` world: `jco embed/);
    await stillServing('a core module');
  });

  it("rejects an upload over the node's limit from its header (exit 7)", async () => {
    const size = MAX_ARTIFACT_BYTES + 1;
    await writeFile(path.join(work, 'huge.wasm'), withHeader(COMPONENT_HEADER, size, 'zero'));
    const r = await caxton(['deploy', 'huge.wasm', ...serve.conn], { cwd: work });
    await rm(path.join(work, 'huge.wasm'));
    assert.equal(r.code, 7, show(r));
    assert.match(r.stderr, new RegExp(`^caxton: artifact of ${size} bytes exceeds this node's limit of ${MAX_ARTIFACT_BYTES} bytes$`, 'm'));
    assert.match(r.stderr, /hint: shrink the component/);
    await stillServing('a huge upload');
  });

  it('answers an unknown agent with exit 3 for send, logs, stop, agents and upgrade', async () => {
    const wasm = builtExample('as-echo', 'as-echo.wasm');
    for (const args of [
      ['send', 'nobody', 'request', 'hi'],
      ['logs', 'nobody'],
      ['logs', 'nobody', '-f'],
      ['stop', 'nobody'],
      ['agents', 'nobody'],
      ['upgrade', 'nobody', wasm],
    ]) {
      const r = await caxton([...args, ...serve.conn]);
      assert.equal(r.code, 3, `${args.join(' ')}: ${show(r)}`);
      assert.match(r.stderr, /^caxton: no agent named nobody(@caxton)?$/m, args.join(' '));
      assert.match(r.stderr, /^ {2}hint: .*caxton agents/m, args.join(' '));
    }
    await stillServing('unknown agents');
  });

  it('rejects malformed ACL from caxton send --raw (exit 2, saying where)', async () => {
    const cases: [string, RegExp][] = [
      [
        '(request :receiver (set (agent-identifier :name echo)) :content "hi"',
        /^caxton: fipa: malformed ACL string at line 1, column \d+: message is missing its closing '\)'$/m,
      ],
      [
        '(request :content "to no one")',
        /^caxton: fipa: invalid ACL message: receivers: a message being sent needs at least one receiver$/m,
      ],
      ['{"performative":"request","receiver":[{"name":"echo"}]', /^caxton: json: malformed ACL JSON at line 1, column \d+: /m],
      [
        '{"performative":"shout","receiver":[{"name":"echo"}]}',
        /^caxton: json: invalid ACL message: performative: "shout" is not a FIPA communicative act$/m,
      ],
      ['hello', /^caxton: --raw must be an ACL message as JSON \(\{…\}\) or in the FIPA string form/m],
    ];
    for (const [raw, message] of cases) {
      const r = await caxton(['send', '--raw', raw, ...serve.conn]);
      assert.equal(r.code, 2, `${raw}: ${show(r)}`);
      assert.match(r.stderr, message, raw);
      assert.equal(r.stdout, '', 'no message id for a message that was not sent');
    }
    const good = await caxton([
      'send',
      '--raw',
      '(request :receiver (set (agent-identifier :name echo)) :content "well-formed")',
      ...serve.conn,
    ]);
    assert.equal(good.code, 0, show(good));
    followUps++;
    await stillServing('malformed ACL');
  });

  it('drops the upload of a CLI killed with SIGKILL mid-upload, and frees its slot', {
    skip: !hasScript() && 'needs util-linux `script` for a terminal',
  }, async () => {
    // Big enough that the upload takes a while, under the limit so the node accepts the header.
    await writeFile(path.join(work, 'big.wasm'), withHeader(COMPONENT_HEADER, 48 * 1024 * 1024, 'zero'));
    const seenAt: number[] = [];
    // One more kill than the node has upload slots: a slot kept by a dead client would make the
    // deploy after the loop fail with RESOURCE_EXHAUSTED.
    for (let i = 0; i <= UPLOAD_SLOTS; i++) {
      const run = new PtyRun(
        [process.execPath, CAXTON_BIN, 'deploy', 'big.wasm', '--name', `killed-${i}`, ...serve.conn],
        cleanEnv(),
        work,
      );
      const pid = await run.pid();
      let percent = -1;
      await run.proc.waitFor(
        () =>
          run.screenLines().some((l) => {
            const m = /deploying killed-\d+ \[[#-]+\]\s+(\d+)%/.exec(l);
            if (m && Number(m[1]) >= 5 && Number(m[1]) < 90) percent = Number(m[1]);
            return percent >= 0;
          }),
        'the progress bar part-way',
        60_000,
      );
      process.kill(pid, 'SIGKILL');
      await run.proc.done;
      assert.doesNotMatch(run.proc.stdout, /deployed killed/);
      seenAt.push(percent);
    }
    await rm(path.join(work, 'big.wasm'));

    const r = await caxton(['deploy', builtExample('as-echo', 'as-echo.wasm'), '--name', 'after-kills', '--json', ...serve.conn]);
    assert.equal(r.code, 0, `after ${seenAt.length} killed uploads (at ${seenAt.join('%, ')}%): ${show(r)}`);
    const list = await caxton(['agents', '--json', ...serve.conn]);
    assert.deepEqual(
      (JSON.parse(list.stdout) as { name: string }[]).map((a) => a.name),
      ['after-kills', 'echo'],
      'no killed upload was deployed',
    );
    await stillServing('killed uploads');
  });

  it('handled every follow-up message and logged no internal error', async () => {
    await until(async () => {
      const r = await caxton(['agents', 'echo', '--json', ...serve.conn]);
      return (JSON.parse(r.stdout) as { messagesHandled: number }).messagesHandled >= followUps || undefined;
    }, `echo to handle ${followUps} messages`);
    assert.doesNotMatch(serve.proc.stderr, /internal error/, serve.proc.stderr);
  });
});
