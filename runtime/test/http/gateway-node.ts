/**
 * The node and the far end the gateway's end-to-end tests share: an embedded node with no API
 * (agents reach HTTP through the gateway, the test sends through `node.control`) on a temporary
 * directory, what it sends to receivers outside it (the operator) kept in `toOperator`; and a
 * loopback server that answers each request with its body in upper case, keeping the bodies.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AclMessage } from '@caxton/core';
import { startNode, type RunningNode } from '../../src/start/start-node.js';
import { httpServer, type TestServer } from './support.js';
import { TEST_ENGINE_CACHE } from '../support/engine-cache.js';

export interface GatewayNode {
  node: RunningNode;
  /** Its data directory (a replay reads its log there). */
  dataDir: string;
  /** What the node's agents sent to receivers outside it, in order. */
  toOperator: AclMessage[];
  /** Stops the node and removes its directory. */
  stop(): Promise<void>;
}

/** A node as above on a new temporary directory named after `prefix`, with `shards` sandbox shards. */
export async function startGatewayNode(prefix: string, shards = 1): Promise<GatewayNode> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), prefix));
  let node: RunningNode;
  try {
    node = await startNode({
      dataDir,
      apiHost: '127.0.0.1',
      apiPort: 0,
      auth: { mode: 'none' },
      api: false,
      shards,
      prepare: { cacheDir: TEST_ENGINE_CACHE },
    });
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  const toOperator: AclMessage[] = [];
  node.events.on(
    (e) => {
      if (e.type === 'external') toOperator.push(e.message);
    },
    ['external'],
  );
  return {
    node,
    dataDir,
    toOperator,
    async stop() {
      try {
        await node.stop();
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    },
  };
}

/** A loopback HTTP server answering 200 with each request's body in upper case; the bodies it got go into `bodies`. */
export function upperCaseServer(bodies: string[]): Promise<TestServer> {
  return httpServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      bodies.push(body);
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(body.toUpperCase());
    });
  });
}
