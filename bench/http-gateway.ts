/**
 * Outbound HTTP gateway benchmark (`npm run bench -- http-gateway [--calls N]`, decision 1601).
 *
 * http_gateway_overhead_p50_ms: what the gateway adds to one call over a plain Node request to the
 * same local server: p50 of (gateway call) minus p50 of (direct request). A gateway call is the
 * whole path the node runs: allow-list recheck, name resolution and address check, the pinned
 * connection (keep-alive pool), the streamed byte cap, building the answer message, handing it to
 * the bus (here: a function that resolves at once, so the bus's own cost is not counted) and
 * removing the pending record (an in-memory store). The direct request uses a keep-alive agent and
 * the same name (`localhost`), and reads the whole body. Both run sequentially, in alternating
 * blocks, after a warm-up, so drift on a shared machine hits both alike.
 */
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AclMessage, StateWrite } from '@caxton/core';
import { HttpGateway, nodeDefaultHttpPolicy } from '@caxton/runtime';
import { percentile, report } from './lib-output.js';
import { arg } from './lib-args.js';

const CALLS = Number(arg('calls', '1000'));
const BLOCKS = 4;
const BODY = Buffer.from(JSON.stringify({ ok: true, items: Array.from({ length: 8 }, (_, i) => ({ id: i, name: `item-${i}` })) }));

const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(BODY.length) });
  res.end(BODY);
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const port = (server.address() as AddressInfo).port;
const url = `http://localhost:${port}/items`;
/** The same server by IP literal: no name resolution, so the difference is what resolving each call costs. */
const literalUrl = `http://127.0.0.1:${port}/items`;

const directAgent = new Agent({ keepAlive: true });
function direct(): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: directAgent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        Buffer.concat(chunks);
        resolve();
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const state = new Map<string, string>();
let answered: ((m: AclMessage) => void) | undefined;
const gateway = new HttpGateway({
  platform: 'bench',
  policyOf: () => ({
    ...nodeDefaultHttpPolicy(),
    allow: [
      { host: 'localhost', ports: [port], allowPrivate: true },
      { host: '127.0.0.1', ports: [port], allowPrivate: true },
    ],
  }),
  state: {
    readState: async () => new Map(state),
    commitState: async (_agent: string, writes: readonly StateWrite[]) => {
      for (const w of writes) {
        if (w.value === null) state.delete(w.key);
        else state.set(w.key, w.value);
      }
    },
    clearState: async () => {
      state.clear();
    },
  },
  log: () => {},
  send: async (message) => {
    answered?.(message);
  },
});
let n = 0;
function viaGateway(target = url): Promise<void> {
  const id = `c${n++}`;
  const done = new Promise<AclMessage>((r) => (answered = r));
  const record = { key: `\u0000http/${id}`, value: JSON.stringify({ method: 'GET', url: target, at: Date.now() }) };
  state.set(record.key, record.value);
  gateway.apply({
    agent: 'bench',
    http: [{ id, request: { method: 'GET', url: target, headers: [['accept', 'application/json']] } }],
    stateWrites: [record],
  });
  return done.then((m) => {
    if (m.performative !== 'inform') throw new Error(`gateway call failed: ${m.content ?? ''}`);
  });
}

async function timed(f: () => Promise<void>, count: number, into: number[]): Promise<void> {
  for (let i = 0; i < count; i++) {
    const t = process.hrtime.bigint();
    await f();
    into.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
}

const warm: number[] = [];
await timed(direct, 200, warm);
await timed(() => viaGateway(), 200, warm);
const directMs: number[] = [];
const gatewayMs: number[] = [];
const literalMs: number[] = [];
for (let b = 0; b < BLOCKS; b++) {
  await timed(direct, CALLS / BLOCKS, directMs);
  await timed(() => viaGateway(), CALLS / BLOCKS, gatewayMs);
  await timed(() => viaGateway(literalUrl), CALLS / BLOCKS, literalMs);
}
const d50 = percentile(directMs, 50);
const g50 = percentile(gatewayMs, 50);
report({
  bench: 'http-gateway',
  metric: 'http_gateway_overhead_p50_ms',
  value: g50 - d50,
  unit: 'ms',
  target: '<= 1',
  note: `p50 gateway ${g50.toFixed(3)} ms - direct ${d50.toFixed(3)} ms, ${CALLS} calls each, local server, keep-alive`,
});
report({ bench: 'http-gateway', metric: 'http_direct_p50_ms', value: d50, unit: 'ms' });
report({ bench: 'http-gateway', metric: 'http_gateway_p50_ms', value: g50, unit: 'ms' });
report({
  bench: 'http-gateway',
  metric: 'http_gateway_ip_literal_p50_ms',
  value: percentile(literalMs, 50),
  unit: 'ms',
  note: 'the same call to 127.0.0.1: no name resolution',
});
report({ bench: 'http-gateway', metric: 'http_direct_p99_ms', value: percentile(directMs, 99), unit: 'ms' });
report({ bench: 'http-gateway', metric: 'http_gateway_p99_ms', value: percentile(gatewayMs, 99), unit: 'ms' });
await gateway.close();
directAgent.destroy();
server.close();
