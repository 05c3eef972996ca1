/**
 * The node's MCP, A2A and MTP listeners over TLS (decision 2040), with a CA made by openssl in the
 * test: two real nodes (platforms alpha and beta) whose ACCs serve HTTPS exchange FIPA messages
 * through each other's ACC, each trusting the other's certificate only through `mtp.caPem`; the
 * official A2A and MCP SDK clients call beta's real AssemblyScript service over HTTPS; a client
 * that does not trust the CA, or speaks plain HTTP to the port, gets nothing. And the rule: plain
 * HTTP off loopback is refused for each listener unless the operator says `insecure`.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { freePort } from '../support/ports.js';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Role, TaskState, type Task } from '@a2a-js/sdk';
import { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, JsonRpcTransportFactory } from '@a2a-js/sdk/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CaxtonClient } from '@caxton/client';
import type { MessageEvent } from '@caxton/core';
import { startNode, type RunningNode } from '../../src/start/start-node.js';
import { readTokenFile, tokenFilePath } from '../../src/api/auth.js';
import { A2aConfigError, checkA2aBinding, messageText } from '../../src/a2a/index.js';
import { checkMcpBinding, McpConfigError } from '../../src/mcp/index.js';
import { checkAccBinding, MtpConfigError } from '../../src/mtp/index.js';
import { checkConsoleBinding } from '../../src/console/server.js';
import { ConsoleError } from '../../src/console/errors.js';
import { hasOpenssl, makeCertificates } from '../api/support/test-certificates.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const SERVICE = path.join(ROOT, 'examples/as-service/build/as-service.wasm');
const COUNTER = path.join(ROOT, 'examples/as-counter/build/as-counter.wasm');
const skip = hasOpenssl() ? false : 'needs openssl to make the test CA';

/** A fetch over node:https trusting `ca` (Node 20's fetch takes no CA), with a bearer token: what the SDKs call. */
function fetchTrusting(ca: Buffer, token: string): typeof fetch {
  return async (input, init) => {
    const request = input instanceof Request ? input : undefined;
    const url = new URL(request ? request.url : String(input));
    const headers = new Headers(request?.headers);
    new Headers(init?.headers).forEach((v, k) => headers.set(k, v));
    headers.set('authorization', `Bearer ${token}`);
    const body = init?.body ?? (request ? Buffer.from(await request.arrayBuffer()) : undefined);
    return new Promise<Response>((resolve, reject) => {
      const req = https.request(
        url,
        { method: init?.method ?? request?.method ?? 'GET', headers: Object.fromEntries(headers), ca },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const status = res.statusCode ?? 500;
            const out = new Headers();
            for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out.set(k, Array.isArray(v) ? v.join(', ') : v);
            resolve(new Response([204, 205, 304].includes(status) ? null : Buffer.concat(chunks), { status, headers: out }));
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      if (body !== undefined && body !== null) req.write(typeof body === 'string' ? body : Buffer.from(body as ArrayBuffer));
      req.end();
    });
  };
}

describe('the MCP, A2A and MTP listeners over TLS', { skip }, () => {
  let dir: string;
  let alpha: RunningNode;
  let beta: RunningNode;
  let betaToken: string;
  let ca: Buffer;
  let alphaPeerAcc: string | undefined;
  const seenAtAlpha: MessageEvent[] = [];
  const seenAtBeta: MessageEvent[] = [];

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-listener-tls-'));
    const certs = await makeCertificates(dir);
    ca = await readFile(certs.ca);
    const caPem = ca.toString('utf8');
    const tls = { certFile: certs.serverCert, keyFile: certs.serverKey };
    const [alphaPort, betaPort] = [await freePort(), await freePort()];
    // Each platform posts to the other's ACC with the secret the other gave it.
    const alphaAtBeta = randomBytes(32).toString('base64url');
    const betaAtAlpha = randomBytes(32).toString('base64url');
    alphaPeerAcc = `https://127.0.0.1:${betaPort}/acc/${alphaAtBeta}`;
    alpha = await startNode({
      dataDir: path.join(dir, 'alpha'),
      apiHost: '127.0.0.1',
      apiPort: 0,
      auth: { mode: 'token' },
      shards: 1,
      platform: 'alpha',
      mtp: {
        host: '127.0.0.1',
        port: alphaPort,
        tls,
        caPem,
        retry: { attempts: 2, firstDelayMs: 20 },
        peers: [{ platform: 'beta', secret: betaAtAlpha, acc: `https://127.0.0.1:${betaPort}/acc/${alphaAtBeta}`, ratePerSecond: 50 }],
      },
    });
    beta = await startNode({
      dataDir: path.join(dir, 'beta'),
      apiHost: '127.0.0.1',
      apiPort: 0,
      auth: { mode: 'token' },
      shards: 1,
      platform: 'beta',
      mtp: {
        host: '127.0.0.1',
        port: betaPort,
        tls,
        caPem,
        retry: { attempts: 2, firstDelayMs: 20 },
        peers: [{ platform: 'alpha', secret: alphaAtBeta, acc: `https://127.0.0.1:${alphaPort}/acc/${betaAtAlpha}`, ratePerSecond: 50 }],
      },
      mcp: { host: '127.0.0.1', port: 0, tls, callTimeoutMs: 5000 },
      a2a: { host: '127.0.0.1', port: 0, tls, callTimeoutMs: 5000 },
    });
    betaToken = await readTokenFile(tokenFilePath(path.join(dir, 'beta')));
    const deploy = async (node: RunningNode, data: string, otherPort: number): Promise<void> => {
      const api = await CaxtonClient.connect({
        address: `127.0.0.1:${node.apiPort}`,
        token: await readTokenFile(tokenFilePath(path.join(dir, data))),
      });
      try {
        // A counter answers an inform with not-understood and ignores a not-understood: one exchange each way, no echo loop.
        await api.deploy(
          { name: 'counter', http: { allow: [{ host: '127.0.0.1', ports: [otherPort], allowPrivate: true }] } },
          await readFile(COUNTER),
        );
        if (node === beta) await api.deploy({ name: 'shouter' }, await readFile(SERVICE));
      } finally {
        api.close();
      }
    };
    await deploy(alpha, 'alpha', betaPort);
    await deploy(beta, 'beta', alphaPort);
    alpha.control.tail({}, { next: (e) => seenAtAlpha.push(e), end: () => {} });
    beta.control.tail({}, { next: (e) => seenAtBeta.push(e), end: () => {} });
  });

  after(async () => {
    await alpha?.stop();
    await beta?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const until = async (seen: MessageEvent[], what: string, pred: (e: MessageEvent) => boolean): Promise<MessageEvent> => {
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 20))) {
      const hit = seen.find(pred);
      if (hit) return hit;
    }
    throw new Error(`no ${what} on the tail`);
  };

  it('serves https URLs; a client that does not trust the CA, or speaks plain HTTP to the port, is not served', async () => {
    for (const url of [alpha.mtpUrl!, beta.mtpUrl!, beta.mcpUrl!, beta.a2aUrl!]) assert.match(url, /^https:\/\/127\.0\.0\.1:\d+/);
    await assert.rejects(fetch(`${beta.mcpUrl!}`, { method: 'POST' }), (e: unknown) =>
      /self-signed|unable to verify|certificate/i.test(String((e as { cause?: unknown }).cause ?? e)),
    );
    const plain = await new Promise<string>((resolve) => {
      const req = http.request(`${beta.a2aUrl!.replace('https:', 'http:')}/a2a/shouter/.well-known/agent-card.json`, (res) =>
        resolve(`HTTP ${res.statusCode}`),
      );
      req.on('error', (err) => resolve(err.message));
      req.end();
    });
    // Node's TLS server answers a plain request with a bare 400 and no content: nothing of the endpoint.
    assert.ok(plain === 'HTTP 400' || /socket hang up|ECONNRESET|Parse Error/.test(plain), plain);
  });

  it("exchanges FIPA messages between two platforms' ACCs over HTTPS, each trusting the other through the MTP's CA", async () => {
    // alpha's counter answers the operator's query to counter@beta (the :reply-to): an inform over beta's HTTPS ACC.
    await alpha.control.send({
      performative: 'query-ref',
      receivers: [{ name: 'counter' }],
      content: 'value',
      conversationId: 'cx-tls',
      replyTo: [{ name: 'counter@beta' }],
    });
    const inform = await until(
      seenAtBeta,
      'the inform from alpha',
      (e) => e.message.conversationId === 'cx-tls' && e.message.performative === 'inform',
    );
    assert.equal(inform.message.sender?.name, 'counter@alpha');
    assert.equal(inform.message.content, '0');
    // beta's counter does not understand an inform: its answer goes back over alpha's HTTPS ACC.
    const back = await until(
      seenAtAlpha,
      'the not-understood from beta',
      (e) => e.message.conversationId === 'cx-tls' && e.message.performative === 'not-understood',
    );
    assert.equal(back.message.sender?.name, 'counter@beta');
    assert.ok(
      !seenAtAlpha.some((e) => e.message.conversationId === 'cx-tls' && e.message.performative === 'failure'),
      'no delivery failed',
    );
  });

  it("without the MTP's CA a post to the peer's HTTPS ACC fails TLS, and the failure comes back to the sender", async () => {
    // gamma names beta's ACC (with the secret alpha uses: were TLS skipped, beta would take it) but not the CA.
    const betaPort = Number(new URL(beta.mtpUrl!).port);
    const alphaAtBeta = (alphaPeerAcc ?? '').split('/acc/')[1]!;
    const gamma = await startNode({
      dataDir: path.join(dir, 'gamma'),
      apiHost: '127.0.0.1',
      apiPort: 0,
      auth: { mode: 'token' },
      shards: 1,
      platform: 'alpha',
      mtp: {
        host: '127.0.0.1',
        port: 0,
        retry: { attempts: 1, firstDelayMs: 20 },
        peers: [
          {
            platform: 'beta',
            secret: randomBytes(32).toString('base64url'),
            acc: `https://127.0.0.1:${betaPort}/acc/${alphaAtBeta}`,
            ratePerSecond: 50,
          },
        ],
      },
    });
    const seenAtGamma: MessageEvent[] = [];
    try {
      const api = await CaxtonClient.connect({
        address: `127.0.0.1:${gamma.apiPort}`,
        token: await readTokenFile(tokenFilePath(path.join(dir, 'gamma'))),
      });
      try {
        await api.deploy(
          { name: 'counter', http: { allow: [{ host: '127.0.0.1', ports: [betaPort], allowPrivate: true }] } },
          await readFile(COUNTER),
        );
      } finally {
        api.close();
      }
      gamma.control.tail({}, { next: (e) => seenAtGamma.push(e), end: () => {} });
      await gamma.control.send({
        performative: 'query-ref',
        receivers: [{ name: 'counter' }],
        content: 'value',
        conversationId: 'cx-no-ca',
        replyTo: [{ name: 'counter@beta' }],
      });
      const failure = await until(
        seenAtGamma,
        'the failure at gamma',
        (e) => e.message.conversationId === 'cx-no-ca' && e.message.performative === 'failure',
      );
      assert.match(String(failure.message.content), /certificate|self-signed|unable to verify/i);
      assert.ok(!seenAtBeta.some((e) => e.message.conversationId === 'cx-no-ca'), 'nothing reached beta');
    } finally {
      await gamma.stop();
    }
  });

  it("A2A's SDK client resolves the card (https bindings) and completes a task over HTTPS", async () => {
    const fetchImpl = fetchTrusting(ca, betaToken);
    const cardUrl = `${beta.a2aUrl!}/a2a/shouter/.well-known/agent-card.json`;
    const card = await new DefaultAgentCardResolver({ fetchImpl }).resolve(cardUrl, '');
    assert.ok(
      card.supportedInterfaces.every((i) => i.url.startsWith(`${beta.a2aUrl!}/a2a/shouter/`)) && beta.a2aUrl!.startsWith('https://'),
    );
    const client = await new ClientFactory(
      ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
        transports: [new JsonRpcTransportFactory({ fetchImpl })],
        cardResolver: new DefaultAgentCardResolver({ fetchImpl }),
        preferredTransports: ['JSONRPC'],
      }),
    ).createFromUrl(cardUrl, '');
    const task = (await client.sendMessage({
      tenant: '',
      configuration: undefined,
      metadata: undefined,
      message: {
        messageId: randomUUID(),
        contextId: '',
        taskId: '',
        role: Role.ROLE_USER,
        metadata: undefined,
        extensions: [],
        referenceTaskIds: [],
        parts: [{ content: { $case: 'text', value: 'over tls' }, metadata: undefined, filename: '', mediaType: 'text/plain' }],
      },
    })) as Task;
    assert.equal(task.status?.state, TaskState.TASK_STATE_COMPLETED);
    assert.equal(messageText({ parts: task.artifacts[0]!.parts } as never), 'OVER TLS');
  });

  it("MCP's SDK client lists the tools and calls one over HTTPS", async () => {
    const client = new Client({ name: 'caxton-tls-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(beta.mcpUrl!), { fetch: fetchTrusting(ca, betaToken) }));
    try {
      let tools = (await client.listTools()).tools.map((t) => t.name);
      // The service is registered by the agent's init, a moment after the deploy returns.
      for (let i = 0; i < 50 && !tools.includes('shouter.shout'); i++) {
        await new Promise((r) => setTimeout(r, 100));
        tools = (await client.listTools()).tools.map((t) => t.name);
      }
      assert.ok(tools.includes('shouter.shout'), tools.join());
      const ok = await client.callTool({ name: 'shouter.shout', arguments: { content: 'mcp over tls' } });
      assert.deepEqual(ok.content, [{ type: 'text', text: 'MCP OVER TLS' }]);
    } finally {
      await client.close();
    }
  });
});

