/**
 * Durable MTP forwarding (decision 1910, "Outbox"): the outbox record's reading back (pure), then
 * two Caxton nodes on loopback — `caxton-a` in a child process, `caxton-b` here — peered over the
 * FIPA HTTP MTP. caxton-a's echo answers five requests to `pong@caxton-b` while caxton-b is not
 * yet listening, so every post is being retried; caxton-a is killed with SIGKILL, caxton-b starts,
 * caxton-a restarts on the same data directory and posts what its outbox kept: pong gets every
 * message, and a second restart posts nothing more (each record was removed after its `200`).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { freePort } from '../support/ports.js';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { createHash } from 'node:crypto';
import {
  DEFAULT_HTTP_POLICY,
  encodeAclString,
  encodeMtpEnvelope,
  encodeMultipart,
  envelopeDate,
  STRING_REPRESENTATION,
  type MessageEvent,
  type ReceivedStamp,
} from '@caxton/core';
import { sameSendKey } from '../../src/mtp/index.js';
import { startNode } from '../../src/start/start-node.js';
import {
  encodeMtpOutboxRecord,
  isMtpOutboxKey,
  MtpOutboxRecordError,
  mtpOutboxKey,
  parseMtpOutboxRecord,
} from '../../src/mtp/outbox-records.js';
import type { OutboxChildConfig } from './outbox-child.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const CHILD = fileURLToPath(new URL('./outbox-child.js', import.meta.url));
const COUNT = 5;
const secretOf = (): string => randomBytes(32).toString('base64url');

describe('MTP outbox records (pure)', () => {
  it('keeps a message and its destination under a reserved key, and reads it back strictly', () => {
    const record = {
      messageId: 'm-1',
      agent: 'echo',
      url: 'http://127.0.0.1:7781/acc/s',
      platform: 'jade-1',
      receivers: [{ name: 'p@jade-1', addresses: ['http://127.0.0.1:7781/acc/s'] }],
      message: {
        performative: 'inform' as const,
        sender: { name: 'echo@caxton' },
        receivers: [{ name: 'p@jade-1' }],
        content: 'hi',
        conversationId: 'c1',
      },
      at: 5,
    };
    const write = encodeMtpOutboxRecord(record);
    assert.equal(write.key, mtpOutboxKey('m-1', record.url));
    assert.ok(isMtpOutboxKey(write.key) && write.key.startsWith('\u0000mtp/m-1/'));
    assert.notEqual(mtpOutboxKey('m-1', 'http://127.0.0.1:7782/acc/s'), write.key, 'one record per destination');
    const back = parseMtpOutboxRecord(write.value!);
    assert.deepEqual(back, record);
    const bad = (value: string, re: RegExp): void =>
      assert.throws(
        () => parseMtpOutboxRecord(value),
        (e: unknown) => e instanceof MtpOutboxRecordError && re.test(e.message),
      );
    bad('{', /not JSON/);
    bad('[]', /not an object/);
    bad(JSON.stringify({ ...JSON.parse(write.value!), v: 2 }), /unknown version 2/);
    bad(JSON.stringify({ ...JSON.parse(write.value!), receivers: [] }), /receivers/);
    bad(JSON.stringify({ ...JSON.parse(write.value!), url: 7 }), /field url/);
    bad(JSON.stringify({ ...JSON.parse(write.value!), message: '{"performative":"shout"}' }), /^message: /);
  });

  it("keys a one-receiver post by its sender's received stamps and payload (a Caxton sender's message id), and JADE's unstamped post not at all", () => {
    const message = {
      performative: 'inform' as const,
      sender: { name: 'echo@caxton-a' },
      receivers: [{ name: 'pong@caxton-b' }],
      content: 'hi',
    };
    const payload = Buffer.from(encodeAclString(message));
    const stamp = (id?: string): ReceivedStamp[] => [
      { by: 'http://127.0.0.1:1/acc', date: '20261124Z160000000', ...(id !== undefined ? { id } : {}) },
    ];
    assert.equal(sameSendKey(message, payload), undefined);
    assert.equal(sameSendKey(message, payload, stamp()), undefined, 'a stamp without an id');
    const key = sameSendKey(message, payload, stamp('m-1'));
    assert.match(key ?? '', /^mtp:[0-9a-f]{64}$/);
    assert.equal(sameSendKey(message, payload, stamp('m-1')), key, 'the same message posted again');
    assert.notEqual(sameSendKey(message, payload, stamp('m-2')), key, 'another message of the same words');
    assert.notEqual(sameSendKey(message, Buffer.from(encodeAclString({ ...message, content: 'ho' })), stamp('m-1')), key);
    // The replay may come from another node of the sender's cluster, or another port: same send.
    assert.equal(
      sameSendKey(message, payload, [{ by: 'http://127.0.0.2:9/acc', date: '20261124Z170000000', id: 'm-1' }]),
      key,
      'stamped elsewhere, same id',
    );
    // The same message posted to another of this node's agents (another address, same origin) is another send.
    assert.notEqual(
      sameSendKey({ ...message, receivers: [{ name: 'ping@caxton-b' }] }, payload, stamp('m-1')),
      key,
      'another local receiver',
    );
  });
});

interface Child {
  lines: string[];
  /** Resolves with the first line matching, or rejects when the child ends first. */
  line(pred: (l: string) => boolean, what: string): Promise<string>;
  kill(): Promise<void>;
}

