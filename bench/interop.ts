/**
 * Interop benchmark (`npm run bench -- interop [--samples N] [--window N] [--seconds S]`, issue 29):
 * request → reply round trips between a real node on loopback and the clients of other ecosystems,
 * every message persisted in the node's embedded log.
 *
 * a2a_p50_ms / a2a_p99_ms (and a2a_js_*): `@a2a-js/sdk`'s client, a blocking `message/send` on the
 * JSON-RPC binding (decision 1950) to the AssemblyScript echo (the JavaScript echo): one A2A task,
 * one FIPA request answered by `inform`, timed by the client, `--samples` sequential calls after a
 * warm-up.
 * mcp_p50_ms / mcp_p99_ms (and mcp_js_*): `@modelcontextprotocol/sdk`'s client, `tools/call` of the
 * AssemblyScript (JavaScript) shout service over streamable HTTP (decision 1900), the same way.
 * mtp_jade_p50_ms / mtp_jade_p99_ms: a real JADE 4.6.5 platform (CAXTON_JADE_JAR), the
 * AssemblyScript echo answering a JADE agent's requests over the FIPA HTTP MTP both ways (decision
 * 1910), request → inform one at a time, timed by the JADE agent (System.nanoTime).
 * mtp_jade_msgs_per_s: requests + informs per second with `--window` requests outstanding.
 * grpc_p50_ms / grpc_p99_ms: the gRPC path beside them, as `caxton send --wait` takes it (a tail
 * on a fresh conversation, ready, SendMessage to the AssemblyScript echo, its inform on the tail).
 * Without CAXTON_JADE_JAR the MTP part says why and how to get JADE, and the rest still runs.
 * SendMessage alone under load is `npm run bench -- api` (send_rpc_*).
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readTokenFile, tokenFilePath } from '@caxton/client';
import { resolveHttpPolicy, startNode, type RunningNode } from '@caxton/runtime';
import { artifact } from './lib-artifacts.js';
import { a2aRoundTrips, grpcRoundTrips, mcpRoundTrips, type RoundTrips } from './lib-interop-clients.js';
import { percentile, report } from './lib-output.js';
import { arg } from './lib-args.js';

const SAMPLES = Number(arg('samples', '500'));
const WARM_UP = Math.max(50, SAMPLES / 10);
const WINDOW = Number(arg('window', '1'));
const SECONDS = Number(arg('seconds', '5'));
const JAR = process.env['CAXTON_JADE_JAR'];
const SOURCE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'jade', 'MtpBenchPinger.java');
const withJade = JAR !== undefined && existsSync(JAR);

if (!withJade) {
  console.error(
    'interop: the JADE part (mtp_jade_*) is skipped: set CAXTON_JADE_JAR to a JADE 4.6.x jade.jar (https://jade.tilab.com, LGPL; or built from github.com/EnFlexIT/JADE) and have Java 17 on PATH',
  );
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function reportLatencies(prefix: string, ms: number[], how: string): void {
  report({ bench: 'interop', metric: `${prefix}_p50_ms`, value: Number(percentile(ms, 50).toFixed(3)), unit: 'ms', note: how });
  report({ bench: 'interop', metric: `${prefix}_p99_ms`, value: Number(percentile(ms, 99).toFixed(3)), unit: 'ms', note: how });
}

/** A2A and MCP through their official clients, to an AssemblyScript and a JavaScript agent each. */
async function measureClients(node: RunningNode, token: string): Promise<void> {
  const same: RoundTrips = { warmUp: WARM_UP, samples: SAMPLES, expect: (t) => t };
  const upper: RoundTrips = { ...same, expect: (t) => t.toUpperCase() };
  const card = (agent: string): string => `${node.a2aUrl!}/a2a/${agent}/.well-known/agent-card.json`;
  const tail = `on loopback, embedded log, ${SAMPLES} sequential calls after ${WARM_UP} untimed`;
  reportLatencies(
    'a2a',
    await a2aRoundTrips(card('echo'), token, same),
    `@a2a-js/sdk client, blocking message/send (JSON-RPC) → task → FIPA request to as-echo → inform → completed task, ${tail}`,
  );
  reportLatencies('a2a_js', await a2aRoundTrips(card('js-echo'), token, same), `the same to js-echo (JavaScript), ${tail}`);
  reportLatencies(
    'mcp',
    await mcpRoundTrips(node.mcpUrl!, token, 'shouter.shout', upper),
    `@modelcontextprotocol/sdk client, tools/call (streamable HTTP) → FIPA request to as-service → inform → tool result, ${tail}`,
  );
  reportLatencies(
    'mcp_js',
    await mcpRoundTrips(node.mcpUrl!, token, 'js-shouter.shout', upper),
    `the same to js-service (JavaScript), ${tail}`,
  );
  reportLatencies(
    'grpc',
    await grpcRoundTrips(`127.0.0.1:${node.apiPort}`, token, 'echo', same),
    `beside them, the gRPC API as caxton send --wait uses it: TailMessages on a fresh conversation, ready, SendMessage (fipa-request) to as-echo, its inform on the tail, ${tail}`,
  );
}

