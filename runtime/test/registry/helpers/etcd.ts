/**
 * A real etcd for tests, started through the shared infra scripts (scripts/infra, which install
 * Debian's etcd-server on first use and reap the process if the test runner dies).
 */
import type { EtcdHandle, StartEtcdOptions } from '../../../../scripts/infra/index.mjs';

export type { EtcdHandle };

// Compiled tests run from runtime/dist/test/registry/helpers: five levels up is the repo root.
const infraUrl = new URL('../../../../../scripts/infra/index.mjs', import.meta.url);

export async function startEtcd(opts: StartEtcdOptions = {}): Promise<EtcdHandle> {
  const infra = (await import(infraUrl.href)) as typeof import('../../../../scripts/infra/index.mjs');
  return infra.startEtcd(opts);
}

/** The registry tests' free ports are everyone's (../../support/ports.ts). */
export { freePort } from '../../support/ports.js';
