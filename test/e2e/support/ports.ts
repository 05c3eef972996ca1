/**
 * Ports that are free now, for a test that must write them into configuration (a peers file)
 * before the processes that bind them start. Every probe stays open until all are chosen, so two
 * picks cannot return the same port; each is probed on the host it will be bound to (a wildcard
 * bind collides with a listener on any address). Picks come from below the kernel's ephemeral
 * range (scripts/infra's one rule: no client's source port can take a port whose server is
 * restarting). The port can still be taken between the pick and the bind: the caller sees
 * EADDRINUSE from the process, not a hang.
 */
import type { Server } from 'node:net';
import type * as Infra from '../../../scripts/infra/index.d.mts';

// Compiled tests run from test/dist/e2e/support: four levels up is the repo root.
const infraUrl = new URL('../../../../scripts/infra/index.mjs', import.meta.url);
const PICKS = 64;

/** One free port per host given, in order, all distinct. */
export async function freePorts(hosts: readonly string[]): Promise<number[]> {
  const infra = (await import(infraUrl.href)) as typeof Infra;
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (const host of hosts) {
      let held: Server | null = null;
      for (let i = 0; i < PICKS && !held; i++) held = await infra.holdPort(infra.portCandidate(), host);
      held ??= await infra.holdPort(0, host);
      if (!held) throw new Error(`no free port on ${host}`);
      servers.push(held);
      ports.push((held.address() as { port: number }).port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => infra.release(s)));
  }
}

/** One port free a moment ago on `host` (a peer's address to write down, or a port nothing listens on). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [port] = await freePorts([host]);
  return port!;
}
