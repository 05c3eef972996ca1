/**
 * The server must never crash and never leak internals: garbage on the wire, a node that throws
 * plain Errors (bugs) synchronously or asynchronously, and errors other layers raise.
 */
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { CaxtonError } from '@caxton/core';
import { ApiCallError } from '@caxton/client';
import { MemoryNode } from './support/memory-node.js';
import { startHarness, type Harness } from './support/harness.js';

class BuggyNode extends MemoryNode {
  override async listAgents(): Promise<never> {
    throw new TypeError('cannot read properties of undefined (secret internals)');
  }

  override tail(): never {
    throw new Error('synchronous bug');
  }

  override async status(): Promise<never> {
    throw new CaxtonError('registry.unavailable', 'etcd is unreachable', { kind: 'unavailable', hint: 'check the etcd endpoints' });
  }
}

/** Sends raw bytes as the body of a Caxton call over HTTP/2 and returns the grpc-status trailer. */
async function rawCall(address: string, token: string, method: string, body: Buffer): Promise<number> {
  const session = http2.connect(`http://${address}`);
  try {
    const req = session.request({
      ':method': 'POST',
      ':path': `/caxton.v1.Caxton/${method}`,
      'content-type': 'application/grpc',
      te: 'trailers',
      authorization: `Bearer ${token}`,
    });
    const result = new Promise<number>((resolve, reject) => {
      let headersStatus: string | undefined;
      req.on('response', (headers) => (headersStatus = headers['grpc-status'] as string | undefined));
      req.on('trailers', (t) => resolve(Number(t['grpc-status'])));
      req.on('end', () => (headersStatus !== undefined ? resolve(Number(headersStatus)) : undefined));
      req.on('error', reject);
    });
    req.on('data', () => {});
    req.end(body);
    return await result;
  } finally {
    session.destroy();
  }
}

function frame(payload: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

describe('robustness', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ node: new BuggyNode() });
  });
  after(async () => h.close());

  it('survives bytes that are not protobuf', async () => {
    const garbage = frame(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x0a]));
    for (const method of ['GetAgent', 'SendMessage', 'DeployAgent', 'TailMessages']) {
      const code = await rawCall(h.address, h.token, method, garbage);
      assert.notEqual(code, status.OK, method);
    }
    // A frame header announcing more bytes than arrive.
    const truncated = Buffer.from([0, 0, 0, 0x10, 0]);
    assert.notEqual(await rawCall(h.address, h.token, 'GetAgent', truncated), status.OK);
    const agent = await h.client.deploy({ name: 'still-alive' }, Buffer.from('x'));
    assert.equal(agent.name, 'still-alive');
  });

  it('turns a bug in the node into INTERNAL without leaking its message', async () => {
    const err = await h.client.listAgents().catch((e: unknown) => e);
    assert.ok(err instanceof ApiCallError);
    assert.equal(err.statusName, 'INTERNAL');
    assert.doesNotMatch(err.message, /secret internals/);
    assert.ok(
      h.internalErrors.some((e) => e instanceof TypeError),
      'the bug was reported to the node log',
    );
  });

  it('turns a synchronous throw in a subscription into an error status', async () => {
    const err = await h.client.tail({}, () => {}).done.catch((e: unknown) => e);
    assert.ok(err instanceof ApiCallError);
    assert.equal(err.statusName, 'INTERNAL');
  });

  it('maps a CaxtonError from another layer by its kind, with its code and hint', async () => {
    const err = await h.client.status().catch((e: unknown) => e);
    assert.ok(err instanceof ApiCallError);
    assert.equal(err.statusName, 'UNAVAILABLE');
    assert.equal(err.code, 'registry.unavailable');
    assert.equal(err.hint, 'check the etcd endpoints');
  });
});

// The code → status cases that were here are in status-mapping.test.ts, which checks every code.
