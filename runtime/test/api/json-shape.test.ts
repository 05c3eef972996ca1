/**
 * JSON bodies are bounded in shape before they are parsed (decision 1910, "JSON shape before
 * parsing"): core's pre-scan (pure), then each ingress of a real node that parses client JSON —
 * the console's HTTP API (`POST /api/messages`) and WebSocket (`/api/ws`), A2A's JSON-RPC binding
 * and MCP's endpoint — refuses ~900 KB of `[[[[…` and of `[0,0,0,…]` (both within every byte
 * limit) with its typed code and the hint, and still takes a body of ordinary shape.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { CaxtonClient } from '@caxton/client';
import { JSON_BODY_LIMITS, JSON_SHAPE_HINT, jsonShapeRefusal } from '@caxton/core';
import { startNode, type RunningNode } from '../../src/start/start-node.js';
import { readTokenFile, tokenFilePath } from '../../src/api/auth.js';
import { parseWsRequest } from '../../src/console/ws-protocol.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const ECHO = path.join(ROOT, 'examples/as-echo/build/as-echo.wasm');
const SIZE = 900_000;
const DEEP = '['.repeat(SIZE);
const WIDE = `[${'0,'.repeat(SIZE / 2 - 1)}0]`;

describe('the JSON shape pre-scan (pure)', () => {
  it('refuses nesting past the depth and values past the count, before parsing', () => {
    assert.match(jsonShapeRefusal(DEEP) ?? '', /nests arrays and objects more than 64 deep/);
    assert.match(jsonShapeRefusal(WIDE) ?? '', /more than 100000 values and keys/);
    const depth = JSON_BODY_LIMITS.maxDepth;
    assert.equal(jsonShapeRefusal(`${'['.repeat(depth)}${']'.repeat(depth)}`), undefined, 'exactly the depth passes');
    assert.match(jsonShapeRefusal(`${'{"a":'.repeat(depth)}[]${'}'.repeat(depth)}`) ?? '', /deep/);
    // Values and keys: `{"a":1}` is three (the object, the key, the number).
    assert.equal(jsonShapeRefusal('{"a":1}', { maxDepth: 4, maxValues: 3 }), undefined);
    assert.match(jsonShapeRefusal('{"a":1,"b":2}', { maxDepth: 4, maxValues: 3 }) ?? '', /more than 3 values/);
    assert.equal(
      jsonShapeRefusal('[true,false,null,-1.5e3]', { maxDepth: 4, maxValues: 5 }),
      undefined,
      'a literal or number is one value',
    );
  });

  it('does not count what is inside strings, escaped quotes included', () => {
    const content = `${'[{,:'.repeat(50_000)}\\"[[[\\\\`;
    assert.equal(jsonShapeRefusal(JSON.stringify({ content: `${content}"]]` })), undefined);
    assert.equal(
      jsonShapeRefusal(JSON.stringify({ performative: 'inform', receivers: [{ name: 'echo' }], content: DEEP })),
      undefined,
      'a message whose content is brackets is fine',
    );
    // Text that is not JSON is left to the parser: an unterminated string ends the scan.
    assert.equal(jsonShapeRefusal('["abc'), undefined);
    // Stray closers do not buy depth for what follows.
    assert.match(jsonShapeRefusal(`${']'.repeat(100)}${'['.repeat(JSON_BODY_LIMITS.maxDepth + 1)}`) ?? '', /deep/);
  });

  it('the WebSocket frame parser refuses a frame past the shape, typed', () => {
    assert.throws(
      () => parseWsRequest(`{"op":"send","id":"a","message":${WIDE}}`),
      (e: Error & { code?: string; hint?: string }) => e.code === 'console.json-too-complex' && e.hint === JSON_SHAPE_HINT,
    );
  });
});

describe('every JSON ingress of a node refuses a body past the shape before parsing it', () => {
  let dir: string;
  let node: RunningNode;
  let admin: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-json-shape-'));
    node = await startNode({
      dataDir: path.join(dir, 'data'),
      apiHost: '127.0.0.1',
      apiPort: 0,
      auth: { mode: 'token' },
      shards: 1,
      console: { host: '127.0.0.1', port: 0 },
      a2a: { host: '127.0.0.1', port: 0, callTimeoutMs: 5000 },
      mcp: { host: '127.0.0.1', port: 0, callTimeoutMs: 5000 },
    });
    admin = await readTokenFile(tokenFilePath(path.join(dir, 'data')));
    const api = await CaxtonClient.connect({ address: `127.0.0.1:${node.apiPort}`, token: admin });
    try {
      await api.deploy({ name: 'echo' }, await readFile(ECHO));
    } finally {
      api.close();
    }
  });

  after(async () => {
    await node?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const post = async (url: string, body: string): Promise<{ status: number; json: unknown }> => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body,
    });
    return { status: res.status, json: await res.json() };
  };

  it("the console's POST /api/messages: 413 console.json-too-complex", async () => {
    const url = new URL('/api/messages', node.consoleUrl).href;
    for (const body of [DEEP, WIDE]) {
      const { status, json } = await post(url, body);
      assert.equal(status, 413);
      assert.equal((json as { error: { code: string; hint: string } }).error.code, 'console.json-too-complex');
      assert.equal((json as { error: { hint: string } }).error.hint, JSON_SHAPE_HINT);
    }
    const ok = await post(url, JSON.stringify({ performative: 'inform', receiver: [{ name: 'echo' }], content: DEEP.slice(0, 1000) }));
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
  });

  it("the console's WebSocket: an error frame console.json-too-complex, the socket kept", async () => {
    const ws = new WebSocket(`${node.consoleUrl!.replace(/^http/, 'ws').replace(/\/?$/, '/')}api/ws`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    const frames: Record<string, unknown>[] = [];
    let wake: () => void = () => {};
    ws.on('message', (data) => {
      frames.push(JSON.parse(String(data)) as Record<string, unknown>);
      wake();
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const next = async (): Promise<Record<string, unknown>> => {
      const deadline = Date.now() + 10_000;
      while (frames.length === 0) {
        if (Date.now() > deadline) assert.fail('no frame');
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 200);
        });
      }
      return frames.shift()!;
    };
    try {
      assert.equal((await next())['type'], 'ready');
      for (const body of [DEEP, WIDE]) {
        ws.send(body);
        const frame = await next();
        assert.equal(frame['type'], 'error');
        assert.equal(
          frame['code'] ?? (frame['error'] as { code?: string } | undefined)?.code,
          'console.json-too-complex',
          JSON.stringify(frame).slice(0, 300),
        );
      }
      assert.equal(ws.readyState, WebSocket.OPEN, 'a refused frame does not close the socket');
    } finally {
      ws.close();
    }
  });

  it("A2A's JSON-RPC binding: 413 a2a.json-too-complex", async () => {
    const url = `${node.a2aUrl!}/a2a/echo/jsonrpc`;
    for (const body of [DEEP, WIDE]) {
      const { status, json } = await post(url, body);
      assert.equal(status, 413);
      const data = (json as { error: { data: { code: string; hint: string } } }).error.data;
      assert.equal(data.code, 'a2a.json-too-complex');
      assert.equal(data.hint, JSON_SHAPE_HINT);
    }
    const ok = await post(url, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tasks/get', params: { id: 'no-such-task' } }));
    assert.notEqual(ok.status, 413);
    assert.equal((ok.json as { jsonrpc?: string }).jsonrpc, '2.0');
  });

  /** A raw POST to an agent's A2A binding: the refusal's Caxton code (JSON-RPC's `error.data`, REST's `error.details[0]`). */
  const a2aPost = async (
    sub: string,
    contentType: string,
    body: Buffer | string,
  ): Promise<{ status: number; code: string | undefined; text: string }> => {
    const res = await fetch(`${node.a2aUrl!}/a2a/echo/${sub}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': contentType, 'a2a-version': '1.0' },
      body,
    });
    const text = await res.text();
    let code: string | undefined;
    try {
      const json = JSON.parse(text) as { error?: { data?: { code?: string }; details?: { code?: string }[] } };
      code = json.error?.data?.code ?? json.error?.details?.[0]?.code;
    } catch {
      /* not JSON: no code */
    }
    return { status: res.status, code, text: text.slice(0, 300) };
  };

  it('A2A checks every body, whatever its content type and charset (review of outboxfix4, 4)', async () => {
    // A2A 1.0's own media type, which the SDK's REST router parses itself: scanned first all the same.
    const deep = await a2aPost('rest/message:send', 'application/a2a+json', `{"a":${'['.repeat(45_000)}${']'.repeat(45_000)}}`);
    assert.deepEqual([deep.status, deep.code], [413, 'a2a.json-too-complex'], deep.text);
    // UTF-16LE, where U+2200 holds a bare 0x22 byte: a scan of the bytes as UTF-8 would see the rest
    // as inside a string. Another charset than UTF-8 is refused, typed, before anything is parsed.
    const N = 250_000;
    const utf16 = Buffer.from(`["\u2200",${'['.repeat(N)}${']'.repeat(N)}]`, 'utf16le');
    const charset = await a2aPost('jsonrpc', 'application/json; charset=utf-16le', utf16);
    assert.deepEqual([charset.status, charset.code], [415, 'a2a.unsupported-charset'], charset.text);
    // The same bytes with no charset named are read as UTF-8: not JSON, refused, never taken.
    const undeclared = await a2aPost('jsonrpc', 'application/json', utf16);
    assert.equal(undeclared.status, 400, undeclared.text);
    // The tenant check sees an a2a+json body too.
    const message = { messageId: 'm1', role: 'ROLE_USER', parts: [{ text: 'hi' }] };
    const tenant = await a2aPost('rest/message:send', 'application/a2a+json', JSON.stringify({ tenant: 'someone-else', message }));
    assert.deepEqual([tenant.status, tenant.code], [400, 'a2a.no-tenant'], tenant.text);
    // A compressed body is refused, not inflated past the checks.
    const gz = await fetch(`${node.a2aUrl!}/a2a/echo/jsonrpc`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: Buffer.from([0x1f, 0x8b]),
    });
    assert.equal(gz.status, 415);
    // An ordinary call in a2a+json, UTF-8 named, is read and answered by the SDK.
    const ok = await a2aPost(
      'jsonrpc',
      'application/a2a+json; charset=UTF-8',
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tasks/get', params: { id: 'no-such-task' } }),
    );
    assert.notEqual(ok.status, 413);
    assert.match(ok.text, /"jsonrpc":"2.0"/);
  });

  it("MCP's endpoint: 413 mcp.json-too-complex", async () => {
    const url = node.mcpUrl!;
    for (const body of [DEEP, WIDE]) {
      const { status, json } = await post(url, body);
      assert.equal(status, 413);
      const data = (json as { error: { data: { code: string; hint: string } } }).error.data;
      assert.equal(data.code, 'mcp.json-too-complex');
      assert.equal(data.hint, JSON_SHAPE_HINT);
    }
    const bad = await post(url, '{"jsonrpc":');
    assert.equal(bad.status, 400);
    assert.equal((bad.json as { error: { data: { code: string } } }).error.data.code, 'mcp.bad-body');
    const ok = await post(
      url,
      JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 't', version: '1' } },
      }),
    );
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    assert.ok((ok.json as { result?: unknown }).result, 'an ordinary call is answered');
  });
});