/** A JADE agent's requests to the AssemblyScript echo over the FIPA HTTP MTP, timed by JADE. */
async function measureJade(node: RunningNode, dir: string, jadeMtpPort: number, secret: string): Promise<void> {
  execFileSync('javac', ['-cp', JAR!, '-d', dir, SOURCE], { stdio: ['ignore', 'ignore', 'inherit'] });
  const jadeIntraPort = await freePort();
  const jade = spawn(
    'java',
    [
      '-cp',
      `${JAR!}${path.delimiter}${dir}`,
      'jade.Boot',
      '-mtps',
      `jade.mtp.http.MessageTransportProtocol(http://127.0.0.1:${jadeMtpPort}/acc)`,
      '-port',
      String(jadeIntraPort),
      '-local-host',
      '127.0.0.1',
      '-platform-id',
      'jade-bench',
      // JADE 4.6.5 batches 4+ messages queued for one receiver into a delivery its HTTP MTP cannot
      // send (decision 1951): off, so `--window` above 3 measures instead of stalling on failures.
      '-jade_core_messaging_MessageManager_enablemultipledelivery',
      'false',
      '-agents',
      `b:MtpBenchPinger(echo@caxton,${node.mtpUrl!}/${secret},${WARM_UP},${SAMPLES},${WINDOW},${SECONDS})`,
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  try {
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
    const value = (k: string): number => Number(new RegExp(`${k}=([0-9.Ee+-]+)`).exec(line)?.[1]);
    const how = `JADE 4.6.5 agent → Caxton as-echo → JADE over the FIPA HTTP MTP on loopback, embedded log, ${SAMPLES} sequential round trips`;
    report({ bench: 'interop', metric: 'mtp_jade_p50_ms', value: value('p50_ms'), unit: 'ms', note: how });
    report({ bench: 'interop', metric: 'mtp_jade_p99_ms', value: value('p99_ms'), unit: 'ms', note: how });
    report({
      bench: 'interop',
      metric: 'mtp_jade_msgs_per_s',
      value: Math.round(value('msgs_per_s')),
      unit: 'msg/s',
      note: `requests + informs, ${WINDOW} requests outstanding for ${SECONDS} s, one JADE agent, one Caxton echo`,
    });
  } finally {
    jade.kill('SIGTERM');
  }
}

const dir = mkdtempSync(path.join(tmpdir(), 'caxton-bench-interop-'));
try {
  const jadeMtpPort = await freePort();
  const secret = randomBytes(32).toString('base64url');
  const dataDir = path.join(dir, 'data');
  const node = await startNode({
    dataDir,
    apiHost: '127.0.0.1',
    apiPort: 0,
    auth: { mode: 'token' },
    a2a: { host: '127.0.0.1', port: 0 },
    mcp: { host: '127.0.0.1', port: 0 },
    ...(withJade
      ? {
          mtp: {
            host: '127.0.0.1',
            port: 0,
            peers: [{ platform: 'jade-bench', secret, acc: `http://127.0.0.1:${jadeMtpPort}/acc`, ratePerSecond: 100_000 }],
          },
        }
      : {}),
  });
  try {
    const token = await readTokenFile(tokenFilePath(dataDir));
    await node.control.deploy(
      {
        name: 'echo',
        config: {},
        limits: {},
        http: resolveHttpPolicy({ allow: [{ host: '127.0.0.1', ports: [jadeMtpPort], allowPrivate: true }] }, 'http'),
      },
      await artifact('as-echo'),
    );
    await node.control.deploy({ name: 'js-echo', config: {}, limits: {} }, await artifact('js-echo'));
    await node.control.deploy({ name: 'shouter', config: {}, limits: {} }, await artifact('as-service'));
    await node.control.deploy({ name: 'js-shouter', config: {}, limits: {} }, await artifact('js-service'));
    await measureClients(node, token);
    if (withJade) await measureJade(node, dir, jadeMtpPort, secret);
  } finally {
    await node.stop();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
