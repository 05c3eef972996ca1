import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mtpNodeOptions, platformOption } from '../src/commands/serve-mtp-node-options.js';
import { listenerSecurity } from '../src/commands/serve-listener-options.js';

test('--mtp-http is off by default, needs --mtp-peers, and reads the peers file relative to the working directory', () => {
  assert.equal(mtpNodeOptions({}, '/'), undefined);
  assert.throws(() => mtpNodeOptions({ mtpPeers: 'p.json' }, '/'), /--mtp-peers needs --mtp-http/);
  assert.throws(() => mtpNodeOptions({ mtpHttp: '127.0.0.1:7780' }, '/'), /--mtp-http needs --mtp-peers/);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'caxton-mtp-flags-'));
  try {
    const secret = 'a'.repeat(40);
    writeFileSync(path.join(dir, 'peers.json'), JSON.stringify({ peers: [{ platform: 'jade-1', secret }] }));
    assert.deepEqual(mtpNodeOptions({ mtpHttp: '127.0.0.1:7780', mtpPeers: 'peers.json' }, dir), {
      host: '127.0.0.1',
      port: 7780,
      peers: [{ platform: 'jade-1', secret, ratePerSecond: 200 }],
    });
    assert.throws(() => mtpNodeOptions({ mtpHttp: '7780', mtpPeers: 'peers.json' }, dir), /--mtp-http 7780 is not host:port/);
    assert.throws(() => mtpNodeOptions({ mtpHttp: '127.0.0.1:7780', mtpPeers: 'missing.json' }, dir), /--mtp-peers missing\.json/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--mtp-ca is read relative to the working directory, bounded before it is read, and needs --mtp-http', () => {
  assert.throws(() => mtpNodeOptions({ mtpCa: 'ca.pem' }, '/'), /--mtp-ca needs --mtp-http/);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'caxton-mtp-ca-'));
  try {
    writeFileSync(path.join(dir, 'peers.json'), JSON.stringify({ peers: [{ platform: 'jade-1', secret: 'b'.repeat(40) }] }));
    writeFileSync(path.join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    assert.equal(
      mtpNodeOptions({ mtpHttp: '127.0.0.1:7780', mtpPeers: 'peers.json', mtpCa: 'ca.pem' }, dir)?.caPem,
      '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    );
    writeFileSync(path.join(dir, 'huge.pem'), Buffer.alloc(300 * 1024, 0x41));
    assert.throws(
      () => mtpNodeOptions({ mtpHttp: '127.0.0.1:7780', mtpPeers: 'peers.json', mtpCa: 'huge.pem' }, dir),
      /--mtp-ca huge\.pem: .*is 307200 bytes, more than/,
    );
    // A device passes a size check by path (size 0) and reads without end: refused as not a regular file.
    assert.throws(
      () => mtpNodeOptions({ mtpHttp: '127.0.0.1:7780', mtpPeers: 'peers.json', mtpCa: '/dev/zero' }, dir),
      /--mtp-ca \/dev\/zero: .*not a regular file/,
    );
    assert.throws(
      () => mtpNodeOptions({ mtpHttp: '127.0.0.1:7780', mtpPeers: 'peers.json', mtpCa: 'missing.pem' }, dir),
      /--mtp-ca missing\.pem/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--listener-cert/--listener-key protect the MCP, A2A and MTP listeners together; half a pair or no listener is a usage error', () => {
  assert.deepEqual(listenerSecurity({}, '/'), {});
  assert.deepEqual(listenerSecurity({ mcp: '0.0.0.0:8090', listenerCert: 'c.pem', listenerKey: 'k.pem' }, '/etc/caxton'), {
    tls: { certFile: '/etc/caxton/c.pem', keyFile: '/etc/caxton/k.pem' },
  });
  assert.deepEqual(listenerSecurity({ a2a: '0.0.0.0:8091', listenerInsecure: true }, '/'), { insecure: true });
  assert.throws(
    () => listenerSecurity({ mtpHttp: '0.0.0.0:7780', listenerCert: 'c.pem' }, '/'),
    /--listener-cert and --listener-key go together/,
  );
  assert.throws(() => listenerSecurity({ listenerInsecure: true }, '/'), /need --mcp, --a2a or --mtp-http/);
});

test("--platform is checked as a peer's platform name is: a usage error with the grammar as its hint", () => {
  assert.equal(platformOption(undefined), undefined);
  assert.equal(platformOption('caxton-a'), 'caxton-a');
  assert.equal(platformOption('host:1099/JADE'), 'host:1099/JADE');
  for (const bad of ['relay@caxton', 'two words', '', '-leading', 'x'.repeat(129), 'tab\there']) {
    assert.throws(
      () => platformOption(bad),
      (err: Error & { hint?: string; exitCode?: number }) => {
        assert.match(err.message, /--platform ".*" is not a platform name/);
        assert.match(err.hint ?? '', /A-Z a-z 0-9 \. _ : \/ -/);
        return true;
      },
      bad,
    );
  }
});

test('--mtp-advertise: an http(s) URL without credentials, query or wildcard host; required when --mtp-http binds every interface', () => {
  assert.throws(() => mtpNodeOptions({ mtpAdvertise: 'http://10.0.0.5:7780/acc' }, '/'), /--mtp-advertise needs --mtp-http/);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'caxton-mtp-advertise-'));
  try {
    const secret = 'c'.repeat(40);
    writeFileSync(path.join(dir, 'peers.json'), JSON.stringify({ peers: [{ platform: 'caxton-b', secret }] }));
    const base = { mtpPeers: 'peers.json' };
    // Bound to one address: that address is given to peers unless another is named.
    assert.equal(mtpNodeOptions({ ...base, mtpHttp: '127.0.0.1:7780' }, dir, 'caxton-a')?.advertise, undefined);
    assert.equal(
      mtpNodeOptions({ ...base, mtpHttp: '0.0.0.0:7780', mtpAdvertise: 'https://caxton-a.example.com/fipa/acc/' }, dir, 'caxton-a')
        ?.advertise,
      'https://caxton-a.example.com/fipa/acc',
    );
    assert.equal(
      mtpNodeOptions({ ...base, mtpHttp: '[::]:7780', mtpAdvertise: 'http://[fd00::5]:7780/acc' }, dir, 'caxton-a', { insecure: true })
        ?.advertise,
      'http://[fd00::5]:7780/acc',
    );
    assert.equal(
      mtpNodeOptions({ ...base, mtpHttp: '0.0.0.0:7780', mtpAdvertise: 'http://127.0.0.1:7780/acc' }, dir, 'caxton-a')?.advertise,
      'http://127.0.0.1:7780/acc',
    );
    // Plain HTTP off loopback: --listener-insecure accepts it; a certificate on the ACC does not (it does not cover the advertised hop).
    assert.equal(
      mtpNodeOptions({ ...base, mtpHttp: '127.0.0.1:7780', mtpAdvertise: 'http://10.0.0.5:7780/acc' }, dir, 'caxton-a', { insecure: true })
        ?.advertise,
      'http://10.0.0.5:7780/acc',
    );
    assert.throws(
      () =>
        mtpNodeOptions({ ...base, mtpHttp: '127.0.0.1:7780', mtpAdvertise: 'http://10.0.0.5:7780/acc' }, dir, 'caxton-a', {
          tls: { certFile: '/c.pem', keyFile: '/k.pem' },
        }),
      (err: Error & { hint?: string; exitCode?: number }) => {
        assert.match(err.message, /--mtp-advertise "http:\/\/10\.0\.0\.5:7780\/acc" is plain HTTP off loopback/);
        assert.match(err.hint ?? '', /advertise an https:\/\/ URL.*--listener-insecure/);
        assert.equal(err.exitCode, 2);
        return true;
      },
    );
    for (const wildcard of ['0.0.0.0:7780', '[::]:7780', '[0:0:0:0:0:0:0:0]:7780', '0:7780', '0x0:7780', '[::ffff:0.0.0.0]:7780']) {
      assert.throws(
        () => mtpNodeOptions({ ...base, mtpHttp: wildcard }, dir, 'caxton-a'),
        (err: Error & { hint?: string }) => {
          assert.match(err.message, /listens on every interface, so it has no address to give peers/);
          assert.match(err.hint ?? '', /add --mtp-advertise/);
          return true;
        },
        wildcard,
      );
    }
    const refused: [string, RegExp][] = [
      ['ftp://10.0.0.5/acc', /is not an http:\/\/ or https:\/\/ URL/],
      ['10.0.0.5:7780/acc', /is not a URL/],
      ['not a url', /is not a URL/],
      ['http://user:pw@10.0.0.5:7780/acc', /carries credentials/],
      ['http://10.0.0.5:7780/acc?x=1', /has a query or fragment/],
      ['http://10.0.0.5:7780/acc#top', /has a query or fragment/],
      ['http://0.0.0.0:7780/acc', /names every interface/],
      ['http://[::]:7780/acc', /names every interface/],
      ['http://[::ffff:0:0]:7780/acc', /names every interface/],
      // Plain HTTP off loopback: a JADE peer would post its secret there in clear (decision 2040).
      ['http://10.0.0.5:7780/acc', /is plain HTTP off loopback/],
    ];
    for (const [url, why] of refused) {
      assert.throws(() => mtpNodeOptions({ ...base, mtpHttp: '127.0.0.1:7780', mtpAdvertise: url }, dir, 'caxton-a'), why, url);
    }
    // The node's own platform cannot be a peer: its names are this node's agents.
    assert.throws(() => mtpNodeOptions({ ...base, mtpHttp: '127.0.0.1:7780' }, dir, 'caxton-b'), /this node's own platform \(caxton-b\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--mtp-signing-key-file (or CAXTON_MTP_SIGNING_KEY_FILE) is resolved against the working directory and needs --mtp-http', () => {
  assert.throws(() => mtpNodeOptions({ mtpSigningKeyFile: 'k' }, '/'), /--mtp-signing-key-file needs --mtp-http/);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'caxton-mtp-sign-'));
  try {
    writeFileSync(path.join(dir, 'peers.json'), JSON.stringify({ peers: [{ platform: 'jade-1', secret: 'c'.repeat(40) }] }));
    const flags = { mtpHttp: '127.0.0.1:7780', mtpPeers: 'peers.json' };
    // The node reads and checks the file at start (decision 2188); the CLI names it.
    assert.equal(mtpNodeOptions({ ...flags, mtpSigningKeyFile: 'mtp.keys' }, dir)?.signingKeyFile, path.join(dir, 'mtp.keys'));
    const env = { CAXTON_MTP_SIGNING_KEY_FILE: 'from-env.keys' };
    assert.equal(mtpNodeOptions(flags, dir, 'caxton', {}, env)?.signingKeyFile, path.join(dir, 'from-env.keys'));
    assert.equal(
      mtpNodeOptions({ ...flags, mtpSigningKeyFile: 'flag.keys' }, dir, 'caxton', {}, env)?.signingKeyFile,
      path.join(dir, 'flag.keys'),
    );
    assert.equal(mtpNodeOptions(flags, dir, 'caxton', {}, { CAXTON_MTP_SIGNING_KEY_FILE: '' })?.signingKeyFile, undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
