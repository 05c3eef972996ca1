/**
 * Interop benchmark (`npm run bench -- interop [--samples N] [--window N] [--seconds S]`, issue 29,
 * decision 1910): a real JADE 4.6.5 platform (CAXTON_JADE_JAR) and a real node on loopback, the
 * AssemblyScript echo answering a JADE agent's requests over the FIPA HTTP MTP both ways (the
 * JADE agent's post to the node's ACC, the echo's post back to JADE's ACC under its egress rules).
 *
 * mtp_jade_p50_ms / mtp_jade_p99_ms: request → inform round trip, one at a time, timed by the JADE
 * agent (System.nanoTime), after a warm-up; the node persists every message (embedded log).
 * mtp_jade_msgs_per_s: requests + informs per second with `--window` requests outstanding.
 * Without CAXTON_JADE_JAR it prints why and how to get JADE, and reports nothing.
 * (A2A and MCP round trips belong here too: not measured yet.)
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveHttpPolicy, startNode } from '@caxton/runtime';
import { artifact } from './lib-artifacts.js';
import { report } from './lib-output.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const SAMPLES = Number(arg('samples', '500'));
const WINDOW = Number(arg('window', '1'));
const SECONDS = Number(arg('seconds', '5'));
const JAR = process.env['CAXTON_JADE_JAR'];
const SOURCE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'jade', 'MtpBenchPinger.java');

if (JAR === undefined || !existsSync(JAR)) {
  console.error('interop: skipped: set CAXTON_JADE_JAR to a JADE 4.6.x jade.jar (https://jade.tilab.com, LGPL; or built from github.com/EnFlexIT/JADE) and have Java 17 on PATH');
  process.exit(0);
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const dir = mkdtempSync(path.join(tmpdir(), 'caxton-bench-interop-'));
try {
  execFileSync('javac', ['-cp', JAR, '-d', dir, SOURCE], { stdio: ['ignore', 'ignore', 'inherit'] });
  const [jadeMtpPort, jadeIntraPort] = [await freePort(), await freePort()];
  const jadeAcc = `http://127.0.0.1:${jadeMtpPort}/acc`;
  const secret = randomBytes(32).toString('base64url');
  const node = await startNode({
    dataDir: path.join(dir, 'data'), apiHost: '127.0.0.1', apiPort: 0, auth: { mode: 'none' }, api: false,
    mtp: { host: '127.0.0.1', port: 0, peers: [{ platform: 'jade-bench', secret, acc: jadeAcc, ratePerSecond: 100_000 }] },
  });
  try {
    await node.control.deploy({
      name: 'echo', config: {}, limits: {},
      http: resolveHttpPolicy({ allow: [{ host: '127.0.0.1', ports: [jadeMtpPort], allowPrivate: true }] }, 'http'),
    }, await artifact('as-echo'));
    const jade = spawn('java', [
      '-cp', `${JAR}${path.delimiter}${dir}`, 'jade.Boot', '-mtps', `jade.mtp.http.MessageTransportProtocol(${jadeAcc})`,
      '-port', String(jadeIntraPort), '-local-host', '127.0.0.1', '-platform-id', 'jade-bench',
      '-agents', `b:MtpBenchPinger(echo@caxton,${node.mtpUrl!}/${secret},${Math.max(50, SAMPLES / 10)},${SAMPLES},${WINDOW},${SECONDS})`,
    ], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`JADE printed no RESULT within 180 s:\n${out.slice(-3000)}`)), 180_000);
      const take = (c: Buffer): void => {
        out += c.toString('utf8');
        const hit = out.split('\n').find((l) => l.startsWith('RESULT '));
        if (hit) {
          clearTimeout(timer);
          resolve(hit);
        }
      };
      jade.stdout!.on('data', take);
      jade.stderr!.on('data', take);
    });
    jade.kill('SIGTERM');
    const value = (k: string): number => Number(new RegExp(`${k}=([0-9.Ee+-]+)`).exec(line)?.[1]);
    const how = `JADE 4.6.5 agent → Caxton as-echo → JADE over the FIPA HTTP MTP on loopback, embedded log, ${SAMPLES} sequential round trips`;
    report({ bench: 'interop', metric: 'mtp_jade_p50_ms', value: value('p50_ms'), unit: 'ms', note: how });
    report({ bench: 'interop', metric: 'mtp_jade_p99_ms', value: value('p99_ms'), unit: 'ms', note: how });
    report({ bench: 'interop', metric: 'mtp_jade_msgs_per_s', value: Math.round(value('msgs_per_s')), unit: 'msg/s', note: `requests + informs, ${WINDOW} requests outstanding for ${SECONDS} s, one JADE agent, one Caxton echo` });
  } finally {
    await node.stop();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
