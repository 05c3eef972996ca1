/**
 * The node's name and ACC address to other platforms (decision 1910, "Two Caxton platforms from
 * the CLI"), checked by startNode itself for embedders: a wildcard ACC without `mtp.advertise`
 * and a platform name peers could not name are refused before the node makes anything.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { startNode } from '../../src/start/start-node.js';
import { checkAccAdvertise, isWildcardHost, MtpConfigError } from '../../src/mtp/index.js';

const peers = [{ platform: 'caxton-b', secret: 'd'.repeat(40), ratePerSecond: 200 }];

describe('the ACC address and platform name a node gives peers', () => {
  it('knows every-interface hosts, and gives the advertised URL, else the bound one', () => {
    // Every spelling that binds every interface, not only the usual one (net.listen takes them all).
    for (const h of [
      '0.0.0.0',
      '::',
      '[::]',
      '0:0:0:0:0:0:0:0',
      '::0',
      '',
      '0',
      '0x0',
      '0.0',
      '000.0.0.0',
      '::ffff:0.0.0.0',
      '[::ffff:0:0]',
    ])
      assert.ok(isWildcardHost(h), h);
    for (const h of ['127.0.0.1', '::1', '10.0.0.5', 'fd00::5', 'example.com']) assert.ok(!isWildcardHost(h), h);
    assert.equal(checkAccAdvertise({ host: '127.0.0.1', port: 7780 }), undefined);
    assert.equal(
      checkAccAdvertise({ host: '::', port: 7780, advertise: 'HTTPS://Caxton-A.example.com:443/acc//' }),
      'https://caxton-a.example.com/acc',
    );
    assert.throws(
      () => checkAccAdvertise({ host: '127.0.0.1', port: 7780, advertise: 'http://[::ffff:0:0]:7780/acc' }),
      /names every interface/,
    );
  });

  it('refuses a plain-http advertised address off loopback unless the ACC is insecure: a JADE peer posts its secret there (decision 2040)', () => {
    const plaintext = (e: unknown): boolean =>
      e instanceof MtpConfigError &&
      /--mtp-advertise "http:\/\/10\.0\.0\.5:7780\/acc" is plain HTTP off loopback/.test(e.message) &&
      /--listener-insecure/.test(e.hint ?? '');
    assert.throws(() => checkAccAdvertise({ host: '127.0.0.1', port: 7780, advertise: 'http://10.0.0.5:7780/acc' }), plaintext);
    // TLS on the ACC says nothing about a plain-HTTP hop named in the advertised address.
    assert.throws(
      () =>
        checkAccAdvertise({
          host: '127.0.0.1',
          port: 7780,
          tls: { certFile: 'c.pem', keyFile: 'k.pem' },
          advertise: 'http://10.0.0.5:7780/acc',
        }),
      plaintext,
    );
    assert.equal(
      checkAccAdvertise({ host: '127.0.0.1', port: 7780, insecure: true, advertise: 'http://10.0.0.5:7780/acc' }),
      'http://10.0.0.5:7780/acc',
    );
    assert.equal(checkAccAdvertise({ host: '0.0.0.0', port: 7780, advertise: 'http://127.0.0.1:7780/acc' }), 'http://127.0.0.1:7780/acc');
    assert.equal(checkAccAdvertise({ host: '0.0.0.0', port: 7780, advertise: 'https://10.0.0.5/acc' }), 'https://10.0.0.5/acc');
  });

  it('startNode refuses a wildcard ACC without mtp.advertise and a bad platform name before it makes anything', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-acc-advertise-'));
    try {
      const base = { apiHost: '127.0.0.1', apiPort: 0, auth: { mode: 'token' as const }, shards: 1 };
      await assert.rejects(
        startNode({
          ...base,
          dataDir: path.join(dir, 'a'),
          platform: 'caxton-a',
          mtp: { host: '0.0.0.0', port: 0, insecure: true, peers },
        }),
        (e: unknown) => e instanceof MtpConfigError && /listens on every interface/.test(e.message) && /--mtp-advertise/.test(e.hint ?? ''),
      );
      await assert.rejects(
        startNode({
          ...base,
          dataDir: path.join(dir, 'b'),
          platform: 'caxton-a',
          mtp: { host: '127.0.0.1', port: 0, advertise: 'http://[::]:7780/acc', peers },
        }),
        (e: unknown) => e instanceof MtpConfigError && /names every interface/.test(e.message),
      );
      await assert.rejects(
        startNode({ ...base, dataDir: path.join(dir, 'c'), platform: 'echo@caxton' }),
        (e: unknown) => e instanceof MtpConfigError && /--platform "echo@caxton" is not a platform name/.test(e.message),
      );
      for (const d of ['a', 'b', 'c']) assert.ok(!existsSync(path.join(dir, d)), `refused before the data directory ${d} was made`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
