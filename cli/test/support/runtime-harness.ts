/**
 * The runtime's API test harness (a real API server over the in-test MemoryNode). It is compiled
 * into runtime/dist/test, outside the runtime package's exports, so it is imported by URL; the
 * types come from the runtime project reference.
 */
type HarnessModule = typeof import('../../../runtime/test/api/support/harness.js');

export type { Harness } from '../../../runtime/test/api/support/harness.js';

const url = new URL('../../../../runtime/dist/test/api/support/harness.js', import.meta.url);

export async function harnessModule(): Promise<HarnessModule> {
  return (await import(url.href)) as HarnessModule;
}

type CertificatesModule = typeof import('../../../runtime/test/api/support/test-certificates.js');

/** Throwaway CA and server certificates made with openssl (runtime/test/api/support/test-certificates.ts). */
export async function certificatesModule(): Promise<CertificatesModule> {
  return (await import(
    new URL('../../../../runtime/dist/test/api/support/test-certificates.js', import.meta.url).href
  )) as CertificatesModule;
}
