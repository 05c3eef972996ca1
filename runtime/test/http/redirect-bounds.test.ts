/**
 * Redirect bodies and the call's bounds (runtime/src/http/outbound-client.ts, issue 26): a 302
 * whose body streams forever must not be read after the call returned (the deadline's timer is
 * cleared then, and the byte cap counts only the final response), and a chain of slow redirects
 * is cut at the call's one deadline. Real node:http servers on loopback.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HttpPolicy } from '@caxton/core';
import { ConnectionPools } from '../../src/http/connection-pools.js';
import { HttpCallFailure } from '../../src/http/call-failure.js';
import { performHttpCall } from '../../src/http/outbound-client.js';
import { nodeDefaultHttpPolicy } from '../../src/http/policy.js';
import { httpServer, type TestServer } from './support.js';

let server: TestServer;
const streams: { path: string; written: number; closedAt?: number }[] = [];
const hits: { path: string; at: number }[] = [];

before(async () => {
  server = await httpServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    hits.push({ path, at: Date.now() });
    if (path === '/final') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('final');
    } else if (path === '/redirect-streaming') {
      // A redirect with a body that never ends: 64 KiB every millisecond, as fast as it is read.
      res.writeHead(302, { location: '/final', 'content-type': 'application/octet-stream' });
      const s: (typeof streams)[number] = { path, written: 0 };
      streams.push(s);
      const chunk = Buffer.alloc(64 * 1024, 7);
      const t = setInterval(() => {
        if (res.destroyed) return;
        for (let i = 0; i < 4 && res.write(chunk); i++) s.written += chunk.length;
      }, 1);
      res.on('close', () => {
        clearInterval(t);
        s.closedAt = Date.now();
      });
    } else if (path === '/slow-redirect') {
      // Each hop answers after 150 ms, forever: only the call's deadline ends the chain.
      const t = setTimeout(() => {
        res.writeHead(307, { location: '/slow-redirect' });
        res.end();
      }, 150);
      res.on('close', () => clearTimeout(t));
    } else if (path === '/empty-redirect') {
      res.writeHead(302, { location: '/final', 'content-length': '0' });
      res.end();
    } else {
      res.writeHead(404);
      res.end();
    }
  });
});

after(async () => {
  await server.close();
});

function policy(extra: Partial<HttpPolicy>): HttpPolicy {
  return { ...nodeDefaultHttpPolicy(), allow: [{ host: '127.0.0.1', ports: [server.port], allowPrivate: true }], ...extra };
}

test('a redirect whose body streams forever is closed, not read: the call answers and the stream ends at once', async () => {
  const pools = new ConnectionPools();
  const started = Date.now();
  const response = await performHttpCall(
    policy({ maxResponseBytes: 1000, timeoutMs: 3000 }),
    { method: 'GET', url: `http://127.0.0.1:${server.port}/redirect-streaming`, headers: [] },
    { pools },
  );
  const answeredAt = Date.now();
  assert.equal(response.status, 200);
  assert.equal(response.body.toString(), 'final');
  assert.equal(response.redirects, 1);
  assert.ok(answeredAt - started < 2000, `answered after ${answeredAt - started} ms`);
  const s = streams.at(-1)!;
  for (let i = 0; i < 100 && s.closedAt === undefined; i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(s.closedAt !== undefined, 'the server saw the redirect connection close');
  assert.ok(s.closedAt - answeredAt < 500, `closed ${s.closedAt - answeredAt} ms after the answer`);
  const writtenAtClose = s.written;
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(s.written, writtenAtClose, 'nothing more is written (read) after the close');
  // Before issue 26 the drain went on at full speed (18 MiB in 3 s); what the kernel buffers took
  // before the close is all that was ever sent.
  assert.ok(s.written < 8 * 1024 * 1024, `${s.written} bytes written`);
  pools.close();
});

test('an empty redirect body is drained (the socket can be reused), the call follows it', async () => {
  const pools = new ConnectionPools();
  const response = await performHttpCall(
    policy({}),
    { method: 'GET', url: `http://127.0.0.1:${server.port}/empty-redirect`, headers: [] },
    { pools },
  );
  assert.equal(response.body.toString(), 'final');
  pools.close();
});

test('a chain of slow redirects is cut at the call deadline; no hop starts after it', async () => {
  const pools = new ConnectionPools();
  const started = Date.now();
  await assert.rejects(
    performHttpCall(
      policy({ timeoutMs: 400, maxRedirects: 20 }),
      { method: 'GET', url: `http://127.0.0.1:${server.port}/slow-redirect`, headers: [] },
      { pools },
    ),
    (err: unknown) => err instanceof HttpCallFailure && err.failure === 'timeout' && typeof err.hint === 'string',
  );
  const failedAt = Date.now();
  assert.ok(failedAt - started < 1500, `failed after ${failedAt - started} ms`);
  const before = hits.filter((h) => h.path === '/slow-redirect').length;
  assert.ok(before >= 2 && before <= 4, `${before} hops within 400 ms of 150 ms each`);
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(hits.filter((h) => h.path === '/slow-redirect').length, before, 'no hop after the deadline');
  pools.close();
});
