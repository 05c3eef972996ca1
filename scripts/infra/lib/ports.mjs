/** Loopback port helpers. Servers bind to 127.0.0.1 only, so that is where ports are probed. */
import fs from 'node:fs';
import net from 'node:net';

// Ports handed to servers are chosen below the kernel's ephemeral range. A port inside it can be
// taken by any outgoing connection's source port while its server is down — above all by a client
// reconnecting to that very port, which on loopback can connect to itself (TCP simultaneous open)
// and hold the port: a Kafka broker or etcd restarted in a test then found "its" port in use
// (a CI run failed so). Below the range no client ever gets the port by chance.
const LOWEST = 10_000;
const FALLBACK_EPHEMERAL_LOW = 32_768;
const PICKS = 64;

/** The first port of the kernel's ephemeral range (Linux), or the IANA default elsewhere. */
export function ephemeralLow() {
  try {
    const [low] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return Number.isInteger(low) && low > LOWEST + 1_000 ? low : FALLBACK_EPHEMERAL_LOW;
  } catch {
    return FALLBACK_EPHEMERAL_LOW;
  }
}

/** A random candidate in [LOWEST, ephemeralLow()): pure but for the random draw. */
export function portCandidate(low = ephemeralLow(), random = Math.random) {
  return LOWEST + Math.floor(random() * (low - LOWEST));
}

/**
 * Bind `port` on `host` and keep the listener: the caller closes it when every pick is made, so
 * picks made together are distinct. Resolves null when the port is taken.
 */
export function holdPort(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(null));
    srv.listen(port, host, () => resolve(srv));
  });
}

/** Close what holdPort returned. */
export function release(srv) {
  return new Promise((resolve) => srv.close(() => resolve()));
}

/**
 * A port that was free a moment ago, below the ephemeral range (see above); the OS's own pick if
 * PICKS random candidates were all taken. Racy by nature (another process may bind it before the
 * caller does), good enough for tests.
 */
export async function freePort(host = '127.0.0.1') {
  const low = ephemeralLow();
  for (let i = 0; i < PICKS; i++) {
    const port = portCandidate(low);
    const srv = await holdPort(port, host);
    if (srv) {
      await release(srv);
      return port;
    }
  }
  const srv = await holdPort(0, host);
  if (!srv) throw new Error(`no free port on ${host}`);
  const { port } = srv.address();
  await release(srv);
  return port;
}

/**
 * True when something accepts connections on 127.0.0.1:port. A connection that landed on itself
 * (its source port the port probed: nothing listens, the kernel paired the socket with itself) is
 * not a listener.
 */
export function portInUse(port, timeoutMs = 500) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    const done = (v) => {
      sock.destroy();
      resolve(v);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(sock.localPort !== port));
    sock.once('error', () => done(false));
  });
}

/**
 * Wait until none of `ports` is in use, for up to `waitMs`; the ports still in use then. A server's
 * own port can stay held for a moment after it stops (a client's socket still closing on it).
 */
export async function waitPortsFree(ports, waitMs, pollMs = 200) {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const busy = [];
    for (const p of ports) if (await portInUse(p)) busy.push(p);
    if (busy.length === 0 || Date.now() >= deadline) return busy;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
