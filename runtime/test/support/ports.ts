/**
 * A loopback port that was free a moment ago, for a test that must name it before a process binds
 * it (a peer's address, a port nothing listens on): scripts/infra's one definition, the one the
 * Kafka and etcd servers the tests start are given their ports by.
 */
import type * as Infra from '../../../scripts/infra/index.d.mts';

// Compiled tests run from runtime/dist/test/support: four levels up is the repo root.
const infraUrl = new URL('../../../../scripts/infra/index.mjs', import.meta.url);

export async function freePort(): Promise<number> {
  const infra = (await import(infraUrl.href)) as typeof Infra;
  return infra.freePort();
}
