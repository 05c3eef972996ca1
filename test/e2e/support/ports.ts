/**
 * Ports that are free now, for a test that must write them into configuration (a peers file)
 * before the processes that bind them start. Every probe stays open until all are chosen, so two
 * picks cannot return the same port; each is probed on the host it will be bound to (a wildcard
 * bind collides with a listener on any address). The port can still be taken between the pick
 * and the bind: the caller sees EADDRINUSE from the process, not a hang.
 */
import { createServer, type Server } from 'node:net';

/** One free port per host given, in order, all distinct. */
export async function freePorts(hosts: readonly string[]): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (const host of hosts) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, host, resolve);
      });
      ports.push((server.address() as { port: number }).port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

/** One port free a moment ago on `host` (a peer's address to write down, or a port nothing listens on). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [port] = await freePorts([host]);
  return port!;
}
