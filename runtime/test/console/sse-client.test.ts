/**
 * A browser that stops reading must not make the server buffer without bound: over a real socket
 * whose reader is paused, SseClient queues at most `maxQueued` events and drops (and counts) the
 * rest; once the reader resumes, what was queued arrives.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SseClient } from '../../src/console/sse-client.js';

/**
 * An SSE response made by `make` over a real socket, and the browser reading it, paused from its
 * first byte (a frozen tab); the server closes after the test.
 */
async function stalledClient(
  t: TestContext,
  make: (res: http.ServerResponse) => SseClient,
): Promise<{ client: SseClient; stalled: http.IncomingMessage }> {
  let made!: (client: SseClient) => void;
  const client = new Promise<SseClient>((resolve) => (made = resolve));
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.flushHeaders();
    made(make(res));
  });
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const stalled = await new Promise<http.IncomingMessage>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, path: '/' }, (res) => {
        res.pause(); // the browser tab is frozen
        resolve(res);
      })
      .on('error', reject);
  });
  return { client: await client, stalled };
}

test('a stalled reader gets a bounded queue; drops are counted; the queue drains when it reads again', async (t) => {
  const { client, stalled } = await stalledClient(t, (res) => new SseClient(res, 50));
  const event = `event: message\ndata: ${JSON.stringify({ pad: 'x'.repeat(1024) })}\n\n`;
  let accepted = 0;
  // Far more than socket buffers hold (several MiB): the writes must start queueing, then dropping.
  for (let i = 0; i < 20_000; i++) if (client.write(event)) accepted++;
  assert.ok(client.queued <= 50, `queued ${client.queued}`);
  assert.ok(client.totalQueueDrops > 0, 'nothing was dropped');
  assert.equal(accepted + client.totalQueueDrops, 20_000);
  assert.equal(client.unreportedDrops, client.totalQueueDrops);
  // The reader comes back: the queue empties.
  let bytes = 0;
  stalled.on('data', (d: Buffer) => (bytes += d.length));
  stalled.resume();
  const deadline = Date.now() + 10_000;
  while (client.queued > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(client.queued, 0);
  assert.ok(bytes > 0);
  client.close();
});

test('the queue is bounded by its text too: a few large events fill it, and the rest are dropped and counted', async (t) => {
  const { client } = await stalledClient(t, (res) => new SseClient(res, 256, 3 * 1024 * 1024));
  const big = `event: message\ndata: ${'x'.repeat(1024 * 1024)}\n\n`; // a 1 MiB message's event
  let accepted = 0;
  for (let i = 0; i < 100; i++) if (client.write(big)) accepted++;
  // The socket's own buffer takes what it takes; after it, at most two such events wait.
  assert.ok(client.queued <= 2, `queued ${client.queued} events of 1 MiB`);
  assert.ok(client.totalQueueDrops >= 90, `dropped ${client.totalQueueDrops}`);
  assert.equal(accepted + client.totalQueueDrops, 100);
  client.close();
});
