/**
 * Child process of mtp-outbox.test.ts: a Caxton node of platform `caxton-a` with its ACC on a
 * given port and one MTP peer, `caxton-b`. With `send`, it deploys the AssemblyScript echo (egress
 * allowed to the peer's ACC only) and asks it for `count` answers to `pong@caxton-b`, printing
 * `S <content>` for each answer the bus accepted (its outbox record durable), until it is killed.
 * Without, it only starts on the data directory again. Prints `READY` once listening, `F <content>`
 * for a `failure` the echo gets back. Usage: node outbox-child.js <json config>
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_HTTP_POLICY } from '@caxton/core';
import { startNode } from '../../src/start/start-node.js';

export interface OutboxChildConfig {
  dataDir: string;
  accPort: number;
  /** The secret caxton-b posts to this node with. */
  inboundSecret: string;
  /** caxton-b's ACC, its secret for this node included. */
  peerAcc: string;
  peerPort: number;
  send?: { count: number };
  /** Restarted: one more request to the (restored) echo, answered to pong@caxton-b. */
  probe?: string;
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

function say(line: string): void {
  fs.writeSync(1, `${line}\n`);
}

async function main(): Promise<void> {
  const c = JSON.parse(process.argv[2] ?? '') as OutboxChildConfig;
  const node = await startNode({
    dataDir: c.dataDir,
    apiHost: '127.0.0.1',
    apiPort: 0,
    auth: { mode: 'none' },
    api: false,
    shards: 1,
    platform: 'caxton-a',
    mtp: {
      host: '127.0.0.1',
      port: c.accPort,
      // Slow enough that every post is still being retried when the parent kills this process.
      retry: { attempts: 4, firstDelayMs: 400 },
      peers: [{ platform: 'caxton-b', secret: c.inboundSecret, acc: c.peerAcc, ratePerSecond: 200 }],
    },
  });
  node.control.tail(
    {},
    {
      next: (e) => {
        if (e.message.sender?.name === 'echo@caxton-a' && e.message.receivers.some((r) => r.name === 'pong@caxton-b'))
          say(`S ${e.message.content ?? ''}`);
        if (e.message.performative === 'failure' && e.message.receivers.some((r) => r.name === 'echo@caxton-a'))
          say(`F ${e.message.content ?? ''}`);
      },
      end: () => {},
    },
  );
  say('READY');
  if (c.probe !== undefined) {
    await node.control.send({
      performative: 'request',
      receivers: [{ name: 'echo' }],
      content: c.probe,
      conversationId: 'cx-probe',
      replyTo: [{ name: 'pong@caxton-b' }],
    });
  }
  if (c.send === undefined) return;
  const wasm = new Uint8Array(await readFile(path.join(ROOT, 'examples/as-echo/build/as-echo.wasm')));
  const sha256 = createHash('sha256').update(wasm).digest('hex');
  await node.control.deploy(
    {
      name: 'echo',
      limits: {},
      config: {},
      http: { ...DEFAULT_HTTP_POLICY, allow: [{ host: '127.0.0.1', ports: [c.peerPort], allowPrivate: true }] },
    },
    { bytes: wasm, sha256 },
  );
  for (let i = 1; i <= c.send.count; i++) {
    await node.control.send({
      performative: 'request',
      receivers: [{ name: 'echo' }],
      content: `m${i}`,
      conversationId: `cx-${i}`,
      replyTo: [{ name: 'pong@caxton-b' }],
    });
  }
}

main().catch((error: unknown) => {
  say(`E ${(error as Error)?.stack ?? String(error)}`.replace(/\n/g, ' | '));
  process.exit(1);
});
