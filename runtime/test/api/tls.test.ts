/**
 * TLS and mutual TLS with certificates made by the system's openssl for this test (a throwaway CA,
 * a server certificate for 127.0.0.1, a client certificate).
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { ApiCallError } from '@caxton/client';
import { startHarness, tempDir, type Harness } from './support/harness.js';
import { hasOpenssl, makeCertificates } from './support/test-certificates.js';

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
    const noToken = await mtls.connect({
      token: undefined,
      tls: { caFile: certs.ca, certFile: certs.clientCert, keyFile: certs.clientKey },
    });
    const err = await noToken.status().catch((e: unknown) => e);
    assert.ok(err instanceof ApiCallError);
    assert.equal(err.statusName, 'UNAUTHENTICATED');
  });
});
