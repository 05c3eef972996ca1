/**
 * The FIPA HTTP MTP without a peer platform (decision 1910): the peers file and the rate buckets
 * (pure), then a real node with real WASM echo agents and its ACC on loopback — the refusals JADE's
 * test does not reach (method, rate, a chunked body past the limit), and the outbound side against
 * a plain HTTP listener standing in for an ACC that is down or failing: the post's envelope and
 * `received` stamp, the bounded retries, and the `failure` the sending agent gets back.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { freePort } from '../support/ports.js';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { CaxtonClient } from '@caxton/client';
import {
  decodeAclString,
  decodeRecord,
  multipartBoundary,
  parseMtpEnvelope,
  parseMultipart,
  type AuditRecord,
  type MessageEvent,
} from '@caxton/core';
import { startNode, type RunningNode } from '../../src/start/start-node.js';
import { readTokenFile, tokenFilePath } from '../../src/api/auth.js';
import { encodeMultipart } from '@caxton/core';
import {
  destinationOf,
  InFlight,
  MAX_MTP_POSTS_IN_FLIGHT_PER_PEER,
  messageFromPost,
  MtpConfigError,
  MtpPeerTable,
  MtpRefusal,
  parseMtpPeers,
  sameSendKey,
  TokenBuckets,
} from '../../src/mtp/index.js';
import { senderRefusal } from '../../src/node/sender-policy.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const ECHO = path.join(ROOT, 'examples/as-echo/build/as-echo.wasm');
const secretOf = (): string => randomBytes(32).toString('base64url');

describe('MTP peers and rates (pure)', () => {
  it('reads a peers file and refuses what would weaken it', () => {
    const s = secretOf();
    const peers = parseMtpPeers(JSON.stringify({ peers: [{ platform: 'jade-1', secret: s, acc: 'http://127.0.0.1:7778/acc' }] }), 'caxton');
    assert.deepEqual(peers, [{ platform: 'jade-1', secret: s, acc: 'http://127.0.0.1:7778/acc', ratePerSecond: 200 }]);
    const table = new MtpPeerTable(peers);
    assert.equal(table.bySecret(s)?.platform, 'jade-1');
    assert.equal(table.bySecret(`${s}x`), undefined);
    const refused = (json: unknown, re: RegExp): void =>
      assert.throws(
        () => parseMtpPeers(JSON.stringify(json), 'caxton'),
        (e: unknown) => e instanceof MtpConfigError && re.test(e.message) && e.hint !== undefined,
      );
    refused({ peers: [] }, /lists no peers/);
    refused({ peers: [{ platform: 'jade-1', secret: 'short' }] }, /secret must be 32/);
    refused({ peers: [{ platform: 'caxton', secret: s }] }, /this node's own platform/);
    refused(
      {
        peers: [
          { platform: 'a', secret: s },
          { platform: 'b', secret: s },
        ],
      },
      /secret of another peer/,
    );
    refused({ peers: [{ platform: 'a', secret: s, acc: 'ftp://x' }] }, /acc is not an http/);
    assert.throws(() => parseMtpPeers('{', 'caxton'), /not JSON/);
  });

  it("JADE's posts of one message, one per receiver, make one send to all this platform's receivers; a message to one has no key", () => {
    const peer = { platform: 'jade-1', secret: secretOf(), ratePerSecond: 10 };
    const acl =
      '(cfp :sender (agent-identifier :name init@jade-1) :receiver (set (agent-identifier :name b@caxton) (agent-identifier :name a@caxton) (agent-identifier :name x@other)) :content "job")';
    const post = (receiver: string, payload = acl): Buffer =>
      encodeMultipart(
        [
          {
            contentType: 'application/xml',
            body: Buffer.from(
              `<envelope><params index="1"><to><agent-identifier><name>${receiver}</name></agent-identifier></to><acl-representation>fipa.acl.rep.string.std</acl-representation></params></envelope>`,
            ),
          },
          { contentType: 'application/text', body: Buffer.from(payload) },
        ],
        'bb',
      );
    const first = messageFromPost(post('b@caxton'), 'multipart/mixed; boundary=bb', peer, 'caxton');
    const second = messageFromPost(post('a@caxton'), 'multipart/mixed; boundary=bb', peer, 'caxton');
    assert.deepEqual(first.message.receivers, [{ name: 'a@caxton' }, { name: 'b@caxton' }]);
    assert.deepEqual(second.message, first.message);
    assert.equal(sameSendKey(second.message, second.payload), sameSendKey(first.message, first.payload));
    assert.match(sameSendKey(first.message, first.payload) ?? '', /^mtp:[0-9a-f]{64}$/);
    const single = messageFromPost(
      post(
        'a@caxton',
        '(inform :sender (agent-identifier :name p@jade-1) :receiver (set (agent-identifier :name a@caxton)) :content "hi")',
      ),
      'multipart/mixed; boundary=bb',
      peer,
      'caxton',
    );
    assert.equal(sameSendKey(single.message, single.payload), undefined);
    assert.throws(() => messageFromPost(post('a@elsewhere'), 'multipart/mixed; boundary=bb', peer, 'caxton'), /relays nothing/);
  });

  it("posts only to the peer's configured acc origin: never to an address a message named elsewhere, never without an acc", () => {
    const peer = { platform: 'jade-1', secret: secretOf(), acc: 'http://127.0.0.1:7778/acc', ratePerSecond: 10 };
    assert.deepEqual(destinationOf({ name: 'p@jade-1' }, peer), { url: 'http://127.0.0.1:7778/acc' });
    assert.deepEqual(destinationOf({ name: 'p@jade-1', addresses: ['iiop://x', 'http://127.0.0.1:7778/acc2'] }, peer), {
      url: 'http://127.0.0.1:7778/acc2',
    });
    const elsewhere = destinationOf({ name: 'p@jade-1', addresses: ['http://127.0.0.1:7779/grab', 'https://127.0.0.1:7778/acc'] }, peer);
    assert.ok('refused' in elsewhere && /not at http:\/\/127\.0\.0\.1:7778/.test(elsewhere.refused));
    const { acc: _, ...noAcc } = peer;
    const none = destinationOf({ name: 'p@jade-1', addresses: ['http://127.0.0.1:7778/acc'] }, noAcc);
    assert.ok('refused' in none && /has no acc in the MTP peers file/.test(none.refused));
  });

  it("refuses (403) a post whose :reply-to names an agent of another platform, so no other peer's secret is posted to it", () => {
    const peer = { platform: 'jade-1', secret: secretOf(), ratePerSecond: 10 };
    const post = (replyTo: string): Buffer =>
      encodeMultipart(
        [
          {
            contentType: 'application/xml',
            body: Buffer.from(
              '<envelope><params index="1"><to><agent-identifier><name>a@caxton</name></agent-identifier></to><acl-representation>fipa.acl.rep.string.std</acl-representation></params></envelope>',
            ),
          },
          {
            contentType: 'application/text',
            body: Buffer.from(
              `(request :sender (agent-identifier :name p@jade-1) :receiver (set (agent-identifier :name a@caxton)) :reply-to (set (agent-identifier :name ${replyTo} :addresses (sequence http://127.0.0.1:9/grab))) :content "hi")`,
            ),
          },
        ],
        'bb',
      );
    assert.throws(
      () => messageFromPost(post('x@jade-2'), 'multipart/mixed; boundary=bb', peer, 'caxton'),
      (e: unknown) => e instanceof MtpRefusal && e.status === 403 && e.code === 'mtp.forbidden' && /:reply-to x@jade-2/.test(e.message),
    );
    assert.throws(
      () => messageFromPost(post('a@caxton'), 'multipart/mixed; boundary=bb', peer, 'caxton'),
      (e: unknown) => e instanceof MtpRefusal && e.status === 403,
    );
    assert.deepEqual(
      messageFromPost(post('q@jade-1'), 'multipart/mixed; boundary=bb', peer, 'caxton').message.replyTo?.map((r) => r.name),
      ['q@jade-1'],
    );
  });

  it('caps posts in flight per peer and in all', () => {
    const f = new InFlight(2, 3);
    assert.ok(f.enter('a') && f.enter('a'));
    assert.equal(f.enter('a'), false, 'per peer');
    assert.ok(f.enter('b'));
    assert.equal(f.enter('c'), false, 'node-wide');
    f.leave('a');
    assert.ok(f.enter('c'));
    assert.equal(f.enter('a'), false);
  });

  it("refuses a peer platform's agent as sender except through that peer's ACC", () => {
    const peer = { isPeer: (p: string) => p === 'jade-1' };
    assert.match(senderRefusal('x@jade-1', 'x@jade-1', new Set(), () => false, peer) ?? '', /peer platform jade-1/);
    assert.match(
      senderRefusal('x@jade-1', 'x@jade-1', new Set(), () => false, { ...peer, viaAcc: 'jade-2' }) ?? '',
      /peer platform jade-1/,
    );
    assert.equal(
      senderRefusal('x@jade-1', 'x@jade-1', new Set(), () => false, { ...peer, viaAcc: 'jade-1' }),
      undefined,
    );
    assert.equal(
      senderRefusal('ops@elsewhere', 'ops@elsewhere', new Set(), () => false, peer),
      undefined,
    );
  });

  it('a token bucket lets a burst of twice the rate through, then asks to wait', () => {
    const b = new TokenBuckets();
    assert.ok(b.take('p', 1, 0).ok && b.take('p', 1, 0).ok);
    const third = b.take('p', 1, 0);
    assert.equal(third.ok, false);
    assert.equal(!third.ok && third.retryAfterMs, 1000);
    assert.ok(b.take('p', 1, 1000).ok);
  });
});

describe('the ACC and the MTP sender on a real node', () => {
  let dir: string;
  let node: RunningNode;
  let api: CaxtonClient;
  const slowSecret = secretOf();
  const downSecret = secretOf();
  const failingSecret = secretOf();
  let downPort: number;
  let failing: http.Server;
  const posts: { contentType: string; body: Buffer }[] = [];
  const seen: MessageEvent[] = [];

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-acc-'));
    downPort = await freePort();
    // An ACC that is up but failing: it keeps what it was sent and answers 503.
    failing = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        posts.push({ contentType: req.headers['content-type'] ?? '', body: Buffer.concat(chunks) });
        res.writeHead(503).end();
      });
    });
    await new Promise<void>((r) => failing.listen(0, '127.0.0.1', () => r()));
    const failingPort = (failing.address() as AddressInfo).port;
    node = await startNode({
      dataDir: path.join(dir, 'data'),
      apiHost: '127.0.0.1',
      apiPort: 0,
      auth: { mode: 'token' },
      shards: 1,
      mtp: {
        host: '127.0.0.1',
        port: 0,
        retry: { attempts: 3, firstDelayMs: 20 },
        maxBodyBytes: 64 * 1024,
        peers: [
          { platform: 'slow', secret: slowSecret, ratePerSecond: 1 },
          { platform: 'down', secret: downSecret, acc: `http://127.0.0.1:${downPort}/acc`, ratePerSecond: 50 },
          { platform: 'failing', secret: failingSecret, acc: `http://127.0.0.1:${failingPort}/acc`, ratePerSecond: 50 },
        ],
      },
    });
    api = await CaxtonClient.connect({
      address: `127.0.0.1:${node.apiPort}`,
      token: await readTokenFile(tokenFilePath(path.join(dir, 'data'))),
    });
    await api.deploy(
      { name: 'echo', http: { allow: [{ host: '127.0.0.1', ports: [downPort, failingPort], allowPrivate: true }] } },
      await readFile(ECHO),
    );
    node.control.tail({}, { next: (e) => seen.push(e), end: () => {} });
  });

  after(async () => {
    api?.close();
    await node?.stop();
    await new Promise((r) => failing?.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  const until = async (what: string, pred: (e: MessageEvent) => boolean): Promise<MessageEvent> => {
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 20))) {
      const hit = seen.find(pred);
      if (hit) return hit;
    }
    throw new Error(`no ${what} on the tail`);
  };

  const audit = async (): Promise<{ peer: string; error: string }[]> => {
    const out: AuditRecord[] = [];
    await api.listAudit({ from: 0, limit: 1000 }, (r) => out.push(decodeRecord(r.bytes))).done;
    return out.flatMap((r) => (r.kind === undefined && r.method === 'MtpPost' ? [{ peer: r.peer, error: r.result.error }] : []));
  };

  it('refuses a GET, a peer past its rate (429, Retry-After) and a chunked body past the limit, each audited', async () => {
    const url = `${node.mtpUrl!}/${slowSecret}`;
    assert.equal((await fetch(url)).status, 405);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
      statuses.push(res.status);
      if (res.status === 429) assert.ok(Number(res.headers.get('retry-after')) >= 1);
    }
    // The GET spent no token; the first post spent one of the burst of 2 and is malformed; then the burst is gone.
    assert.deepEqual(statuses, [400, 400, 429]);
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        `${node.mtpUrl!}/${downSecret}`,
        { method: 'POST', headers: { 'content-type': 'multipart/mixed; boundary=b', 'transfer-encoding': 'chunked' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      const chunk = Buffer.alloc(16 * 1024, 0x61);
      const write = (n: number): void => {
        if (n === 0 || req.destroyed) return void req.end();
        if (req.write(chunk)) write(n - 1);
        else req.once('drain', () => write(n - 1));
      };
      write(8);
    });
    assert.equal(chunked, 413);
    const records = await audit();
    assert.deepEqual(
      records.map((r) => r.error),
      ['mtp.method', 'mtp.malformed', 'mtp.malformed', 'mtp.rate-limited', 'mtp.body-too-large'],
    );
    assert.deepEqual(
      records.map((r) => r.peer.split(' ').slice(0, 2).join(' ')),
      ['mtp slow', 'mtp slow', 'mtp slow', 'mtp slow', 'mtp down'],
    );
  });

  it("posts an agent's message with an envelope and a received stamp, retries a failing ACC, then returns a failure to the agent", async () => {
    await node.control.send({
      performative: 'request',
      receivers: [{ name: 'echo' }],
      content: 'to a failing ACC',
      conversationId: 'cx-failing',
      replyTo: [{ name: 'pong@failing' }],
    });
    const failure = await until('the failure', (e) => e.message.performative === 'failure' && e.message.conversationId === 'cx-failing');
    assert.equal(failure.message.sender?.name, 'ams@caxton');
    assert.match(failure.message.content ?? '', /could not be delivered to pong@failing over the FIPA HTTP MTP: .*answered HTTP 503/);
    // Typed for the agent, under the stable id of this outcome of this send (mtpFailureId): a re-run is de-duplicated.
    assert.equal(failure.message.userParams?.['X-caxton-failure'], 'mtp-delivery');
    assert.match(failure.messageId, /^f-[0-9a-f]{32}$/);
    assert.equal(posts.length, 3, 'three attempts');
    const parts = parseMultipart(posts[0]!.body, multipartBoundary(posts[0]!.contentType));
    const env = parseMtpEnvelope(parts[0]!.body.toString('utf8'));
    assert.deepEqual(env.to, [{ name: 'pong@failing' }]);
    assert.deepEqual(env.from, { name: 'echo@caxton', addresses: [`${node.mtpUrl!}/${failingSecret}`] });
    assert.equal(env.received.length, 1);
    assert.equal(env.received[0]!.by, node.mtpUrl);
    assert.match(env.received[0]!.date, /^\d{8}Z\d{9}$/);
    const msg = decodeAclString(parts[1]!.body.toString('utf8'));
    assert.equal(msg.performative, 'inform');
    assert.equal(msg.content, 'to a failing ACC');
    assert.equal(env.payloadLength, parts[1]!.body.length);

    await node.control.send({
      performative: 'request',
      receivers: [{ name: 'echo' }],
      content: 'to nobody',
      conversationId: 'cx-down',
      replyTo: [{ name: 'pong@down' }],
    });
    const down = await until('the failure', (e) => e.message.performative === 'failure' && e.message.conversationId === 'cx-down');
    assert.match(down.message.content ?? '', /connect-failed/);
  });

  it("refuses (403, audited) a post whose :reply-to is on another platform, and an operator's send as a peer's agent", async () => {
    const acl =
      '(request :sender (agent-identifier :name p@down) :receiver (set (agent-identifier :name echo@caxton)) :reply-to (set (agent-identifier :name x@failing :addresses (sequence http://127.0.0.1:9/grab))) :content "steal")';
    const body = encodeMultipart(
      [
        {
          contentType: 'application/xml',
          body: Buffer.from(
            '<envelope><params index="1"><to><agent-identifier><name>echo@caxton</name></agent-identifier></to><acl-representation>fipa.acl.rep.string.std</acl-representation></params></envelope>',
          ),
        },
        { contentType: 'application/text', body: Buffer.from(acl) },
      ],
      'bb',
    );
    const res = await fetch(`${node.mtpUrl!}/${downSecret}`, {
      method: 'POST',
      headers: { 'content-type': 'multipart/mixed; boundary=bb' },
      body,
    });
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as { code: string }).code, 'mtp.forbidden');
    const last = (await audit()).at(-1);
    assert.equal(last?.error, 'mtp.forbidden');
    assert.match(last?.peer ?? '', /^mtp down /);
    await assert.rejects(
      node.control.send({ performative: 'inform', sender: { name: 'pong@failing' }, receivers: [{ name: 'echo' }], content: 'as a peer' }),
      (e: unknown) => (e as { code?: string }).code === 'node.sender-forbidden' && /peer platform failing/.test((e as Error).message),
    );
  });

  it("does not post a peer's secret to an address other than its acc, nor to a peer without an acc: the sender gets the failure", async () => {
    const before = posts.length;
    await node.control.send({
      performative: 'request',
      receivers: [{ name: 'echo' }],
      content: 'elsewhere',
      conversationId: 'cx-elsewhere',
      replyTo: [{ name: 'pong@failing', addresses: [`http://127.0.0.1:${downPort}/grab`] }],
    });
    const elsewhere = await until(
      'the failure',
      (e) => e.message.performative === 'failure' && e.message.conversationId === 'cx-elsewhere',
    );
    assert.match(
      elsewhere.message.content ?? '',
      /pong@failing's addresses .* are not at http:\/\/127\.0\.0\.1:\d+, platform failing's configured acc/,
    );
    assert.equal(elsewhere.message.userParams?.['X-caxton-failure'], 'mtp-delivery');
    assert.match(elsewhere.messageId, /^f-[0-9a-f]{32}$/);
    await node.control.send({
      performative: 'request',
      receivers: [{ name: 'echo' }],
      content: 'no acc',
      conversationId: 'cx-noacc',
      replyTo: [{ name: 'pong@slow' }],
    });
    const noAcc = await until('the failure', (e) => e.message.performative === 'failure' && e.message.conversationId === 'cx-noacc');
    assert.match(noAcc.message.content ?? '', /platform slow, which has no acc in the MTP peers file/);
    assert.equal(posts.length, before, 'nothing posted');
  });

  it(`refuses a peer's post past ${MAX_MTP_POSTS_IN_FLIGHT_PER_PEER} in flight (429, Retry-After) before reading it`, async () => {
    const url = `${node.mtpUrl!}/${downSecret}`;
    const open: http.ClientRequest[] = [];
    const answered: Promise<number>[] = [];
    try {
      // Posts whose bodies never finish arriving: each holds its place until it is abandoned.
      for (let i = 0; i < MAX_MTP_POSTS_IN_FLIGHT_PER_PEER; i++) {
        const req = http.request(url, {
          method: 'POST',
          agent: false,
          headers: { 'content-type': 'multipart/mixed; boundary=b', 'content-length': '1000' },
        });
        answered.push(
          new Promise((resolve) => {
            req.on('response', (r) => {
              r.resume();
              resolve(r.statusCode ?? 0);
            });
            req.on('error', () => resolve(-1));
          }),
        );
        req.write('--b\r\n');
        open.push(req);
      }
      // The server has taken them all once a later post on its own connection is answered.
      let status = 0;
      let retryAfter: string | null = null;
      for (const deadline = Date.now() + 5000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 20))) {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
        status = res.status;
        retryAfter = res.headers.get('retry-after');
        const { code } = (await res.json()) as { code: string };
        if (status === 429) {
          assert.equal(code, 'mtp.busy');
          break;
        }
      }
      assert.equal(status, 429);
      assert.ok(Number(retryAfter) >= 1);
    } finally {
      for (const req of open) req.destroy();
      await Promise.all(answered);
    }
    // Places are given back once the abandoned posts are: a post is read again.
    let status = 0;
    for (const deadline = Date.now() + 5000; status !== 400 && Date.now() < deadline; await new Promise((r) => setTimeout(r, 20))) {
      status = (await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' })).status;
    }
    assert.equal(status, 400);
  });
});