describe('plain HTTP off loopback', () => {
  it('is refused for each listener with a typed error and a hint, unless it has a certificate or the operator said insecure', () => {
    const tls = { certFile: 'c.pem', keyFile: 'k.pem' };
    const cases: [
      string,
      (o: { host: string; port: number; tls?: typeof tls; insecure?: boolean }) => void,
      new (...a: never[]) => Error,
    ][] = [
      ['--mcp', checkMcpBinding, McpConfigError],
      ['--a2a', checkA2aBinding, A2aConfigError],
      ['--mtp-http', checkAccBinding, MtpConfigError],
    ];
    for (const [flag, check, type] of cases) {
      assert.throws(
        () => check({ host: '0.0.0.0', port: 1 }),
        (e: unknown) =>
          e instanceof type &&
          e.message.startsWith(`${flag} 0.0.0.0:1 would serve plain HTTP beyond loopback`) &&
          /--listener-cert\/--listener-key.*--listener-insecure/.test((e as { hint?: string }).hint ?? ''),
      );
      for (const host of ['10.1.2.3', '::', '[::]', '::ffff:10.0.0.1', 'example.com'])
        assert.throws(() => check({ host, port: 1 }), type, host);
      check({ host: '0.0.0.0', port: 1, tls });
      check({ host: '0.0.0.0', port: 1, insecure: true });
      check({ host: '127.0.0.1', port: 1 });
      check({ host: '::1', port: 1 });
    }
  });

  it("is refused for the console the same way, its hint naming the console's own flags", () => {
    assert.throws(
      () => checkConsoleBinding({ host: '0.0.0.0', port: 1 }),
      (e: unknown) =>
        e instanceof ConsoleError &&
        e.message ===
          'the console: --http 0.0.0.0:1 would serve plain HTTP beyond loopback: bearer tokens would cross the network in clear' &&
        /--http-cert\/--http-key.*--http-insecure/.test(e.hint ?? ''),
    );
    checkConsoleBinding({ host: '0.0.0.0', port: 1, insecure: true });
    checkConsoleBinding({ host: '0.0.0.0', port: 1, tls: { certFile: 'c.pem', keyFile: 'k.pem' } });
    checkConsoleBinding({ host: '127.0.0.1', port: 1 });
  });

  it("stops the node before it starts anything, and an unreadable certificate is the listener's typed error", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-listener-refused-'));
    try {
      await assert.rejects(
        startNode({
          dataDir: path.join(dir, 'a'),
          apiHost: '127.0.0.1',
          apiPort: 0,
          auth: { mode: 'token' },
          shards: 1,
          a2a: { host: '0.0.0.0', port: 0 },
        }),
        (e: unknown) => e instanceof A2aConfigError && /plain HTTP beyond loopback/.test(e.message),
      );
      await assert.rejects(
        startNode({
          dataDir: path.join(dir, 'b'),
          apiHost: '127.0.0.1',
          apiPort: 0,
          auth: { mode: 'token' },
          shards: 1,
          mcp: { host: '127.0.0.1', port: 0, tls: { certFile: path.join(dir, 'missing.pem'), keyFile: path.join(dir, 'missing.key') } },
        }),
        (e: unknown) =>
          e instanceof McpConfigError &&
          /cannot read the TLS certificate or key/.test(e.message) &&
          /--listener-cert/.test((e as { hint?: string }).hint ?? ''),
      );
      assert.ok(!existsSync(path.join(dir, 'a')) && !existsSync(path.join(dir, 'b')), 'refused before the data directory was made');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a malformed or mismatched certificate, a device or an over-long file is the listener's typed error before the node starts (review of issue 29 #4, #5)", {
    skip,
  }, async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-listener-pem-'));
    try {
      const certs = await makeCertificates(dir);
      const garbage = path.join(dir, 'garbage.pem');
      await writeFile(garbage, '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n');
      const big = path.join(dir, 'big.pem');
      await writeFile(big, 'x'.repeat(300 * 1024));
      const start = (name: string, tls: { certFile: string; keyFile: string }, where: 'mcp' | 'a2a' | 'mtp') =>
        startNode({
          dataDir: path.join(dir, name),
          apiHost: '127.0.0.1',
          apiPort: 0,
          auth: { mode: 'token' },
          shards: 1,
          ...(where === 'mtp' ? { mtp: { host: '127.0.0.1', port: 0, tls, peers: [] } } : { [where]: { host: '127.0.0.1', port: 0, tls } }),
        });
      const cases: [string, { certFile: string; keyFile: string }, 'mcp' | 'a2a' | 'mtp', new (...a: never[]) => Error, RegExp][] = [
        ['garbage', { certFile: garbage, keyFile: certs.serverKey }, 'mcp', McpConfigError, /not a usable pair/],
        // The CA's certificate with the server's key: a pair that does not match.
        ['mismatch', { certFile: certs.ca, keyFile: certs.serverKey }, 'a2a', A2aConfigError, /not a usable pair/],
        ['device', { certFile: '/dev/zero', keyFile: certs.serverKey }, 'mtp', MtpConfigError, /not a regular file/],
        ['big', { certFile: big, keyFile: certs.serverKey }, 'mcp', McpConfigError, /more than the 262144 allowed/],
      ];
      for (const [name, tls, where, type, words] of cases) {
        await assert.rejects(
          start(name, tls, where),
          (e: unknown) => e instanceof type && words.test(e.message) && /--listener-cert/.test((e as { hint?: string }).hint ?? ''),
          name,
        );
        assert.ok(!existsSync(path.join(dir, name)), `${name}: refused before the data directory was made`);
      }
      await assert.rejects(
        startNode({
          dataDir: path.join(dir, 'ca'),
          apiHost: '127.0.0.1',
          apiPort: 0,
          auth: { mode: 'token' },
          shards: 1,
          mtp: { host: '127.0.0.1', port: 0, caPem: 'not a pem', peers: [] },
        }),
        (e: unknown) => e instanceof MtpConfigError && /--mtp-ca/.test(e.message),
      );
      assert.ok(!existsSync(path.join(dir, 'ca')));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
