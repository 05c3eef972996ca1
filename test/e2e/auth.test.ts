/**
 * Authentication as users meet it: a fresh node writes its token 0600; the CLI on the node's machine
 * finds it without flags; a missing or wrong token is refused with exit code 5 and advice that
 * names where the CLI looked, never the token; a token file others can read is refused; the
 * read-only token looks but cannot change anything.
 */
import assert from 'node:assert/strict';
import { chmod, mkdir, readFile as fsReadFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { caxton, show } from './support/cli.js';
import { stopStragglers } from './support/processes.js';
import { startServe, tempDir, type Serve } from './support/serve.js';

describe('API authentication through the CLI, against a real caxton serve', () => {
  let home: string;
  let serve: Serve;
  let token: string;

  before(async () => {
    // The data dir is the default one, ./.caxton, of the directory the operator works in.
    home = await tempDir('caxton-e2e-auth-');
    serve = await startServe({ dataDir: path.join(home, '.caxton'), cwd: home });
    token = serve.token();
  });
  after(async () => {
    await stopStragglers();
    if (serve.proc.running) await serve.stop({ keepData: true });
    await rm(home, { recursive: true, force: true });
  });

  it('writes a fresh token file with mode 0600, in a data directory with mode 0700', async () => {
    assert.equal(((await stat(serve.dataDir)).mode & 0o777).toString(8), '700');
    const info = await stat(path.join(serve.dataDir, 'auth-token'));
    assert.equal((info.mode & 0o777).toString(8), '600');
    assert.equal(info.uid, process.getuid!());
    assert.match(token, /^cxt_[A-Za-z0-9_-]{43}$/, '256 random bits, base64url');
    assert.match(
      serve.proc.stderr,
      new RegExp(`clients authenticate with the token in ${path.join(serve.dataDir, 'auth-token').replace(/[.]/g, '\\.')}`),
    );
  });

  it('needs no flag next to the node: ./.caxton/auth-token is found', async () => {
    const r = await caxton(['status', '--json', '--addr', serve.address], { cwd: home });
    assert.equal(r.code, 0, show(r));
    assert.equal((JSON.parse(r.stdout) as { nodeId: string }).nodeId, serve.nodeId);
  });

  it('accepts the token from --token, CAXTON_TOKEN and CAXTON_DATA_DIR', async () => {
    const elsewhere = await tempDir('caxton-e2e-nowhere-');
    try {
      for (const [args, env] of [
        [['--token', token], {}],
        [[], { CAXTON_TOKEN: token }],
        [[], { CAXTON_DATA_DIR: serve.dataDir }],
      ] as const) {
        const r = await caxton(['agents', '--json', '--addr', serve.address, ...args], { cwd: elsewhere, env });
        assert.equal(r.code, 0, `${JSON.stringify(env)} ${args.join(' ')}: ${show(r)}`);
        assert.deepEqual(JSON.parse(r.stdout), []);
      }
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });

  it('a read-only token looks (agents, status) but cannot send: exit 5 with what to use instead', async () => {
    const readFile = path.join(serve.dataDir, 'auth-token.read');
    assert.equal(((await stat(readFile)).mode & 0o777).toString(8), '600');
    assert.match(serve.proc.stderr, /read-only: .*auth-token\.read/);
    const readToken = (await fsReadFile(readFile, 'utf8')).trim();
    const elsewhere = await tempDir('caxton-e2e-viewer-');
    try {
      const env = { CAXTON_TOKEN: readToken };
      for (const args of [
        ['agents', '--json'],
        ['status', '--json'],
      ]) {
        const r = await caxton([...args, '--addr', serve.address], { cwd: elsewhere, env });
        assert.equal(r.code, 0, `${args.join(' ')}: ${show(r)}`);
      }
      const send = await caxton(['send', 'anyone', 'inform', 'hello', '--addr', serve.address], { cwd: elsewhere, env });
      assert.equal(send.code, 5, show(send));
      assert.match(send.stderr, /^caxton: the read-only token may not call SendMessage$/m);
      assert.match(send.stderr, /hint: .*admin token: the node's auth-token file/);
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });

  it('refuses a call without a token: exit 5, naming the file it looked for', async () => {
    const empty = await tempDir('caxton-e2e-notoken-');
    try {
      const r = await caxton(['agents', '--addr', serve.address], { cwd: empty });
      assert.equal(r.code, 5, show(r));
      assert.equal(r.stdout, '');
      assert.match(
        r.stderr,
        new RegExp(
          `^caxton: the runtime at ${serve.address} requires a token and none was found \\(looked in ${path.join(empty, '.caxton', 'auth-token').replace(/[.]/g, '\\.')}\\)$`,
          'm',
        ),
      );
      assert.match(r.stderr, /^ {2}hint: pass --token, set CAXTON_TOKEN, or point --data-dir/m);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('refuses a wrong token: exit 5, naming where it came from and not echoing it', async () => {
    const wrong = 'x'.repeat(43);
    const flag = await caxton(['status', '--addr', serve.address, '--token', wrong], { cwd: home });
    assert.equal(flag.code, 5, show(flag));
    assert.match(flag.stderr, new RegExp(`^caxton: the runtime at ${serve.address} rejected the token from --token$`, 'm'));
    assert.doesNotMatch(flag.stderr + flag.stdout, new RegExp(wrong));

    // Off by its last character (a different one, whatever the token ends with).
    const almost = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    const env = await caxton(['send', 'echo', 'inform', 'hi', '--addr', serve.address], { cwd: home, env: { CAXTON_TOKEN: almost } });
    assert.equal(env.code, 5, show(env));
    assert.match(env.stderr, /rejected the token from CAXTON_TOKEN$/m);
    assert.doesNotMatch(env.stderr, new RegExp(token.slice(0, 20)));

    // A token file from another node (another data dir) is just as wrong.
    const other = await tempDir('caxton-e2e-other-');
    try {
      await mkdir(path.join(other, 'd'));
      const { ensureAuthToken } = await import('@caxton/runtime');
      await ensureAuthToken(path.join(other, 'd'));
      const r = await caxton(['agents', '--addr', serve.address, '--data-dir', path.join(other, 'd')], { cwd: home });
      assert.equal(r.code, 5, show(r));
      assert.match(r.stderr, /rejected the token from .*auth-token/);
    } finally {
      await rm(other, { recursive: true, force: true });
    }

    const still = await caxton(['status', '--addr', serve.address], { cwd: home });
    assert.equal(still.code, 0, `the node keeps serving: ${show(still)}`);
  });

  it('uses a group-readable token file with a warning', async () => {
    const file = path.join(serve.dataDir, 'auth-token');
    await chmod(file, 0o640);
    try {
      const r = await caxton(['status', '--addr', serve.address], { cwd: home });
      assert.equal(r.code, 0, show(r));
      assert.match(
        r.stderr,
        /^caxton: warning: auth token file .*auth-token is group-accessible \(mode 0640\); members of its group can use the API$/m,
      );
    } finally {
      await chmod(file, 0o600);
    }
  });

  it('refuses a token file all users can read, in the CLI and at the next node start', async () => {
    const file = path.join(serve.dataDir, 'auth-token');
    await chmod(file, 0o644);
    try {
      const cli = await caxton(['status', '--addr', serve.address], { cwd: home });
      assert.equal(cli.code, 5, show(cli));
      assert.match(cli.stderr, /auth token file .*auth-token is accessible by all users \(mode 0644\)/);
      assert.match(cli.stderr, /hint: the token may have leaked: delete /);

      const stopped = await serve.stop({ keepData: true });
      assert.equal(stopped.code, 0, show(stopped));
      const restart = await caxton(['serve', '--data-dir', serve.dataDir, '--api-port', '0'], { cwd: home, timeoutMs: 60_000 });
      assert.equal(restart.code, 5, show(restart));
      assert.match(restart.stderr, /^caxton: auth token file .*auth-token is accessible by all users \(mode 0644\)$/m);
      assert.doesNotMatch(restart.stderr, /serving the API/);
    } finally {
      await chmod(file, 0o600);
    }
  });
});
