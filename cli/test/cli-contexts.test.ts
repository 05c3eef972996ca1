/**
 * Named contexts (decision 1840) as an operator uses them: the real `caxton` binary, a real API
 * server, a contexts file of the test's own (CAXTON_CONFIG): one context on the live node, one on a
 * port where nothing listens.
 */
import assert from 'node:assert/strict';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { certificatesModule, harnessModule, type Harness } from './support/runtime-harness.js';
import { caxton, type CliResult } from './support/run-cli.js';
import { freePort } from './support/ports.js';

function show(r: CliResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;
}

describe('caxton context against a running API', () => {
  let h: Harness;
  let work: string;
  let configFile: string;
  let tokenFile: string;
  let deadAddress: string;
  let run: (args: string[], env?: Record<string, string>) => Promise<CliResult>;

  before(async () => {
    const { startHarness, tempDir } = await harnessModule();
    h = await startHarness();
    work = await tempDir('caxton-contexts-');
    // A directory that does not exist yet: `context add` creates it.
    configFile = path.join(work, 'home', 'caxton', 'config.json');
    tokenFile = path.join(work, 'live.token');
    await writeFile(tokenFile, `${h.token}\n`, { mode: 0o600 });
    deadAddress = `127.0.0.1:${await freePort() /* nothing listens there */}`;
    // The working directory holds no ./.caxton: a token can only come from a flag, the environment or a context.
    await mkdir(path.join(work, 'cwd'));
    run = (args, env = {}) => caxton(args, { cwd: path.join(work, 'cwd'), env: { CAXTON_CONFIG: configFile, ...env } });
  });
  after(async () => {
    await h.close();
    await rm(work, { recursive: true, force: true });
  });

  it('adds contexts to a new 0600 file, refusing a duplicate without --force', async () => {
    const live = await run(['context', 'add', 'live', '--address', h.address, '--token-file', tokenFile]);
    assert.equal(live.code, 0, show(live));
    assert.match(live.stdout, new RegExp(`^saved context live \\(${h.address}\\) in ${configFile.replace(/[.\\]/g, '\\$&')}$`, 'm'));
    const dead = await run(['context', 'add', 'dead', '--address', deadAddress]);
    assert.equal(dead.code, 0, show(dead));
    assert.equal((await stat(configFile)).mode & 0o777, 0o600);
    assert.equal((await stat(path.dirname(configFile))).mode & 0o777, 0o700);
    assert.deepEqual(await readdir(path.dirname(configFile)), ['config.json'], 'no temporary file is left behind');

    const again = await run(['context', 'add', 'live', '--address', deadAddress]);
    assert.equal(again.code, 6, show(again));
    assert.match(again.stderr, /context live exists already\n {2}hint: replace it with `caxton context add live … --force`/);
    const forced = await run(['context', 'add', 'live', '--address', h.address, '--token-file', tokenFile, '--output', 'json', '--force']);
    assert.equal(forced.code, 0, show(forced));

    const list = await run(['context', 'list', '--json']);
    assert.equal(list.code, 0, show(list));
    assert.deepEqual(JSON.parse(list.stdout), [
      { name: 'dead', current: false, address: deadAddress, tls: false },
      { name: 'live', current: false, address: h.address, tls: false, tokenFile, output: 'json' },
    ]);
  });

  it('refuses a token, and connection flags that context add would drop', async () => {
    const token = await run(['context', 'add', 'x', '--address', h.address, '--token', h.token]);
    assert.equal(token.code, 2, show(token));
    assert.match(token.stderr, /a context never stores a token, only the path of a token file/);
    const addr = await run(['context', 'add', 'x', '--addr', h.address]);
    assert.equal(addr.code, 2, show(addr));
    assert.match(addr.stderr, /context add saves --address, not --addr/);
  });

  it('talks to the context named for one call, with its token file and default output', async () => {
    const r = await run(['--context', 'live', 'agents']);
    assert.equal(r.code, 0, show(r));
    assert.deepEqual(JSON.parse(r.stdout), [], "live's default output is JSON");
    const text = await run(['--context', 'live', 'agents', '--no-json']);
    assert.equal(text.code, 0, show(text));
    assert.match(text.stdout, /^No agents deployed/, '--no-json beats the context');

    const dead = await run(['--context', 'dead', 'agents', '--timeout', '10']);
    assert.equal(dead.code, 4, show(dead));
    assert.match(dead.stderr, new RegExp(`^caxton: could not reach dead \\(${deadAddress}\\): connect ECONNREFUSED`));
    assert.match(dead.stderr, /caxton context show dead/);
  });

  it('uses the current context until another is chosen; flags and the environment beat it', async () => {
    const use = await run(['context', 'use', 'dead']);
    assert.equal(use.code, 0, show(use));
    assert.equal(use.stdout, `now using context dead (${deadAddress})\n`);
    assert.equal((await run(['context', 'current'])).stdout, 'dead\n');

    const current = await run(['agents', '--timeout', '10']);
    assert.equal(current.code, 4, show(current));
    assert.match(current.stderr, /could not reach dead/);

    const perCall = await run(['--context', 'live', 'agents']);
    assert.equal(perCall.code, 0, `--context beats the current context: ${show(perCall)}`);

    const flag = await run(['agents', '--json', '--addr', h.address, '--token-file', tokenFile]);
    assert.equal(flag.code, 0, `--addr beats the current context: ${show(flag)}`);
    assert.deepEqual(JSON.parse(flag.stdout), []);
    const fromEnv = await run(['agents', '--json'], { CAXTON_ADDR: h.address, CAXTON_TOKEN: h.token });
    assert.equal(fromEnv.code, 0, `CAXTON_ADDR beats the current context: ${show(fromEnv)}`);

    // An explicit address does not take the current context's token along: none is found here.
    const noToken = await run(['agents', '--addr', h.address], {});
    assert.equal(noToken.code, 5, show(noToken));

    // The environment beats --context too, and the CLI says so.
    const envOverContext = await run(['--context', 'dead', 'agents', '--json'], { CAXTON_ADDR: h.address });
    assert.equal(envOverContext.code, 5, `the address is the live node's, the dead context has no token: ${show(envOverContext)}`);
    assert.match(envOverContext.stderr, /^caxton: note: CAXTON_ADDR overrides the address of context dead$/m);
    assert.match(envOverContext.stderr, /requires a token and context dead names no token file/);
  });

  it('lists the known contexts for an unknown name', async () => {
    const r = await run(['--context', 'staging', 'agents']);
    assert.equal(r.code, 3, show(r));
    assert.equal(r.stderr, 'caxton: no context named "staging"\n  hint: known contexts: dead, live (`caxton context list`)\n');
  });

  it('shows a context', async () => {
    const r = await run(['context', 'show', 'dead']);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /^name\s+dead \(current\)$/m);
    assert.match(r.stdout, new RegExp(`^address\\s+${deadAddress}$`, 'm'));
  });

  it('removes contexts; removing the current one leaves none current', async () => {
    const r = await run(['context', 'remove', 'dead']);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stderr, /dead was the current context; there is none now/);
    const current = await run(['context', 'current']);
    assert.equal(current.code, 3, show(current));
    assert.match(current.stderr, /no current context/);
    const json = await run(['context', 'add', 'spare', '--address', deadAddress, '--json']);
    assert.equal(json.code, 0, show(json));
    assert.deepEqual(JSON.parse(json.stdout), { name: 'spare', current: false, address: deadAddress, tls: false });
    const removed = await run(['context', 'remove', 'spare', '--json']);
    assert.deepEqual(JSON.parse(removed.stdout), { removed: 'spare', current: null });
    const again = await run(['context', 'remove', 'dead']);
    assert.equal(again.code, 3, show(again));
    assert.match(again.stderr, /known contexts: live/);
    assert.equal((await stat(configFile)).mode & 0o777, 0o600, 'still 0600 after rewrites');
  });

  it('names the file and the field of a hand-edited file that is wrong, and reads no file when the address is given', async () => {
    await writeFile(configFile, JSON.stringify({ version: 1, contexts: { live: { address: h.address, tokenFile: 'live.token' } } }));
    const r = await run(['agents']);
    assert.equal(r.code, 2, show(r));
    assert.equal(r.stderr.split('\n')[0], `caxton: ${configFile}: contexts.live.tokenFile: "live.token" is not an absolute path`);
    assert.match(r.stderr, /\n {2}hint: paths in contexts are absolute/);
    const list = await run(['context', 'list']);
    assert.equal(list.code, 2, show(list));

    const explicit = await run(['agents', '--json', '--addr', h.address, '--token-file', tokenFile]);
    assert.equal(explicit.code, 0, `an explicit address needs no contexts file: ${show(explicit)}`);
  });

  it('connects with the CA and server name a context saved; a flag beats the saved name', async (t) => {
    const { hasOpenssl, makeCertificates } = await certificatesModule();
    if (!hasOpenssl()) return t.skip('openssl is not installed');
    const { startHarness } = await harnessModule();
    const certDir = path.join(work, 'certs');
    await mkdir(certDir);
    const certs = await makeCertificates(certDir);
    const tls = await startHarness({ tls: { certFile: certs.serverCert, keyFile: certs.serverKey } });
    // The previous case left a broken file: moved away, as its hint says.
    await rm(configFile, { force: true });
    try {
      const tlsToken = path.join(work, 'tls.token');
      await writeFile(tlsToken, `${tls.token}\n`, { mode: 0o600 });
      // Relative paths, as typed in the certificate directory: stored absolute.
      const add = await caxton(
        [
          'context',
          'add',
          'secure',
          '--address',
          tls.address,
          '--ca-file',
          'ca.pem',
          '--server-name',
          'localhost',
          '--token-file',
          tlsToken,
        ],
        { cwd: certDir, env: { CAXTON_CONFIG: configFile } },
      );
      assert.equal(add.code, 0, show(add));
      const saved = await run(['context', 'show', 'secure', '--json']);
      assert.deepEqual(JSON.parse(saved.stdout), {
        name: 'secure',
        current: false,
        address: tls.address,
        tls: true,
        caFile: certs.ca,
        serverName: 'localhost',
        tokenFile: tlsToken,
      });

      const r = await run(['--context', 'secure', 'agents', '--json']);
      assert.equal(r.code, 0, show(r));
      assert.deepEqual(JSON.parse(r.stdout), []);
      const wrongName = await run(['--context', 'secure', 'agents', '--tls-server-name', 'not-in-the.certificate', '--timeout', '10']);
      assert.equal(wrongName.code, 4, show(wrongName));
      assert.match(wrongName.stderr, /^caxton: could not reach secure \(/);
    } finally {
      await tls.close();
    }
  });
});