function runChild(config: OutboxChildConfig): Child {
  const child = spawn(process.execPath, [CHILD, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  let ended = false;
  const waiters = new Set<() => void>();
  const wake = (): void => {
    for (const w of waiters) w();
  };
  let buffer = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    buffer += text;
    const parts = buffer.split('\n');
    buffer = parts.pop()!;
    lines.push(...parts);
    wake();
  });
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const closed = new Promise<void>((resolve) =>
    child.on('close', () => {
      ended = true;
      wake();
      resolve();
    }),
  );
  return {
    lines,
    async line(pred, what) {
      for (;;) {
        const hit = lines.find(pred);
        if (hit !== undefined) return hit;
        const error = lines.find((l) => l.startsWith('E '));
        if (error !== undefined || ended) throw new Error(`outbox child: no ${what}: ${error ?? 'it ended'} ${stderr.slice(-2000)}`);
        await new Promise<void>((resolve) => {
          const w = (): void => {
            waiters.delete(w);
            resolve();
          };
          waiters.add(w);
        });
      }
    },
    async kill() {
      if (!ended) child.kill('SIGKILL');
      await closed;
    },
  };
}

describe('an outbound post outlives a node killed before the peer answered', () => {
  it('caxton-a, killed while its posts are retried and restarted on its data directory, delivers every message to caxton-b', async (t) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-mtp-outbox-'));
    const [aPort, bPort] = [await freePort(), await freePort()];
    const aToB = secretOf(); // what caxton-a posts to caxton-b with
    const bToA = secretOf(); // what caxton-b posts to caxton-a with
    const config: OutboxChildConfig = {
      dataDir: path.join(dir, 'a'),
      accPort: aPort,
      inboundSecret: bToA,
      peerAcc: `http://127.0.0.1:${bPort}/acc/${aToB}`,
      peerPort: bPort,
    };
    const children: Child[] = [];
    let b: Awaited<ReturnType<typeof startNode>> | undefined;
    try {
      // 1. caxton-b is down: every answer's post fails to connect and waits for its next attempt.
      const first = runChild({ ...config, send: { count: COUNT } });
      children.push(first);
      for (let i = 1; i <= COUNT; i++) await first.line((l) => l === `S m${i}`, `accepted answer m${i}`);
      assert.equal(first.lines.filter((l) => l.startsWith('F ')).length, 0, 'no failure yet: the posts are still being retried');
      await first.kill();

      // 2. caxton-b starts, with pong: the echo, allowed no egress (its answers back stop at caxton-b as failures it ignores).
      b = await startNode({
        dataDir: path.join(dir, 'b'),
        apiHost: '127.0.0.1',
        apiPort: 0,
        auth: { mode: 'none' },
        api: false,
        shards: 1,
        platform: 'caxton-b',
        mtp: {
          host: '127.0.0.1',
          port: bPort,
          peers: [{ platform: 'caxton-a', secret: aToB, acc: `http://127.0.0.1:${aPort}/acc/${bToA}`, ratePerSecond: 200 }],
        },
      });
      const wasm = new Uint8Array(await readFile(path.join(ROOT, 'examples/as-echo/build/as-echo.wasm')));
      await b.control.deploy(
        { name: 'pong', limits: {}, config: {}, http: { ...DEFAULT_HTTP_POLICY, allow: [] } },
        { bytes: wasm, sha256: createHash('sha256').update(wasm).digest('hex') },
      );
      const heard: MessageEvent[] = [];
      b.control.tail(
        {},
        {
          next: (e) => {
            if (e.message.sender?.name === 'echo@caxton-a') heard.push(e);
          },
          end: () => {},
        },
      );
      const contents = (): string[] => heard.map((e) => e.message.content ?? '');
      const allHeard = async (what: string): Promise<void> => {
        for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 25))) {
          if (Array.from({ length: COUNT }, (_, i) => `m${i + 1}`).every((m) => contents().includes(m))) return;
        }
        throw new Error(`${what}: pong heard only ${JSON.stringify(contents())}`);
      };

      // 3. caxton-a restarts on the same data directory: the echo's activation replays its outbox.
      const second = runChild(config);
      children.push(second);
      await second.line((l) => l === 'READY', 'READY after the restart');
      await allHeard('after the restart');
      const counts = new Map<string, number>();
      for (const c of contents()) counts.set(c, (counts.get(c) ?? 0) + 1);
      t.diagnostic(`pong heard ${heard.length} posts for ${COUNT} messages: ${JSON.stringify(Object.fromEntries(counts))}`);
      for (const e of heard) {
        assert.equal(e.message.performative, 'inform');
        assert.match(e.message.conversationId ?? '', /^cx-\d$/);
      }
      assert.equal(second.lines.filter((l) => l.startsWith('F ')).length, 0, 'no failure came back to the echo');
      await second.kill();

      // The same post twice (what a restart between the peer's 200 and the record's removal sends)
      // is heard once: caxton-b's ACC keys it by caxton-a's received stamp (its message id).
      const repeat = (id: string, content: string): Promise<Response> => {
        const acl = {
          performative: 'inform' as const,
          sender: { name: 'echo@caxton-a' },
          receivers: [{ name: 'pong@caxton-b' }],
          content,
          conversationId: `cx-${content}`,
        };
        const payload = Buffer.from(encodeAclString(acl));
        const envelope = encodeMtpEnvelope({
          to: acl.receivers,
          from: acl.sender,
          aclRepresentation: STRING_REPRESENTATION,
          payloadLength: payload.length,
          payloadEncoding: 'UTF-8',
          received: [{ by: `http://127.0.0.1:${aPort}/acc`, date: envelopeDate(Date.now()), id }],
        });
        const body = encodeMultipart(
          [
            { contentType: 'application/xml', body: Buffer.from(envelope) },
            { contentType: 'application/text', body: payload },
          ],
          'bb',
        );
        return fetch(`http://127.0.0.1:${bPort}/acc/${aToB}`, {
          method: 'POST',
          headers: { 'content-type': 'multipart/mixed; boundary="bb"' },
          body,
        });
      };
      assert.deepEqual(
        await Promise.all(
          [repeat('dup-1', 'm-dup'), repeat('dup-1', 'm-dup'), repeat('dup-2', 'm-dup')].map(async (r) => (await r).status),
        ),
        [200, 200, 200],
      );
      for (const deadline = Date.now() + 10_000; contents().filter((c) => c === 'm-dup').length < 2 && Date.now() < deadline; )
        await new Promise((r) => setTimeout(r, 25));
      assert.equal(contents().filter((c) => c === 'm-dup').length, 2, 'dup-1 heard once, dup-2 (another message of the same words) once');

      // 4. Each record went once its post was answered: a third start posts only a new answer. The
      // outbox is read when the echo is activated, before it handles the probe, so a replayed post
      // would leave before the probe's answer.
      const before = heard.length;
      const third = runChild({ ...config, probe: 'm-after' });
      children.push(third);
      // The deadline is for the answer's post, not for a node process's start (which took most of
      // 15 s on a loaded CI machine, and the run failed with nothing posted yet).
      await third.line((l) => l === 'READY', 'READY on the third start');
      for (const deadline = Date.now() + 15_000; !contents().includes('m-after') && Date.now() < deadline; )
        await new Promise((r) => setTimeout(r, 25));
      assert.deepEqual(contents().slice(before), ['m-after'], 'nothing posted again but the new answer');
    } finally {
      for (const c of children) await c.kill();
      await b?.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('a stopped node keeps its unanswered posts; a failed one it forgets', () => {
  it('a post that finally failed is not posted again; one cut by a stop is posted after the restart', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-mtp-outbox-stop-'));
    const [aPort, bPort] = [await freePort(), await freePort()];
    const aToB = secretOf();
    const bToA = secretOf();
    const wasm = new Uint8Array(await readFile(path.join(ROOT, 'examples/as-echo/build/as-echo.wasm')));
    const artifact = { bytes: wasm, sha256: createHash('sha256').update(wasm).digest('hex') };
    const startA = (retry: { attempts: number; firstDelayMs: number }): ReturnType<typeof startNode> =>
      startNode({
        dataDir: path.join(dir, 'a'),
        apiHost: '127.0.0.1',
        apiPort: 0,
        auth: { mode: 'none' },
        api: false,
        shards: 1,
        platform: 'caxton-a',
        mtp: {
          host: '127.0.0.1',
          port: aPort,
          retry,
          peers: [{ platform: 'caxton-b', secret: bToA, acc: `http://127.0.0.1:${bPort}/acc/${aToB}`, ratePerSecond: 200 }],
        },
      });
    const seenOn = (node: Awaited<ReturnType<typeof startNode>>): MessageEvent[] => {
      const seen: MessageEvent[] = [];
      node.control.tail({}, { next: (e) => seen.push(e), end: () => {} });
      return seen;
    };
    const until = async (what: string, pred: () => boolean): Promise<void> => {
      for (const deadline = Date.now() + 15_000; !pred(); await new Promise((r) => setTimeout(r, 25)))
        if (Date.now() > deadline) throw new Error(`no ${what}`);
    };
    const ask = (node: Awaited<ReturnType<typeof startNode>>, content: string): Promise<unknown> =>
      node.control.send({
        performative: 'request',
        receivers: [{ name: 'echo' }],
        content,
        conversationId: `cx-${content}`,
        replyTo: [{ name: 'pong@caxton-b' }],
      });
    const nodes: Awaited<ReturnType<typeof startNode>>[] = [];
    try {
      // caxton-b is down. A post that fails twice comes back as failure, and its record goes.
      const a1 = await startA({ attempts: 2, firstDelayMs: 20 });
      nodes.push(a1);
      await a1.control.deploy(
        {
          name: 'echo',
          limits: {},
          config: {},
          http: { ...DEFAULT_HTTP_POLICY, allow: [{ host: '127.0.0.1', ports: [bPort], allowPrivate: true }] },
        },
        artifact,
      );
      const seen1 = seenOn(a1);
      await ask(a1, 'm-fail');
      await until('failure for m-fail', () =>
        seen1.some((e) => e.message.performative === 'failure' && e.message.conversationId === 'cx-m-fail'),
      );
      await a1.stop();

      // A post still being retried when the node stops (gracefully) keeps its record.
      const a2 = await startA({ attempts: 4, firstDelayMs: 5000 });
      nodes.push(a2);
      const seen2 = seenOn(a2);
      await ask(a2, 'm-stop');
      await until('the answer m-stop accepted', () =>
        seen2.some((e) => e.message.sender?.name === 'echo@caxton-a' && e.message.content === 'm-stop'),
      );
      await a2.stop();

      const b = await startNode({
        dataDir: path.join(dir, 'b'),
        apiHost: '127.0.0.1',
        apiPort: 0,
        auth: { mode: 'none' },
        api: false,
        shards: 1,
        platform: 'caxton-b',
        mtp: {
          host: '127.0.0.1',
          port: bPort,
          peers: [{ platform: 'caxton-a', secret: aToB, acc: `http://127.0.0.1:${aPort}/acc/${bToA}`, ratePerSecond: 200 }],
        },
      });
      nodes.push(b);
      await b.control.deploy({ name: 'pong', limits: {}, config: {}, http: { ...DEFAULT_HTTP_POLICY, allow: [] } }, artifact);
      const heard = seenOn(b);
      const a3 = await startA({ attempts: 4, firstDelayMs: 100 });
      nodes.push(a3);
      await ask(a3, 'm-after');
      const fromA = (): string[] => heard.filter((e) => e.message.sender?.name === 'echo@caxton-a').map((e) => e.message.content ?? '');
      await until('m-stop and m-after at pong', () => fromA().includes('m-stop') && fromA().includes('m-after'));
      assert.ok(!fromA().includes('m-fail'), 'the failed post was not posted again');
      assert.equal(fromA().filter((c) => c === 'm-stop').length, 1);
    } finally {
      for (const n of nodes.reverse()) await n.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
