/**
 * TLS and mutual TLS with certificates made by the system's openssl for this test (a throwaway CA,
 * a server certificate for 127.0.0.1, a client certificate).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiCallError } from '@caxton/client';
import { startHarness, tempDir, type Harness } from './support/harness.js';

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function makeCertificates(dir: string): Promise<Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey', string>> {
  const f = (name: string): string => path.join(dir, name);
  const ssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  };
  const ecKey = (name: string): void => ssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', f(name));
  ecKey('ca.key');
  ssl('req', '-x509', '-new', '-key', f('ca.key'), '-subj', '/CN=caxton-test-ca', '-days', '2', '-out', f('ca.pem'));
  await writeFile(f('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  await writeFile(f('client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    ecKey(`${who}.key`);
    ssl('req', '-new', '-key', f(`${who}.key`), '-subj', `/CN=caxton-${who}`, '-out', f(`${who}.csr`));
    ssl('x509', '-req', '-in', f(`${who}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2',
      '-extfile', f(`${who}.ext`), '-out', f(`${who}.pem`));
  }
  return { ca: f('ca.pem'), serverCert: f('server.pem'), serverKey: f('server.key'), clientCert: f('client.pem'), clientKey: f('client.key') };
}

describe('TLS', { skip: hasOpenssl() ? false : 'openssl is not installed' }, () => {
  let certDir: string;
  let certs: Awaited<ReturnType<typeof makeCertificates>>;
  let tls: Harness;
  let mtls: Harness;

  before(async () => {
    certDir = await tempDir('caxton-tls-');
    certs = await makeCertificates(certDir);
    // The harness' own client speaks plaintext: the plaintext test uses it, the others connect their own.
    tls = await startHarness({ tls: { certFile: certs.serverCert, keyFile: certs.serverKey } });
    mtls = await startHarness({ tls: { certFile: certs.serverCert, keyFile: certs.serverKey, caFile: certs.ca, requireClientCert: true } });
  });
  after(async () => {
    await tls?.close();
    await mtls?.close();
    await rm(certDir, { recursive: true, force: true });
  });

  it('serves clients that trust the CA', async () => {
    const client = await tls.connect({ tls: { caFile: certs.ca } });
    assert.equal((await client.status()).nodeId, 'node-test');
  });

  it('is unreachable in plaintext', async () => {
    const err = await tls.client.status().catch((e: unknown) => e);
    assert.ok(err instanceof ApiCallError);
    assert.equal(err.statusName, 'UNAVAILABLE');
  });

  it('requires a client certificate in mutual TLS', async () => {
    const without = await mtls.connect({ tls: { caFile: certs.ca } });
    const err = await without.status().catch((e: unknown) => e);
    assert.ok(err instanceof ApiCallError);
    assert.equal(err.statusName, 'UNAVAILABLE');
    const withCert = await mtls.connect({ tls: { caFile: certs.ca, certFile: certs.clientCert, keyFile: certs.clientKey } });
    assert.equal((await withCert.status()).nodeId, 'node-test');
  });

  it('still checks the bearer token over mutual TLS', async () => {
    const noToken = await mtls.connect({ token: undefined, tls: { caFile: certs.ca, certFile: certs.clientCert, keyFile: certs.clientKey } });
    const err = await noToken.status().catch((e: unknown) => e);
    assert.ok(err instanceof ApiCallError);
    assert.equal(err.statusName, 'UNAUTHENTICATED');
  });
});
