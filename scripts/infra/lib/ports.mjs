/** Loopback port helpers. Servers bind to 127.0.0.1 only, so that is where ports are probed. */
import net from 'node:net';

/** A port that was free a moment ago (the OS picks it). Racy by nature, good enough for tests. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(addr.port));
    });
  });
}

/** True when something accepts connections on 127.0.0.1:port. */
export function portInUse(port, timeoutMs = 500) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    const done = (v) => { sock.destroy(); resolve(v); };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}
