/**
 * Two Caxton platforms peering over the FIPA HTTP MTP (decision 1910, "Two Caxton platforms"),
 * each a real `caxton serve` started as an operator would: its own `--platform`, the other as its
 * peer in `--mtp-peers`. caxton-a's ACC listens on every interface and gives peers the address
 * `--mtp-advertise` names; caxton-b answers there. An agent on caxton-a (the conformance puppet,
 * told by `caxton send` what to send) asks caxton-b's echo; the echo's inform comes back to it.
 * The operator cannot send to a peer's agent directly: only agents' sends leave the node, under
 * their deployment's egress rules (decision 1910), so the request goes through the puppet.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { caxton, show, spawnCaxton } from './support/cli.js';
import { builtExample } from './support/paths.js';
import { stopStragglers, type Proc } from './support/processes.js';
import { freePorts } from './support/ports.js';
import { startServe, tempDir, type Serve } from './support/serve.js';

/** Who serve's `{"event":"serving",…}` line says the node is: on stdout, so not raced against stderr's notes. */
function servingIdentity(proc: Proc): { platform?: string; mtp?: string; mtpAdvertised?: string } {
  for (const line of proc.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const e = JSON.parse(line) as { event?: string; platform?: string; mtp?: string; mtpAdvertised?: string };
    if (e.event === 'serving') return { platform: e.platform, mtp: e.mtp, mtpAdvertised: e.mtpAdvertised };
  }
  throw new Error(`no serving event on stdout:\n${proc.stdout}`);
}

const secret = (): string => randomBytes(32).toString('base64url');

describe('two caxton serve platforms over the FIPA HTTP MTP', () => {
  let dir: string;
  let a: Serve | undefined;
  let b: Serve | undefined;
  let aPort: number;
  let bPort: number;

  before(async () => {
    dir = await tempDir('caxton-e2e-mtp-');
    // The peers files name both ACCs before either node starts: ports picked now, each on the
    // host it is bound to (caxton-a's ACC on every interface).
    [aPort, bPort] = (await freePorts(['0.0.0.0', '127.0.0.1'])) as [number, number];
    const aToB = secret(); // what caxton-a posts to caxton-b with
    const bToA = secret(); // what caxton-b posts to caxton-a with
    writeFileSync(
      path.join(dir, 'a-peers.json'),
      JSON.stringify({ peers: [{ platform: 'caxton-b', secret: bToA, acc: `http://127.0.0.1:${bPort}/acc/${aToB}` }] }),
    );
    writeFileSync(
      path.join(dir, 'b-peers.json'),
      JSON.stringify({ peers: [{ platform: 'caxton-a', secret: aToB, acc: `http://127.0.0.1:${aPort}/acc/${bToA}` }] }),
    );
  });
  after(async () => {
    await stopStragglers();
    if (a?.proc.running) await a.stop();
    if (b?.proc.running) await b.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses an ACC on every interface without --mtp-advertise (the other refusals: cli/test/serve-mtp-options.test.ts)', async () => {
    const wildcard = await caxton(
      [
        'serve',
        '--data-dir',
        path.join(dir, 'refused'),
        '--api-port',
        '0',
        '--platform',
        'caxton-a',
        '--mtp-http',
        '0.0.0.0:0',
        '--mtp-peers',
        path.join(dir, 'a-peers.json'),
        '--listener-insecure',
      ],
      { timeoutMs: 20_000 },
    );
    assert.equal(wildcard.code, 2, show(wildcard));
    assert.match(wildcard.stderr, /--mtp-http 0\.0\.0\.0:0 listens on every interface, so it has no address to give peers/);
    assert.match(wildcard.stderr, /--mtp-advertise <the URL peers reach this ACC at>/);
  });

  it('an agent on caxton-a asks echo@caxton-b and gets its inform back at the advertised address', async () => {
    [a, b] = await Promise.all([
      startServe({
        args: [
          '--platform',
          'caxton-a',
          '--mtp-http',
          `0.0.0.0:${aPort}`,
          '--listener-insecure',
          '--mtp-advertise',
          `http://127.0.0.1:${aPort}/acc/`,
          '--mtp-peers',
          path.join(dir, 'a-peers.json'),
        ],
      }),
      startServe({ args: ['--platform', 'caxton-b', '--mtp-http', `127.0.0.1:${bPort}`, '--mtp-peers', path.join(dir, 'b-peers.json')] }),
    ]);
    // Each node tells who it is and where peers reach its ACC, in serve's `serving` event, and its
    // platform in `caxton status` (below; the text form: cli/test/format.test.ts).
    assert.deepEqual(servingIdentity(a.proc), {
      platform: 'caxton-a',
      mtp: `http://0.0.0.0:${aPort}/acc`,
      mtpAdvertised: `http://127.0.0.1:${aPort}/acc`,
    });
    assert.deepEqual(servingIdentity(b.proc), {
      platform: 'caxton-b',
      mtp: `http://127.0.0.1:${bPort}/acc`,
      mtpAdvertised: `http://127.0.0.1:${bPort}/acc`,
    });
    // Each agent may post only to the other platform's ACC (loopback: --allow-private-http).
    const [echo, relay, statusB] = await Promise.all([
      caxton([
        'deploy',
        builtExample('as-echo', 'as-echo.wasm'),
        '--name',
        'echo',
        '--allow-http',
        `127.0.0.1:${aPort}`,
        '--allow-private-http',
        '127.0.0.1',
        ...b.conn,
      ]),
      caxton([
        'deploy',
        builtExample('conformance/puppet', 'conformance-puppet.wasm'),
        '--name',
        'relay',
        '--allow-http',
        `127.0.0.1:${bPort}`,
        '--allow-private-http',
        '127.0.0.1',
        ...a.conn,
      ]),
      caxton(['status', '--json', ...b.conn]),
    ]);
    assert.equal(echo.code, 0, show(echo));
    assert.equal(relay.code, 0, show(relay));
    assert.equal(statusB.code, 0, show(statusB));
    assert.equal((JSON.parse(statusB.stdout) as { platform?: string }).platform, 'caxton-b');
    const logs = spawnCaxton(['logs', 'relay', '-f', ...a.conn]);

    const sent = await caxton([
      'send',
      'relay',
      'request',
      'performative=request\nto=echo@caxton-b\nconversation-id=across\ncontent=hello from caxton-a',
      '--param',
      'X-puppet=do',
      ...a.conn,
    ]);
    assert.equal(sent.code, 0, show(sent));
    // The echo answered relay@caxton-a at the address caxton-a advertised: had it written its
    // wildcard bind (http://0.0.0.0:…), caxton-b would have refused to post there.
    await logs.waitFor(
      (p) => /got inform from echo@caxton-b cid=across irt=\S+ content=hello from caxton-a/.test(p.stdout),
      "the inform from echo@caxton-b in relay's log",
      20_000,
    );
    await logs.stop();
  });
});
