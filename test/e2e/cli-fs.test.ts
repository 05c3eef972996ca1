/**
 * `caxton fs <agent> ls | cat` (decision 2191) against a real `caxton serve`: an agent writes files
 * at /data (examples/as-files), and the operator lists them — names, types, sizes — and prints one
 * byte for byte; what is not there is exit 3 with a hint, a path out of /data a usage error.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { caxton, show } from './support/cli.js';
import { builtExample } from './support/paths.js';
import { stopStragglers } from './support/processes.js';
import { startServe, type Serve } from './support/serve.js';

describe('caxton fs against a real caxton serve', () => {
  let serve: Serve;
  /** Sends one command to the files agent and returns its answer. */
  const tell = async (content: string): Promise<string> => {
    const r = await caxton(['send', 'files', 'request', content, '--wait', '--json', '--timeout', '20', ...serve.conn]);
    assert.equal(r.code, 0, show(r));
    const answer = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { message?: { content: string } })
      .find((l) => l.message !== undefined);
    return answer!.message!.content;
  };

  before(async () => {
    serve = await startServe();
    const deployed = await caxton(['deploy', builtExample('as-files', 'as-files.wasm'), '--name', 'files', ...serve.conn]);
    assert.equal(deployed.code, 0, show(deployed));
    assert.equal(await tell('write notes.txt hello, files'), 'ok');
    assert.equal(await tell('write logs/today.txt one line'), 'ok');
    // Names and bytes the agent chose to mislead an operator: a bidi override, an escape sequence.
    assert.equal(await tell('write logs/report\u202efdp.exe x'), 'ok');
    assert.equal(await tell('write logs/escape.txt \u001b]52;c;aGk=\u0007'), 'ok');
  });
  after(async () => {
    await stopStragglers();
    if (serve?.proc.running) await serve.stop();
  });

  it('ls shows /data and a directory, as a table and as JSON lines', async () => {
    const table = await caxton(['fs', 'files', 'ls', ...serve.conn]);
    assert.equal(table.code, 0, show(table));
    assert.match(table.stdout, /^TYPE\s+SIZE\s+MODIFIED\s+NAME$/m);
    assert.match(table.stdout, /^dir .*\slogs\/$/m);
    assert.match(table.stdout, /^file\s+12\s.*\snotes\.txt$/m);
    const json = await caxton(['fs', 'files', 'ls', '/data/logs', '--json', ...serve.conn]);
    assert.equal(json.code, 0, show(json));
    const listed = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { name: string; type: string; size: number; mtimeMs: number });
    const today = listed.find((e) => e.name === 'today.txt');
    assert.deepEqual({ ...today, mtimeMs: undefined }, { name: 'today.txt', type: 'file', size: 8, mtimeMs: undefined });
    assert.ok(today!.mtimeMs > 0);
    assert.ok(
      listed.some((e) => e.name === 'report\u202efdp.exe'),
      '--json gives the names as they are',
    );
    const logs = await caxton(['fs', 'files', 'ls', 'logs', ...serve.conn]);
    assert.match(logs.stdout, /\sreport\?fdp\.exe$/m, 'the table shows the bidi override as ?');
    assert.ok(!logs.stdout.includes('\u202e'));
  });

  it('cat prints a file as it is; --json gives it in base64 with its size and time', async () => {
    const cat = await caxton(['fs', 'files', 'cat', 'logs/today.txt', ...serve.conn]);
    assert.equal(cat.code, 0, show(cat));
    assert.equal(cat.stdout, 'one line');
    // Not a terminal here: the agent's escape bytes go through as they are (a terminal is refused them without --raw: cli/test/fs-paths).
    const escape = await caxton(['fs', 'files', 'cat', 'logs/escape.txt', ...serve.conn]);
    assert.equal(escape.stdout, '\u001b]52;c;aGk=\u0007');
    const json = await caxton(['fs', 'files', 'cat', '/data/notes.txt', '--json', ...serve.conn]);
    const file = JSON.parse(json.stdout) as { path: string; size: number; base64: string };
    assert.equal(file.path, '/data/notes.txt');
    assert.equal(Buffer.from(file.base64, 'base64').toString(), 'hello, files');
  });

  it('what is not there is exit 3 with a hint; a path out of /data is a usage error', async () => {
    const missing = await caxton(['fs', 'files', 'cat', 'nope.txt', ...serve.conn]);
    assert.equal(missing.code, 3, show(missing));
    assert.match(missing.stderr, /files has no file \/data\/nope\.txt/);
    assert.match(missing.stderr, /caxton fs files ls/);
    const notDir = await caxton(['fs', 'files', 'ls', 'notes.txt', ...serve.conn]);
    assert.equal(notDir.code, 3, show(notDir));
    assert.match(notDir.stderr, /is a file, not a directory/);
    const out = await caxton(['fs', 'files', 'cat', '../etc/passwd', ...serve.conn]);
    assert.equal(out.code, 2, show(out));
    assert.match(out.stderr, /not a path under \/data/);
  });
});
