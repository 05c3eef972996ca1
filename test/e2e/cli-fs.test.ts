/**
 * `caxton fs <agent> ls | cat | export | import` (decision 2191) against a real `caxton serve`: an
 * agent writes files at /data (examples/as-files), and the operator lists them — names, types,
 * sizes — and prints one byte for byte; what is not there is exit 3 with a hint, a path out of /data
 * a usage error. Export copies them to a new local directory, byte for byte with their times;
 * import puts an edited copy back, which the agent then reads, `--replace` drops what the
 * directory no longer holds; a link, an oversized file or a non-empty export target is refused
 * before anything is sent or written.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { chmod, mkdtemp, mkdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { askAgent, caxton, show } from './support/cli.js';
import { builtExample } from './support/paths.js';
import { stopStragglers } from './support/processes.js';
import { startServe, type Serve } from './support/serve.js';

describe('caxton fs against a real caxton serve', () => {
  let serve: Serve;
  /** Sends one command to the files agent and returns its answer. */
  const tell = (content: string): Promise<string> => askAgent(serve.conn, 'files', content);

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

  it('export copies the files to a new directory; an edited copy imported back is what the agent reads; --replace drops the rest', async (t) => {
    const work = await mkdtemp(path.join(tmpdir(), 'caxton-fs-'));
    t.after(() => rm(work, { recursive: true, force: true }));
    const out = path.join(work, 'out');
    const exported = await caxton(['fs', 'files', 'export', out, '--json', ...serve.conn]);
    assert.equal(exported.code, 0, show(exported));
    const summary = JSON.parse(exported.stdout) as { files: number; directories: number; bytes: number; malformed: string[] };
    assert.deepEqual([summary.files, summary.directories, summary.malformed], [4, 1, []]);
    assert.equal(await readFile(path.join(out, 'notes.txt'), 'utf8'), 'hello, files');
    assert.equal(await readFile(path.join(out, 'logs', 'today.txt'), 'utf8'), 'one line');
    assert.equal(await readFile(path.join(out, 'logs', 'escape.txt'), 'utf8'), '\u001b]52;c;aGk=\u0007');
    const listed = JSON.parse((await caxton(['fs', 'files', 'cat', 'notes.txt', '--json', ...serve.conn])).stdout) as { mtimeMs: number };
    assert.equal(Math.trunc((await stat(path.join(out, 'notes.txt'))).mtimeMs), listed.mtimeMs, 'its time kept');

    const again = await caxton(['fs', 'files', 'export', out, ...serve.conn]);
    assert.equal(again.code, 6, show(again));
    assert.match(again.stderr, /not an empty directory/);

    await writeFile(path.join(out, 'notes.txt'), 'edited by the operator');
    await mkdir(path.join(out, 'seed', 'deep'), { recursive: true });
    await writeFile(path.join(out, 'seed', 'deep', 'config.json'), '{"x":1}');
    const imported = await caxton(['fs', 'files', 'import', out, ...serve.conn]);
    assert.equal(imported.code, 0, show(imported));
    assert.equal(await tell('read notes.txt'), 'edited by the operator');
    assert.equal(await tell('read seed/deep/config.json'), '{"x":1}');
    assert.equal(await tell('ls seed'), 'deep/', 'its parents are directories the agent lists');

    await rm(path.join(out, 'logs'), { recursive: true });
    const replaced = await caxton(['fs', 'files', 'import', out, '--replace', '--json', ...serve.conn]);
    assert.equal(replaced.code, 0, show(replaced));
    assert.equal((JSON.parse(replaced.stdout) as { deleted: number }).deleted, 4, 'logs/ and its three files');
    assert.equal(await tell('ls .'), 'notes.txt,seed/');
  });

  it('import refuses a link, a FIFO, a directory others can write and an oversized file before sending anything', async (t) => {
    const work = await mkdtemp(path.join(tmpdir(), 'caxton-fs-'));
    t.after(() => rm(work, { recursive: true, force: true }));
    await writeFile(path.join(work, 'notes.txt'), 'would overwrite');
    await symlink('/etc/passwd', path.join(work, 'passwd'));
    const link = await caxton(['fs', 'files', 'import', work, ...serve.conn]);
    assert.equal(link.code, 1, show(link));
    assert.match(link.stderr, /passwd in .* is a symbolic link/);
    await rm(path.join(work, 'passwd'));
    execFileSync('mkfifo', [path.join(work, 'pipe')]);
    const fifo = await caxton(['fs', 'files', 'import', work, ...serve.conn]);
    assert.equal(fifo.code, 1, show(fifo));
    assert.match(fifo.stderr, /pipe in .* is not a regular file/);
    await rm(path.join(work, 'pipe'));
    await mkdir(path.join(work, 'shared'));
    await chmod(path.join(work, 'shared'), 0o777);
    const shared = await caxton(['fs', 'files', 'import', work, ...serve.conn]);
    assert.equal(shared.code, 1, show(shared));
    assert.match(shared.stderr, /shared in .* can be written by other users/);
    await rm(path.join(work, 'shared'), { recursive: true });
    await writeFile(path.join(work, 'big.bin'), Buffer.alloc(1024 * 1024 + 1));
    const big = await caxton(['fs', 'files', 'import', work, ...serve.conn]);
    assert.equal(big.code, 7, show(big));
    assert.match(big.stderr, /past one file's limit/);
    assert.notEqual(await tell('read notes.txt'), 'would overwrite', 'nothing was imported');
  });

  it('export leaves out a .git the agent wrote, and refuses an empty target others can write', async (t) => {
    const work = await mkdtemp(path.join(tmpdir(), 'caxton-fs-'));
    t.after(() => rm(work, { recursive: true, force: true }));
    assert.equal(await tell('write .git/config [core] fsmonitor = touch pwned'), 'ok');
    const out = path.join(work, 'out');
    const exported = await caxton(['fs', 'files', 'export', out, '--json', ...serve.conn]);
    assert.equal(exported.code, 0, show(exported));
    const summary = JSON.parse(exported.stdout) as { skipped: { path: string; why: string }[] };
    assert.deepEqual(
      summary.skipped.map((s) => s.path),
      ['.git', '.git/config'],
    );
    await assert.rejects(stat(path.join(out, '.git')), 'no repository written');
    assert.equal((await stat(out)).mode & 0o777, 0o700, 'made private');
    const open = path.join(work, 'open');
    await mkdir(open);
    await chmod(open, 0o777);
    const refused = await caxton(['fs', 'files', 'export', open, ...serve.conn]);
    assert.equal(refused.code, 6, show(refused));
    assert.match(refused.stderr, /other users can write/);
    assert.equal(await tell('rm .git/config'), 'ok');
  });
});
