/** `caxton deploy|upgrade` HTTP policy flags (cli/src/http-policy-flags.ts). */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { UsageError } from '../src/cli-error.js';
import { httpPolicyFromArgs, parseSize, type HttpPolicyArgs } from '../src/http-policy-flags.js';

const dir = mkdtempSync(path.join(tmpdir(), 'caxton-cli-http-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const none: HttpPolicyArgs = { allowHttp: [], allowHttpMethod: [], allowPrivateHttp: [] };

describe('HTTP policy flags', () => {
  it('no flags: no policy (deploy: none; upgrade: keep)', async () => {
    assert.equal(await httpPolicyFromArgs(none, dir), undefined);
  });

  it('rules, methods, private hosts, timeout, size and CA file', async () => {
    writeFileSync(path.join(dir, 'ca.pem'), 'PEM TEXT');
    const p = await httpPolicyFromArgs(
      {
        ...none,
        allowHttp: ['api.example.com/v1/', 'Internal.corp:8443'],
        allowHttpMethod: ['get', 'POST'],
        allowPrivateHttp: ['internal.corp'],
        httpTimeout: '5s',
        httpMaxResponse: '128KiB',
        httpCa: 'ca.pem',
      },
      dir,
    );
    assert.deepEqual(p, {
      allow: [
        { host: 'api.example.com', pathPrefixes: ['/v1/'], methods: ['GET', 'POST'] },
        { host: 'internal.corp', ports: [8443], methods: ['GET', 'POST'], allowPrivate: true },
      ],
      timeoutMs: 5000,
      maxResponseBytes: 128 * 1024,
      extraCaPem: 'PEM TEXT',
    });
  });

  it('mistakes are usage errors', async () => {
    const bad: Partial<HttpPolicyArgs>[] = [
      { allowHttp: ['https://api.example.com'] },
      { allowHttp: ['api.example.com:0'] },
      { allowHttpMethod: ['GET'] },
      { allowHttp: ['a.example.com'], allowPrivateHttp: ['b.example.com'] },
      { allowHttp: ['a.example.com'], httpTimeout: 'soon' },
      { allowHttp: ['a.example.com'], httpPolicy: 'p.json' },
      { httpPolicy: 'missing.json' },
    ];
    for (const b of bad) await assert.rejects(httpPolicyFromArgs({ ...none, ...b }, dir), UsageError, JSON.stringify(b));
  });

  it('--http-policy reads the JSON file', async () => {
    writeFileSync(path.join(dir, 'p.json'), JSON.stringify({ allow: [{ host: 'api.example.com' }], maxRedirects: 0 }));
    assert.deepEqual(await httpPolicyFromArgs({ ...none, httpPolicy: 'p.json' }, dir), {
      allow: [{ host: 'api.example.com' }],
      maxRedirects: 0,
    });
    writeFileSync(path.join(dir, 'bad.json'), '{"hosts":[]}');
    await assert.rejects(httpPolicyFromArgs({ ...none, httpPolicy: 'bad.json' }, dir), /needs an "allow" array/);
  });

  it('parseSize', () => {
    assert.equal(parseSize('1MiB', '--x'), 1024 * 1024);
    assert.equal(parseSize('500', '--x'), 500);
    assert.throws(() => parseSize('big', '--x'), UsageError);
  });
});
