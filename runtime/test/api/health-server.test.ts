/**
 * `serve --health-addr`: a plaintext port with grpc.health.v1 and nothing else, following the
 * node's health as it changes (the node's own rule is unit-tested in node/node-health.test.ts; the
 * real log failure in test/e2e/log-failure.test.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { NodeHealth } from '@caxton/core';
import { startHealthServer, type HealthServer } from '../../src/api/health-server.js';
import { HEALTH_POLL_MS } from '../../src/api/health-follower.js';
import { eventually } from './support/harness.js';
import { healthCheck } from './support/health-client.js';

describe('the health-only server', () => {
  let state: NodeHealth = { serving: false, reason: 'the node is starting' };
  let server: HealthServer;
  let address: string;
  before(async () => {
    server = await startHealthServer({ host: '127.0.0.1', port: 0, health: () => state });
    address = `127.0.0.1:${server.port}`;
  });
  after(async () => server.close());

  it('says NOT_SERVING while the node starts, SERVING at once when refreshed, NOT_SERVING when the node says so', async () => {
    assert.equal(await healthCheck(address), 'NOT_SERVING');
    assert.equal(await healthCheck(address, 'caxton.v1.Caxton'), 'NOT_SERVING');
    state = { serving: true };
    server.refresh();
    assert.equal(await healthCheck(address), 'SERVING', 'refresh() applies without waiting for the poll');
    assert.equal(await healthCheck(address, 'caxton.v1.Caxton'), 'SERVING');
    state = { serving: false, reason: 'message log stopped: EIO' };
    // No refresh: the poll alone must notice.
    await eventually(async () => (await healthCheck(address)) === 'NOT_SERVING', 'the poll to notice', HEALTH_POLL_MS * 8);
    assert.equal(await healthCheck(address, 'nope'), 'NOT_FOUND');
  });

  it('serves no Caxton method and no reflection on that port', async () => {
    const client = new grpc.Client(address, grpc.credentials.createInsecure());
    try {
      const call = (method: string): Promise<grpc.status> =>
        new Promise((resolve) => {
          client.makeUnaryRequest(
            method,
            (x: Buffer) => x,
            (x: Buffer) => x,
            Buffer.alloc(0),
            (err) => resolve(err ? err.code : grpc.status.OK),
          );
        });
      assert.equal(await call('/caxton.v1.Caxton/ListAgents'), grpc.status.UNIMPLEMENTED);
      assert.equal(await call('/caxton.v1.Caxton/Status'), grpc.status.UNIMPLEMENTED);
    } finally {
      client.close();
    }
    const reflection = new grpc.Client(address, grpc.credentials.createInsecure());
    try {
      const code = await new Promise<grpc.status>((resolve) => {
        const stream = reflection.makeBidiStreamRequest(
          '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo',
          (x: Buffer) => x,
          (x: Buffer) => x,
        );
        stream.on('error', (e: grpc.ServiceError) => resolve(e.code));
        stream.on('data', () => resolve(grpc.status.OK));
        stream.write(Buffer.alloc(0));
        stream.end();
      });
      assert.equal(code, grpc.status.UNIMPLEMENTED);
    } finally {
      reflection.close();
    }
  });

  it('answers NOT_SERVING once closing, whatever the node says', async () => {
    const other = await startHealthServer({ host: '127.0.0.1', port: 0, health: () => ({ serving: true }) });
    const at = `127.0.0.1:${other.port}`;
    assert.equal(await healthCheck(at), 'SERVING');
    await other.close();
    assert.equal(await healthCheck(at), 'UNAVAILABLE', 'closed: nothing listens');
  });

  it('refuses a port that is not one, and a port in use, with the flag to change', async () => {
    await assert.rejects(startHealthServer({ host: '127.0.0.1', port: 70000, health: () => state }), /not a port number/);
    await assert.rejects(
      startHealthServer({ host: '127.0.0.1', port: server.port, health: () => state }),
      (err: Error & { hint?: string }) => /cannot listen for health checks/.test(err.message) && /--health-addr/.test(err.hint ?? ''),
    );
  });
});
