/**
 * A signed post tried again (decision 2188): the sender signs each attempt of a post anew, so a
 * post kept for the later attempts (minutes after the first) never reaches the peer with a signature
 * older than the peer's allowed skew. A real node with a signing key and an echo answering a peer
 * whose ACC is down (503) for the first two attempts; every attempt's signature verifies with the
 * node's published key, each made at its own attempt. And a peer node that lists another key for
 * this platform refuses the post; the sending agent's failure says why.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { decodeAclString, multipartBoundary, parseMultipart, type MessageEvent } from '@caxton/core';
import { CaxtonClient } from '@caxton/client';
import { MtpPeerTable, parseMtpPeers, readMtpSigningKeys, SIGNATURE_PARAM, verifyMessageSignature } from '../../src/mtp/index.js';
import { startNode } from '../../src/start/start-node.js';
import { readTokenFile, tokenFilePath } from '../../src/api/auth.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const ECHO = path.join(ROOT, 'examples/as-echo/build/as-echo.wasm');

/** Wait until `cond` holds (a condition, not a sleep); fails after `ms`. */
async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('each attempt of a signed post carries a signature made at that attempt', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-mtp-sig-retry-'));
  const posts: { status: number; contentType: string; body: Buffer; at: number }[] = [];
  const acc = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = posts.length < 2 ? 503 : 200;
      posts.push({ status, contentType: req.headers['content-type'] ?? '', body: Buffer.concat(chunks), at: Date.now() });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => acc.listen(0, '127.0.0.1', () => r()));
  const port = (acc.address() as AddressInfo).port;
  const keyFile = path.join(dir, 'mtp.keys');
  await writeFile(keyFile, `node-1 ${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  const node = await startNode({
    dataDir: path.join(dir, 'data'),
    apiHost: '127.0.0.1',
    apiPort: 0,
    auth: { mode: 'token' },
    shards: 1,
    mtp: {
      host: '127.0.0.1',
      port: 0,
      retry: { attempts: 2, firstDelayMs: 20, later: { attempts: 3, firstDelayMs: 300 } },
      peers: [{ platform: 'later', secret: randomBytes(32).toString('base64url'), acc: `http://127.0.0.1:${port}/acc`, ratePerSecond: 50 }],
      signingKeyFile: keyFile,
    },
  });
  try {
    const api = await CaxtonClient.connect({
      address: `127.0.0.1:${node.apiPort}`,
      token: await readTokenFile(tokenFilePath(path.join(dir, 'data'))),
    });
    try {
      await api.deploy({ name: 'echo', http: { allow: [{ host: '127.0.0.1', ports: [port], allowPrivate: true }] } }, await readFile(ECHO));
    } finally {
      api.close();
    }
    // The peer's view of this node: its published key, as the peer's own peers file would list it.
    const [published] = node.mtpSigningKeys!;
    const keys = new MtpPeerTable(
      parseMtpPeers(
        JSON.stringify({
          peers: [
            {
              platform: 'caxton',
              secret: randomBytes(32).toString('base64url'),
              publicKeys: [{ id: published!.id, key: published!.publicKey }],
            },
          ],
        }),
        'later',
      ),
    ).keysOf('caxton')!;
    await node.control.send({
      performative: 'request',
      receivers: [{ name: 'echo' }],
      content: 'sign me each time',
      conversationId: 'cx-sig-later',
      replyTo: [{ name: 'pong@later' }],
    });
    await until(() => posts.some((p) => p.status === 200), 'the kept post is accepted once the peer is up');
    assert.equal(posts.length, 3, 'two quick attempts, then one on the timer');
    const times = posts.map((p) => {
      const msg = decodeAclString(parseMultipart(p.body, multipartBoundary(p.contentType))[1]!.body.toString('utf8'), { lenient: true });
      assert.equal(msg.content, 'sign me each time');
      const verdict = verifyMessageSignature(msg, keys, p.at);
      assert.ok(verdict.ok, `attempt signed: ${verdict.ok ? '' : verdict.reason}`);
      const at = Number(msg.userParams![SIGNATURE_PARAM]!.split(':')[1]);
      assert.ok(at <= p.at, 'signed before it was posted');
      return at;
    });
    // The timer's attempt was signed when it was made (≥ 300 ms after the second), not reused.
    assert.ok(times[2]! - times[1]! >= 250, `the later attempt was signed again (times ${times.join(', ')})`);
  } finally {
    await node.stop();
    acc.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test("a peer node that lists another key for this platform refuses its posts: the sender's failure names the refusal", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-mtp-sig-refused-'));
  const toB = randomBytes(32).toString('base64url');
  const keyFile = path.join(dir, 'mtp.keys');
  await writeFile(keyFile, `node-1 ${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  // The key peer-b expects from caxton: under the same id, not the one caxton signs with.
  const other = await mkdtemp(path.join(os.tmpdir(), 'caxton-mtp-sig-other-'));
  const otherKeys = path.join(other, 'k');
  await writeFile(otherKeys, `node-1 ${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  const b = await startNode({
    dataDir: path.join(dir, 'b'),
    apiHost: '127.0.0.1',
    apiPort: 0,
    auth: { mode: 'token' },
    shards: 1,
    platform: 'peer-b',
    mtp: {
      host: '127.0.0.1',
      port: 0,
      peers: [
        {
          platform: 'caxton',
          secret: toB,
          ratePerSecond: 50,
          publicKeys: [{ id: 'node-1', key: readMtpSigningKeys(otherKeys).keys[0]!.publicKey }],
          requireSignature: true,
        },
      ],
    },
  });
  let a: Awaited<ReturnType<typeof startNode>> | undefined;
  try {
    const bPort = Number(new URL(b.mtpUrl!).port);
    a = await startNode({
      dataDir: path.join(dir, 'a'),
      apiHost: '127.0.0.1',
      apiPort: 0,
      auth: { mode: 'token' },
      shards: 1,
      mtp: {
        host: '127.0.0.1',
        port: 0,
        retry: { attempts: 2, firstDelayMs: 20 },
        peers: [{ platform: 'peer-b', secret: randomBytes(32).toString('base64url'), acc: `${b.mtpUrl!}/${toB}`, ratePerSecond: 50 }],
        signingKeyFile: keyFile,
      },
    });
    const api = await CaxtonClient.connect({
      address: `127.0.0.1:${a.apiPort}`,
      token: await readTokenFile(tokenFilePath(path.join(dir, 'a'))),
    });
    try {
      await api.deploy(
        { name: 'echo', http: { allow: [{ host: '127.0.0.1', ports: [bPort], allowPrivate: true }] } },
        await readFile(ECHO),
      );
    } finally {
      api.close();
    }
    const seen: MessageEvent[] = [];
    a.control.tail({}, { next: (e) => seen.push(e), end: () => {} });
    await a.control.send({
      performative: 'request',
      receivers: [{ name: 'echo' }],
      content: 'signed with a key peer-b does not list',
      conversationId: 'cx-sig-refused',
      replyTo: [{ name: 'x@peer-b' }],
    });
    await until(
      () => seen.some((e) => e.message.performative === 'failure' && e.message.conversationId === 'cx-sig-refused'),
      "the echo's failure",
    );
    const failure = seen.find((e) => e.message.performative === 'failure' && e.message.conversationId === 'cx-sig-refused')!;
    assert.equal(failure.message.sender?.name, 'ams@caxton');
    assert.match(failure.message.content ?? '', /answered HTTP 401 \(mtp\.signature-refused\)/);
  } finally {
    await a?.stop();
    await b.stop();
    await rm(dir, { recursive: true, force: true });
    await rm(other, { recursive: true, force: true });
  }
});
