/**
 * Tokens as operators meet them (decision 1401), with real `caxton` processes against a real node
 * listening on all interfaces: serve warns that its API is plaintext beyond loopback; --token works
 * but warns, --token-file and CAXTON_TOKEN do not; the CLI refuses to send a token in plaintext to
 * the machine's non-loopback address unless --insecure; `caxton token rotate` issues new tokens and
 * the old ones work inside the overlap and are refused after it; the read-only token sees agent
 * config redacted; an operator may not send as ams@… or as a deployed agent.
 */
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { caxton, show } from './support/cli.js';
import { builtExample } from './support/paths.js';
import { stopStragglers } from './support/processes.js';
import { startServe, tempDir, type Serve } from './support/serve.js';

/** A non-loopback IPv4 address of this machine, if it has one. */
const externalIp = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && !i.internal && i.family === 'IPv4')?.address;
/** `token rotate --overlap` tried in turn: a short one, then (only if the checks ran past it) a generous one. */
const ROTATE_OVERLAPS = ['20s', '45s'];

describe('tokens through the CLI, against a real caxton serve on 0.0.0.0', () => {
  let work: string;
  let serve: Serve;
  let local: string;
  let adminToken: string;
  let readToken: string;
  const readTokens = async (): Promise<{ admin: string; read: string }> => ({
    admin: (await readFile(path.join(serve.dataDir, 'auth-token'), 'utf8')).trim(),
    read: (await readFile(path.join(serve.dataDir, 'auth-token.read'), 'utf8')).trim(),
  });
  /** A client elsewhere on the machine: no data dir to find tokens in. */
  const as = (token: string, args: string[], extra: string[] = []): ReturnType<typeof caxton> =>
    caxton([...args, '--addr', local, ...extra], { cwd: work, env: { CAXTON_TOKEN: token } });

  before(async () => {
    work = await tempDir('caxton-e2e-tokens-');
    serve = await startServe({ args: ['--api-host', '0.0.0.0'] });
    local = `127.0.0.1:${serve.address.split(':').pop()}`;
    ({ admin: adminToken, read: readToken } = await readTokens());
    const d = await as(adminToken, [
      'deploy',
      builtExample('as-echo', 'as-echo.wasm'),
      '--name',
      'echo',
      '--config',
      'apiKey=sk-secret-123',
      '--config',
      'region=eu',
      '-q',
    ]);
    assert.equal(d.code, 0, show(d));
  });
  after(async () => {
    await stopStragglers();
    if (serve?.proc.running) await serve.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('serve warns loudly that its API is plaintext beyond loopback', () => {
    assert.match(serve.proc.stderr, /WARNING: the API on 0\.0\.0\.0 is PLAINTEXT \(no TLS\)/);
  });

  it('--token works but warns; --token-file and CAXTON_TOKEN do not warn', async () => {
    await writeFile(path.join(work, 'token'), `${adminToken}\n`, { mode: 0o600 });
    const [flag, file, env] = await Promise.all([
      caxton(['status', '--json', '--addr', local, '--token', adminToken], { cwd: work }),
      caxton(['status', '--json', '--addr', local, '--token-file', 'token'], { cwd: work }),
      as(adminToken, ['status', '--json']),
    ]);
    assert.equal(flag.code, 0, show(flag));
    assert.match(flag.stderr, /warning: --token puts the token on the command line.*use --token-file or CAXTON_TOKEN/);
    assert.equal(file.code, 0, show(file));
    assert.equal(env.code, 0, show(env));
    for (const r of [file, env]) assert.doesNotMatch(r.stderr, /warning/);
  });

  it('refuses to send a token in plaintext to a non-loopback address unless --insecure', {
    skip: externalIp === undefined && 'this machine has no non-loopback IPv4 address (the unit test covers the decision)',
  }, async () => {
    const remote = `${externalIp}:${serve.address.split(':').pop()}`;
    const refused = await caxton(['status', '--addr', remote], { cwd: work, env: { CAXTON_TOKEN: adminToken } });
    assert.equal(refused.code, 2, show(refused));
    assert.match(refused.stderr, new RegExp(`refusing to send the API token in plaintext to ${remote.replace(/\./g, '\\.')}`));
    assert.match(refused.stderr, /hint: connect with TLS .* pass --insecure/);
    const insecure = await caxton(['status', '--json', '--addr', remote, '--insecure'], { cwd: work, env: { CAXTON_TOKEN: adminToken } });
    assert.equal(insecure.code, 0, show(insecure));
    assert.equal((JSON.parse(insecure.stdout) as { nodeId: string }).nodeId, serve.nodeId);
  });

  it('the read-only token sees agent config redacted (keys kept) in list and detail; admin sees the values', async () => {
    const list = await as(readToken, ['agents', '--json']);
    assert.equal(list.code, 0, show(list));
    assert.deepEqual((JSON.parse(list.stdout) as { config: Record<string, string> }[])[0]!.config, {
      apiKey: '<redacted>',
      region: '<redacted>',
    });
    const detail = await as(readToken, ['agents', 'echo']);
    assert.match(detail.stdout, /config +apiKey=<redacted>, region=<redacted>/);
    assert.doesNotMatch(detail.stdout + list.stdout, /sk-secret-123/);
    const admin = await as(adminToken, ['agents', 'echo', '--json']);
    assert.deepEqual((JSON.parse(admin.stdout) as { config: Record<string, string> }).config, { apiKey: 'sk-secret-123', region: 'eu' });
  });

  it('an operator may not send as a platform identity or a deployed agent, and may as its own identity', async () => {
    const raw = (sender: string): string =>
      JSON.stringify({ performative: 'inform', sender: { name: sender }, receiver: [{ name: 'echo@caxton' }], content: 'hi' });
    // Side by side: each is its own CLI process, seconds apiece on a loaded machine.
    const refused = [
      ['ams@caxton', 'platform identity'],
      ['df@caxton', 'platform identity'],
      ['echo', 'deployed agent'],
      ['echo@caxton', 'deployed agent'],
    ] as const;
    const [ok, ...results] = await Promise.all([
      as(adminToken, ['send', '--raw', raw('ops-alice@caxton')]),
      ...refused.map(([sender]) => as(adminToken, ['send', '--raw', raw(sender)])),
    ]);
    for (const [i, [sender, why]] of refused.entries()) {
      const r = results[i]!;
      assert.equal(r.code, 5, `${sender}: ${show(r)}`);
      assert.match(r.stderr, new RegExp(`the operator may not send as ${sender}: it is a ${why}`));
    }
    assert.equal(ok.code, 0, show(ok));
  });

  it('token rotate: new tokens in the files and printed once; old ones work inside the overlap and are refused after', async (t) => {
    // The overlap is waited out below, so its length is the test's: a short one first. The checks
    // inside it run in parallel, but a CLI process takes seconds on a loaded machine; if they were
    // not all done before the overlap ended, what they saw proves nothing either way, and the
    // rotation is made again with a generous overlap, where every check below is made in full.
    let old = { admin: adminToken, read: readToken };
    let rotated: { adminToken: string; readToken: string; previousValidUntil: number } | undefined;
    for (const [attempt, overlap] of ROTATE_OVERLAPS.entries()) {
      const r = await as(old.admin, ['token', 'rotate', '--overlap', overlap, '--json']);
      assert.equal(r.code, 0, show(r));
      rotated = JSON.parse(r.stdout) as { adminToken: string; readToken: string; previousValidUntil: number };
      assert.deepEqual(await readTokens(), { admin: rotated.adminToken, read: rotated.readToken });
      assert.notEqual(rotated.adminToken, old.admin);
      // Inside the overlap: old and new both work, each in its role.
      const [oldReadSend, ...looks] = await Promise.all([
        as(old.read, ['send', 'echo', 'inform', 'x']),
        ...[old.admin, rotated.adminToken, old.read, rotated.readToken].map((token) => as(token, ['agents', '--json'])),
      ]);
      const overran = Date.now() - rotated.previousValidUntil;
      if (overran >= 0 && attempt < ROTATE_OVERLAPS.length - 1) {
        t.diagnostic(`the checks inside a ${overlap} overlap ended ${overran} ms after it: rotating again with a longer one`);
        old = { admin: rotated.adminToken, read: rotated.readToken };
        continue;
      }
      for (const ok of looks) assert.equal(ok.code, 0, show(ok));
      assert.equal(oldReadSend.code, 5, 'the old read token is still read-only');
      assert.match(oldReadSend.stderr, /read-only token may not call SendMessage/);
      break;
    }
    const wait = rotated!.previousValidUntil - Date.now() + 200;
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    for (const token of [old.admin, old.read]) {
      const refused = await as(token, ['agents', '--json']);
      assert.equal(refused.code, 5, show(refused));
      assert.match(refused.stderr, /rejected the token from CAXTON_TOKEN/);
    }
    const fresh = await caxton(['agents', '--json', ...serve.conn.map((a) => (a === serve.address ? local : a))], { cwd: work });
    assert.equal(fresh.code, 0, `the new token file works for clients on the node's machine: ${show(fresh)}`);
  });
});
