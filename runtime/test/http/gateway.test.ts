/**
 * The HTTP gateway against real local servers (node:http, node:https with a CA made by openssl at
 * test time): answers, TLS with the policy's extra CA, the gateway's own allow-list recheck,
 * redirects, the address guard, the deadline, the byte cap, the in-flight queue, dropped headers
 * and pending-call recovery (`interrupted`). Answers are captured where the node would put them
 * on the bus; pending records live in an in-memory AgentStateStore.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AclMessage, HttpCallEvent, HttpPolicy, HttpRequestSpec } from '@caxton/core';
import { HttpGateway, answerMessageId } from '../../src/http/gateway.js';
import { nodeDefaultHttpPolicy } from '../../src/http/policy.js';
import { pendingCallKey } from '../../src/http/pending-calls.js';
import { InMemoryAgentStateStore, httpServer, httpsServer, makeTestCa, type TestCa, type TestServer } from './support.js';
import { hasOpenssl } from '../api/support/test-certificates.js';

let plain: TestServer;
let secure: TestServer | undefined;
let ca: TestCa | undefined;
const seen: { url: string; headers: Record<string, unknown> }[] = [];

before(async () => {
  plain = await httpServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/hello') {
      res.writeHead(200, { 'content-type': 'text/plain', 'x-test': 'yes' });
      res.end('hello');
    } else if (url.pathname === '/redirect-ok') {
      res.writeHead(302, { location: '/hello' });
      res.end();
    } else if (url.pathname === '/redirect-off') {
      res.writeHead(302, { location: 'http://elsewhere.invalid/steal' });
      res.end();
    } else if (url.pathname === '/silent') {
      // never answers
    } else if (url.pathname === '/big-stream') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(500, 1);
      let n = 0;
      const t = setInterval(() => {
        if (n++ >= 10 || res.destroyed) {
          clearInterval(t);
          res.end();
          return;
        }
        res.write(chunk);
      }, 5);
    } else if (url.pathname === '/big-declared') {
      res.writeHead(200, { 'content-length': '5000' });
      res.end(Buffer.alloc(5000));
    } else if (url.pathname === '/a2a-task') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        '{"jsonrpc":"2.0","id":"a2a-1","result":{"task":{"id":"t-9","contextId":"c-1","status":{"state":"TASK_STATE_COMPLETED"},"artifacts":[{"parts":[{"text":"done"}]}]}}}',
      );
    } else if (url.pathname === '/echo-headers') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(req.headers));
    } else {
      res.writeHead(404);
      res.end('no');
    }
  });
  if (hasOpenssl()) {
    ca = makeTestCa();
    secure = await httpsServer(ca, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('secret hello');
    });
  }
});

after(async () => {
  await plain.close();
  await secure?.close();
  ca?.remove();
});

interface Harness {
  gateway: HttpGateway;
  sent: { message: AclMessage; id: string }[];
  logs: string[];
  events: HttpCallEvent[];
  state: InMemoryAgentStateStore;
  call(id: string, request: Partial<HttpRequestSpec> & { url: string }): Promise<void>;
  answer(id: string): Promise<AclMessage>;
}

const _n = 0;
function harness(policy: Partial<HttpPolicy>, resolve?: ConstructorParameters<typeof HttpGateway>[0]['resolve']): Harness {
  const full: HttpPolicy = { ...nodeDefaultHttpPolicy(), ...policy };
  const sent: Harness['sent'] = [];
  const logs: string[] = [];
  const events: HttpCallEvent[] = [];
  const state = new InMemoryAgentStateStore();
  const gateway = new HttpGateway({
    platform: 'p',
    state,
    policyOf: () => full,
    log: (_a, _l, m) => logs.push(m),
    send: async (message, id) => {
      sent.push({ message, id });
    },
    ...(resolve ? { resolve } : {}),
  });
  gateway.events.onType('http-call', (e) => events.push(e));
  return {
    gateway,
    sent,
    logs,
    events,
    state,
    async call(id, request) {
      const req: HttpRequestSpec = { method: 'GET', headers: [], ...request };
      const record = {
        key: pendingCallKey(id),
        value: JSON.stringify({ method: req.method, url: req.url, conversationId: `conv-${id}`, at: Date.now() }),
      };
      // The record commits with the handling (as the bus does it), then the call is applied.
      await state.commitState('a', [record]);
      gateway.apply({ agent: 'a', http: [{ id, request: req }], stateWrites: [record] });
    },
    async answer(id) {
      const deadline = Date.now() + 5000;
      for (;;) {
        const hit = sent.find((s) => s.message.inReplyTo === id);
        if (hit) {
          // the record goes once the answer is durable: wait for that too
          while ((await state.readState('a')).has(pendingCallKey(id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
          return hit.message;
        }
        if (Date.now() > deadline) throw new Error(`no answer to ${id}; sent: ${JSON.stringify(sent.map((s) => s.message.inReplyTo))}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
  };
}

const local = (port: number, extra: object = {}): HttpPolicy['allow'][number] => ({
  host: 'localhost',
  ports: [port],
  allowPrivate: true,
  ...extra,
});

test('an allowed plain call is answered with inform: body, status, headers, conversation, derived id; the record goes', async () => {
  const h = harness({ allow: [local(plain.port)] });
  await h.call('c1', { url: `http://localhost:${plain.port}/hello`, context: 'ctx-1' });
  const m = await h.answer('c1');
  assert.equal(m.performative, 'inform');
  assert.equal(m.content, 'hello');
  assert.equal(m.sender?.name, 'http@p');
  assert.deepEqual(m.receivers, [{ name: 'a@p' }]);
  assert.equal(m.conversationId, 'conv-c1');
  assert.equal(m.userParams?.['X-caxton-http-status'], '200');
  assert.equal(m.userParams?.['X-caxton-http-context'], 'ctx-1');
  assert.equal(m.userParams?.['X-caxton-http-header-x-test'], 'yes');
  assert.equal(h.sent[0]!.id, answerMessageId('a', 'c1'));
  assert.equal((await h.state.readState('a')).size, 0);
  assert.equal(h.events[0]!.status, 200);
  assert.equal(h.events[0]!.host, 'localhost');
  assert.equal(h.events[0]!.bytes, 5);
  await h.gateway.close();
});

test('TLS with the policy extra CA is answered; without it the failure is tls', {
  skip: hasOpenssl() ? false : 'openssl CLI not found: node:crypto cannot sign the test certificate',
}, async () => {
  const withCa = harness({ allow: [local(secure!.port)], extraCaPem: ca!.caPem });
  await withCa.call('t1', { url: `https://localhost:${secure!.port}/` });
  const ok = await withCa.answer('t1');
  assert.equal(ok.performative, 'inform', ok.content);
  assert.equal(ok.content, 'secret hello');
  const withoutCa = harness({ allow: [local(secure!.port)] });
  await withoutCa.call('t2', { url: `https://localhost:${secure!.port}/` });
  const bad = await withoutCa.answer('t2');
  assert.equal(bad.performative, 'failure');
  assert.equal(bad.userParams?.['X-caxton-failure'], 'tls');
  await withCa.gateway.close();
  await withoutCa.gateway.close();
});

test('a host off the list is refused by the gateway itself (it does not trust the sandbox)', async () => {
  const h = harness({ allow: [{ host: 'api.example.com' }] });
  const before = seen.length;
  await h.call('d1', { url: `http://localhost:${plain.port}/hello` });
  const m = await h.answer('d1');
  assert.equal(m.performative, 'failure');
  assert.equal(m.userParams?.['X-caxton-failure'], 'address-denied');
  assert.match(m.content ?? '', /allow-list/);
  assert.equal(seen.length, before, 'no request reached the server');
});

test('redirects on the list are followed; one off the list is redirect-denied', async () => {
  const h = harness({ allow: [local(plain.port)] });
  await h.call('r1', { url: `http://localhost:${plain.port}/redirect-ok` });
  const ok = await h.answer('r1');
  assert.equal(ok.content, 'hello');
  await h.call('r2', { url: `http://localhost:${plain.port}/redirect-off` });
  const denied = await h.answer('r2');
  assert.equal(denied.performative, 'failure');
  assert.equal(denied.userParams?.['X-caxton-failure'], 'redirect-denied');
  assert.match(denied.content ?? '', /elsewhere\.invalid/);
  await h.gateway.close();
});

test('a name resolving to loopback without allowPrivate is address-denied, before connecting', async () => {
  const h = harness({ allow: [{ host: 'localhost', ports: [plain.port] }] });
  const before = seen.length;
  await h.call('l1', { url: `http://localhost:${plain.port}/hello` });
  const m = await h.answer('l1');
  assert.equal(m.userParams?.['X-caxton-failure'], 'address-denied');
  assert.match(m.content ?? '', /loopback/);
  assert.equal(seen.length, before);
});

test('the connection goes to the checked address: a name only the gateway resolved reaches it (pinned lookup)', async () => {
  let lookups = 0;
  const h = harness({ allow: [{ host: 'svc.caxton.test', ports: [plain.port], allowPrivate: true }] }, async () => {
    lookups += 1;
    return [{ address: '127.0.0.1', family: 4 }];
  });
  await h.call('p1', { url: `http://svc.caxton.test:${plain.port}/echo-headers` });
  const m = await h.answer('p1');
  assert.equal(m.performative, 'inform', m.content);
  assert.equal(JSON.parse(m.content!).host, `svc.caxton.test:${plain.port}`, 'the Host header keeps the name');
  assert.equal(lookups, 1);
  const rebinding = harness({ allow: [{ host: 'svc.caxton.test', ports: [plain.port] }] }, async () => [
    { address: '93.184.216.34', family: 4 },
    { address: '127.0.0.1', family: 4 },
  ]);
  await rebinding.call('p2', { url: `http://svc.caxton.test:${plain.port}/hello` });
  assert.equal(
    (await rebinding.answer('p2')).userParams?.['X-caxton-failure'],
    'address-denied',
    'one private address among public ones is refused',
  );
  await h.gateway.close();
});

test('the timeout covers the whole call', async () => {
  const h = harness({ allow: [local(plain.port)], timeoutMs: 200 });
  const started = Date.now();
  await h.call('to1', { url: `http://localhost:${plain.port}/silent` });
  const m = await h.answer('to1');
  assert.equal(m.userParams?.['X-caxton-failure'], 'timeout');
  assert.ok(Date.now() - started < 2000);
  // the agent's own timeout can only be shorter
  await h.call('to2', { url: `http://localhost:${plain.port}/silent`, timeoutMs: 50 });
  assert.equal((await h.answer('to2')).userParams?.['X-caxton-failure'], 'timeout');
  assert.ok(h.events.find((e) => e.callId === 'to2')!.durationMs < 200);
  await h.gateway.close();
});

test('maxResponseBytes is enforced while streaming and on a declared length', async () => {
  const h = harness({ allow: [local(plain.port)], maxResponseBytes: 1000 });
  await h.call('s1', { url: `http://localhost:${plain.port}/big-stream` });
  const streamed = await h.answer('s1');
  assert.equal(streamed.userParams?.['X-caxton-failure'], 'too-large');
  await h.call('s2', { url: `http://localhost:${plain.port}/big-declared` });
  const declared = await h.answer('s2');
  assert.equal(declared.userParams?.['X-caxton-failure'], 'too-large');
  assert.match(declared.content ?? '', /declares 5000 bytes/);
  await h.gateway.close();
});

test('calls past in-flight × 4 waiting are answered quota-exceeded at once', async () => {
  const h = harness({ allow: [local(plain.port)], maxInFlight: 1, timeoutMs: 300 });
  for (let i = 0; i < 6; i++) await h.call(`q${i}`, { url: `http://localhost:${plain.port}/silent` });
  const refused = await h.answer('q5');
  assert.equal(refused.userParams?.['X-caxton-failure'], 'quota-exceeded');
  assert.equal(h.sent.length, 1, 'the others are still running or waiting');
  for (let i = 0; i < 5; i++) assert.equal((await h.answer(`q${i}`)).userParams?.['X-caxton-failure'], 'timeout');
  await h.gateway.close();
});

test('headers the node owns are dropped (and logged); the rest are sent', async () => {
  const h = harness({ allow: [local(plain.port)] });
  await h.call('h1', {
    url: `http://localhost:${plain.port}/echo-headers`,
    method: 'POST',
    body: 'abc',
    headers: [
      ['Host', 'evil.example'],
      ['X-Ok', '1'],
      ['Proxy-Authorization', 'x'],
      ['Content-Length', '999'],
      ['Connection', 'close'],
    ],
  });
  const m = await h.answer('h1');
  const got = JSON.parse(m.content!) as Record<string, string>;
  assert.equal(got['host'], `localhost:${plain.port}`);
  assert.equal(got['x-ok'], '1');
  assert.equal(got['content-length'], '3');
  assert.equal(got['proxy-authorization'], undefined);
  assert.ok(
    h.logs.some((l) => /dropped request headers.*Host.*Proxy-Authorization.*Content-Length.*Connection/.test(l)),
    h.logs.join('\n'),
  );
  await h.gateway.close();
});

test('on activation, pending records not in flight are answered interrupted (once), in-flight ones are not', async () => {
  const h = harness({ allow: [local(plain.port)], timeoutMs: 500 });
  // A call from before a node crash: its record is committed, nothing runs it.
  await h.state.commitState('a', [
    {
      key: pendingCallKey('old-1'),
      value: JSON.stringify({ method: 'POST', url: 'https://api.example.com/pay', conversationId: 'conv-old', context: 'order-7', at: 1 }),
    },
  ]);
  await h.state.commitState('a', [{ key: 'user-key', value: 'kept' }]);
  await h.call('live-1', { url: `http://localhost:${plain.port}/silent` });
  assert.equal(await h.gateway.recover('a'), 1);
  const m = await h.answer('old-1');
  assert.equal(m.performative, 'failure');
  assert.equal(m.userParams?.['X-caxton-failure'], 'interrupted');
  assert.equal(m.userParams?.['X-caxton-http-context'], 'order-7');
  assert.equal(m.conversationId, 'conv-old');
  assert.equal(h.sent.find((s) => s.message.inReplyTo === 'old-1')!.id, answerMessageId('a', 'old-1'));
  const state = await h.state.readState('a');
  assert.equal(state.has(pendingCallKey('old-1')), false);
  assert.equal(state.get('user-key'), 'kept');
  assert.equal(
    h.sent.some((s) => s.message.inReplyTo === 'live-1'),
    false,
    'the live call is not interrupted',
  );
  assert.equal(await h.gateway.recover('a'), 0, 'nothing left to recover (live-1 is in flight)');
  assert.equal((await h.answer('live-1')).userParams?.['X-caxton-failure'], 'timeout');
  await h.gateway.close();
});

test("an A2A call's answer is read by the host; an interrupted A2A call is an A2A failure (decision 2193)", async () => {
  const h = harness({ allow: [local(plain.port)] });
  await h.call('a2a-1', { method: 'POST', url: `http://localhost:${plain.port}/a2a-task`, body: '{}', a2a: 'a2a', context: 'whom' });
  const m = await h.answer('a2a-1');
  assert.equal(m.performative, 'inform');
  assert.equal(m.content, 'done');
  assert.deepEqual(m.userParams, {
    'X-caxton-a2a-result': 'task',
    'X-caxton-a2a-state': 'completed',
    'X-caxton-a2a-final': 'true',
    'X-caxton-a2a-task-id': 't-9',
    'X-caxton-a2a-context-id': 'c-1',
    'X-caxton-http-status': '200',
    'X-caxton-http-context': 'whom',
  });
  await h.call('a2a-2', { method: 'POST', url: `http://localhost:${plain.port}/hello`, body: '{}', a2a: 'a2a' });
  const notA2a = await h.answer('a2a-2');
  assert.deepEqual(
    [notA2a.performative, notA2a.content, notA2a.userParams?.['X-caxton-a2a-error']],
    ['failure', 'the answer is not JSON: hello', 'malformed'],
  );
  await h.state.commitState('a', [
    {
      key: pendingCallKey('old-a2a'),
      value: JSON.stringify({ method: 'POST', url: 'https://agent.example/a2a', a2a: 'a2a-stream', at: 1 }),
    },
  ]);
  assert.equal(await h.gateway.recover('a'), 1);
  const lost = await h.answer('old-a2a');
  assert.equal(lost.performative, 'failure');
  assert.equal(lost.content, 'no response: interrupted');
  assert.equal(lost.userParams?.['X-caxton-a2a-error'], 'no-response');
  assert.equal(lost.userParams?.['X-caxton-failure'], 'interrupted');
  await h.gateway.close();
});

test('an A2A answer the bus refuses as invalid is followed by a typed malformed failure, never by nothing (decision 2193)', async () => {
  const sent: AclMessage[] = [];
  const state = new InMemoryAgentStateStore();
  const gateway = new HttpGateway({
    platform: 'p',
    state,
    policyOf: () => ({ ...nodeDefaultHttpPolicy(), allow: [local(plain.port)] }),
    log: () => {},
    send: async (message) => {
      // The bus refuses the first answer as a malformed message (as validateAclMessage would).
      if (sent.length === 0 && message.performative === 'inform') {
        sent.push(message);
        throw Object.assign(new Error('string.ill-formed'), { code: 'acl.invalid' });
      }
      sent.push(message);
    },
  });
  const record = { key: pendingCallKey('c1'), value: JSON.stringify({ method: 'POST', url: 'x', a2a: 'a2a', at: 1 }) };
  await state.commitState('a', [record]);
  gateway.apply({
    agent: 'a',
    http: [{ id: 'c1', request: { method: 'POST', url: `http://localhost:${plain.port}/a2a-task`, headers: [], body: '{}', a2a: 'a2a' } }],
    stateWrites: [record],
  });
  const deadline = Date.now() + 5000;
  while (sent.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  assert.equal(sent.length, 2);
  assert.deepEqual(
    [sent[1]!.performative, sent[1]!.content, sent[1]!.userParams?.['X-caxton-a2a-error']],
    ['failure', 'the answer could not be passed on as a message', 'malformed'],
  );
  await gateway.close();
});

test('a gateway closed mid-call sends nothing and keeps the record (the next activation answers it)', async () => {
  const h = harness({ allow: [local(plain.port)], timeoutMs: 5000 });
  await h.call('x1', { url: `http://localhost:${plain.port}/silent` });
  await new Promise((r) => setTimeout(r, 50));
  await h.gateway.close();
  assert.equal(h.sent.length, 0);
  assert.equal((await h.state.readState('a')).has(pendingCallKey('x1')), true);
  const next = new HttpGateway({
    platform: 'p',
    state: h.state,
    policyOf: () => undefined,
    log: () => {},
    send: async (message, id) => {
      h.sent.push({ message, id });
    },
  });
  assert.equal(await next.recover('a'), 1);
  assert.equal(h.sent[0]!.message.userParams?.['X-caxton-failure'], 'interrupted');
  await next.close();
});
