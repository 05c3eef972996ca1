/**
 * A loopback port that was free a moment ago (bound, then released): scripts/infra's one
 * definition, as the runtime's and the end-to-end tests' helpers use.
 */
import type * as Infra from '../../../scripts/infra/index.d.mts';

// Compiled tests run from cli/dist/test/support: four levels up is the repo root.
const infraUrl = new URL('../../../../scripts/infra/index.mjs', import.meta.url);

export async function freePort(): Promise<number> {
  const infra = (await import(infraUrl.href)) as typeof Infra;
  return infra.freePort();
}
