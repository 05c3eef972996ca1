/**
 * Two Caxton platforms that require each other's signatures (decision 2188), each a real `caxton
 * serve` with `--mtp-signing-key-file` and the other's public key, `requireSignature: true`, in its
 * `--mtp-peers` file: an agent on caxton-a asks caxton-b's echo and gets its inform back, so each
 * node's posts verified at the other's ACC; serve prints the public key a peer lists. The refusals
 * (tampered, unsigned, other key) against a real JADE: runtime/test/mtp/jade-signed.test.ts.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { caxton, show, spawnCaxton } from './support/cli.js';
import { builtExample } from './support/paths.js';
import { stopStragglers } from './support/processes.js';
import { freePorts } from './support/ports.js';
import { startServe, tempDir, type Serve } from './support/serve.js';

const secret = (): string => randomBytes(32).toString('base64url');

/** A seed for a key file and its public key as a peers file lists it (RFC 8410 DER, computed here, not by the node). */
function platformKey(): { seed: string; publicKey: string } {
  const seed = randomBytes(32);
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  const pub = createPublicKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
  return {
    seed: seed.toString('base64'),
    publicKey: (pub.export({ format: 'der', type: 'spki' }) as Buffer).subarray(12).toString('base64'),
  };
}

describe('two caxton serve platforms requiring signed MTP messages', () => {
  let dir: string;
  let a: Serve | undefined;
  let b: Serve | undefined;
  const keyA = platformKey();
  const keyB = platformKey();

  before(async () => {
    dir = await tempDir('caxton-e2e-mtp-sig-');
  });
  after(async () => {
    await stopStragglers();
    if (a?.proc.running) await a.stop();
    if (b?.proc.running) await b.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("an agent on caxton-a asks echo@caxton-b; both posts are signed and each is verified at the other's ACC", async () => {
    const [aPort, bPort] = (await freePorts(['127.0.0.1', '127.0.0.1'])) as [number, number];
    const aToB = secret();
    const bToA = secret();
    writeFileSync(
      path.join(dir, 'a-peers.json'),
      JSON.stringify({
        peers: [
          {
            platform: 'caxton-b',
            secret: bToA,
            acc: `http://127.0.0.1:${bPort}/acc/${aToB}`,
            publicKeys: [{ id: 'b-1', key: keyB.publicKey }],
            requireSignature: true,
          },
        ],
      }),
    );
    writeFileSync(
      path.join(dir, 'b-peers.json'),
      JSON.stringify({
        peers: [
          {
            platform: 'caxton-a',
            secret: aToB,
            acc: `http://127.0.0.1:${aPort}/acc/${bToA}`,
            publicKeys: [{ id: 'a-1', key: keyA.publicKey }],
            requireSignature: true,
          },
        ],
      }),
    );
    writeFileSync(path.join(dir, 'a.keys'), `a-1 ${keyA.seed}\n`, { mode: 0o600 });
    writeFileSync(path.join(dir, 'b.keys'), `b-1 ${keyB.seed}\n`, { mode: 0o600 });
    const serve = (name: string, port: number): Promise<Serve> =>
      startServe({
        args: [
          '--platform',
          `caxton-${name}`,
          '--mtp-http',
          `127.0.0.1:${port}`,
          '--mtp-peers',
          path.join(dir, `${name}-peers.json`),
          '--mtp-signing-key-file',
          path.join(dir, `${name}.keys`),
        ],
      });
    [a, b] = await Promise.all([serve('a', aPort), serve('b', bPort)]);
    // What the operator gives the peer: serve prints the public key of the key that signs.
    assert.match(
      a.proc.stderr + a.proc.stdout,
      new RegExp(`MTP posts signed with key a-1, public key ${keyA.publicKey.replace(/[+/]/g, '\\$&')} `),
    );

    const [echo, relay] = await Promise.all([
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
    ]);
    assert.equal(echo.code, 0, show(echo));
    assert.equal(relay.code, 0, show(relay));
    const logs = spawnCaxton(['logs', 'relay', '-f', ...a.conn]);
    const sent = await caxton([
      'send',
      'relay',
      'request',
      'performative=request\nto=echo@caxton-b\nconversation-id=signed-across\ncontent=hello, signed',
      '--param',
      'X-puppet=do',
      ...a.conn,
    ]);
    assert.equal(sent.code, 0, show(sent));
    await logs.waitFor(
      (p) => /got inform from echo@caxton-b cid=signed-across irt=\S+ content=hello, signed/.test(p.stdout),
      "the inform from echo@caxton-b in relay's log",
      20_000,
    );
    await logs.stop();
    // Nothing was refused on either side: both ACCs' trails hold no signature refusal.
    for (const node of [a, b]) {
      const trail = await caxton(['audit', '--json', ...node.conn]);
      assert.equal(trail.code, 0, show(trail));
      assert.doesNotMatch(trail.stdout, /mtp\.signature-refused/);
    }
  });
});
