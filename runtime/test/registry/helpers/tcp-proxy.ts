/**
 * A loopback TCP proxy in front of etcd, so a test can partition ONE node from etcd while its
 * peers keep talking to it: the only way to stop a single node's keep-alives without touching
 * the code under test. Real sockets, real gRPC on both sides.
 *
 * - blackhole(): existing connections stop forwarding and new ones are accepted but never answered
 *   (packets vanish: callers only notice through deadlines, the hard case for "no hang").
 * - refuse(): every connection is closed at once (callers see UNAVAILABLE immediately).
 * - heal(): drops the connections damaged by the partition and forwards again.
 */
import net from 'node:net';

export interface TcpProxy {
  readonly port: number;
  readonly endpoint: string;
  blackhole(): void;
  refuse(): void;
  heal(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, host = '127.0.0.1'): Promise<TcpProxy> {
  let mode: 'open' | 'blackhole' | 'refuse' = 'open';
  const conns = new Set<{ client: net.Socket; upstream: net.Socket | undefined; damaged: boolean }>();

  const server = net.createServer((client) => {
    const pair = { client, upstream: undefined as net.Socket | undefined, damaged: mode !== 'open' };
    conns.add(pair);
    const drop = () => {
      client.destroy();
      pair.upstream?.destroy();
      conns.delete(pair);
    };
    client.on('error', drop).on('close', drop);
    if (mode === 'refuse') return drop();
    if (mode === 'blackhole') return; // accepted, never answered
    const upstream = net.connect({ host, port: targetPort });
    pair.upstream = upstream;
    upstream.on('error', drop).on('close', drop);
    client.on('data', (d) => {
      if (mode === 'open' && !pair.damaged) upstream.write(d);
      else pair.damaged = true;
    });
    upstream.on('data', (d) => {
      if (mode === 'open' && !pair.damaged) client.write(d);
      else pair.damaged = true;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as net.AddressInfo).port;

  const destroyAll = (which: (p: { damaged: boolean }) => boolean) => {
    for (const p of [...conns]) {
      if (!which(p)) continue;
      p.client.destroy();
      p.upstream?.destroy();
      conns.delete(p);
    }
  };

  return {
    port,
    endpoint: `http://${host}:${port}`,
    blackhole() {
      mode = 'blackhole';
    },
    refuse() {
      mode = 'refuse';
      destroyAll(() => true);
    },
    heal() {
      mode = 'open';
      // Bytes were dropped mid-stream on these: HTTP/2 framing is broken, so close them cleanly.
      destroyAll((p) => p.damaged);
    },
    async close() {
      destroyAll(() => true);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
