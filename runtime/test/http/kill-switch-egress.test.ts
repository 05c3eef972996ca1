/**
 * Freeze and suspend hold outbound HTTP (runtime/src/http/egress-hold.ts, decision 1710): the
 * gateway with the node's real KillSwitch (its switch file in a temp directory; the dispatch side
 * is not under test here and does nothing) against a real slow node:http server. While held the
 * server receives nothing new; a call cut on the network is answered `interrupted` once and never
 * re-sent; queued calls and calls cut before they connected are sent on release, each once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AclMessage, HttpPolicy } from '@caxton/core';
import { HttpGateway } from '../../src/http/gateway.js';
import { pendingCallKey } from '../../src/http/pending-calls.js';
import { nodeDefaultHttpPolicy } from '../../src/http/policy.js';
import { KillSwitch } from '../../src/node/kill-switch/kill-switch.js';
import { NodeSwitchFile } from '../../src/node/kill-switch/node-switch-file.js';
import { InMemoryAgentStateStore, httpServer, type TestServer } from './support.js';

let server: TestServer;
/** Requests the server received, by path, with the time they arrived. */
const hits: { path: string; at: number }[] = [];
let dir: string;

before(async () => {
  server = await httpServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    hits.push({ path: url.pathname, at: Date.now() });
    // Slow: answers after `ms` (the connection is cut by the gateway if it is frozen meanwhile).
    const t = setTimeout(
      () => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(`done ${url.pathname}`);
      },
      Number(url.searchParams.get('ms') ?? '400'),
    );
    res.on('close', () => clearTimeout(t));
  });
  dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-egress-hold-'));
});

after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

async function setup(name: string, policy: Partial<HttpPolicy>, resolve?: ConstructorParameters<typeof HttpGateway>[0]['resolve']) {
  await mkdir(path.join(dir, name));
  const killSwitch = new KillSwitch({
    node: new NodeSwitchFile(path.join(dir, name)),
    bus: { freezeDispatch: async () => {}, thawDispatch: () => {}, wake: () => {}, idle: async () => {} },
  });
  await killSwitch.start();
  const state = new InMemoryAgentStateStore();
  const sent: AclMessage[] = [];
  const full: HttpPolicy = {
    ...nodeDefaultHttpPolicy(),
    allow: [
      { host: 'localhost', ports: [server.port], allowPrivate: true },
      { host: 'slow-dns.test', ports: [server.port], allowPrivate: true },
    ],
    ...policy,
  };
  const gateway = new HttpGateway({
    platform: 'p',
    state,
    policyOf: () => full,
    log: () => {},
    hold: killSwitch,
    send: async (message) => {
      sent.push(message);
    },
    ...(resolve ? { resolve } : {}),
  });
  const call = async (agent: string, id: string, url: string): Promise<void> => {
    const record = { key: pendingCallKey(id), value: JSON.stringify({ method: 'GET', url, at: Date.now() }) };
    await state.commitState(agent, [record]);
    gateway.apply({ agent, http: [{ id, request: { method: 'GET', url, headers: [] } }], stateWrites: [record] });
  };
  const answers = (id: string): AclMessage[] => sent.filter((m) => m.inReplyTo === id);
  const until = async (cond: () => boolean, what: string, ms = 10_000): Promise<void> => {
    const deadline = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > deadline)
        throw new Error(
          `timed out waiting for ${what}; answers: ${JSON.stringify(sent.map((m) => [m.inReplyTo, m.userParams?.['X-caxton-failure'] ?? m.userParams?.['X-caxton-http-status']]))}`,
        );
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return { killSwitch, gateway, state, sent, call, answers, until };
}

test('freeze: the call on the network is cut and answered interrupted once; queued ones wait, nothing reaches the server, all go once on thaw', async () => {
  const h = await setup('freeze', { maxInFlight: 1 });
  const base = `http://localhost:${server.port}`;
  const before = hits.length;
  await h.call('a', 'f1', `${base}/f1?ms=5000`);
  for (const id of ['f2', 'f3', 'f4']) await h.call('a', id, `${base}/${id}?ms=200`);
  await h.until(() => hits.some((x) => x.path === '/f1'), 'f1 at the server');
  await h.killSwitch.freeze('node');
  // The cut call is answered (the answer waits in the mailbox like any message); its record goes.
  await h.until(() => h.answers('f1').length === 1, 'f1 answered');
  const f1 = h.answers('f1')[0]!;
  assert.equal(f1.performative, 'failure');
  assert.equal(f1.userParams?.['X-caxton-failure'], 'interrupted');
  assert.match(f1.content ?? '', /frozen/);
  const frozenAt = Date.now();
  await new Promise((r) => setTimeout(r, 1000));
  assert.deepEqual(
    hits.slice(before).map((x) => x.path),
    ['/f1'],
    'nothing new reached the server while frozen',
  );
  assert.ok(hits.every((x) => x.at < frozenAt || x.path !== '/f2'));
  assert.equal(h.sent.length, 1, 'f2..f4 unanswered, waiting');
  assert.equal(h.gateway.pending('a'), 3);
  for (const id of ['f2', 'f3', 'f4'])
    assert.ok((await h.state.readState('a')).has(pendingCallKey(id)), `${id} keeps its record while held`);
  await h.killSwitch.thaw('node');
  await h.until(() => ['f2', 'f3', 'f4'].every((id) => h.answers(id).length > 0), 'f2..f4 answered after the thaw');
  await new Promise((r) => setTimeout(r, 300));
  for (const id of ['f1', 'f2', 'f3', 'f4']) assert.equal(h.answers(id).length, 1, `${id} answered exactly once`);
  for (const id of ['f2', 'f3', 'f4']) assert.equal(h.answers(id)[0]!.userParams?.['X-caxton-http-status'], '200', id);
  assert.deepEqual(
    hits.slice(before).map((x) => x.path),
    ['/f1', '/f2', '/f3', '/f4'],
    'each request reached the server once; f1 was not repeated',
  );
  assert.equal((await h.state.readState('a')).size, 0, 'every record removed');
  await h.gateway.close();
  h.killSwitch.close();
});

test('a call cut before it connected (still resolving) is sent on release, not answered interrupted', async () => {
  let resolving = 0;
  // A resolver that takes 300 ms: the freeze lands while the call is still looking up the name.
  const h = await setup('resolving', {}, async () => {
    resolving += 1;
    await new Promise((r) => setTimeout(r, 300));
    return [{ address: '127.0.0.1', family: 4 }];
  });
  const before = hits.length;
  await h.call('a', 'r1', `http://slow-dns.test:${server.port}/r1?ms=50`);
  await h.until(() => resolving === 1, 'the lookup started');
  await h.killSwitch.freeze('node');
  await new Promise((r) => setTimeout(r, 600));
  assert.equal(h.sent.length, 0, 'not answered: it never left');
  assert.equal(hits.length, before, 'nothing reached the server');
  await h.killSwitch.thaw('node');
  await h.until(() => h.answers('r1').length === 1, 'r1 answered after the thaw');
  assert.equal(h.answers('r1')[0]!.userParams?.['X-caxton-http-status'], '200');
  assert.deepEqual(
    hits.slice(before).map((x) => x.path),
    ['/r1'],
  );
  await h.gateway.close();
  h.killSwitch.close();
});

test('suspend holds only that agent; resume releases it', async () => {
  const h = await setup('suspend', {});
  const base = `http://localhost:${server.port}`;
  await h.killSwitch.suspend('held');
  const before = hits.length;
  await h.call('held', 's1', `${base}/s1?ms=20`);
  await h.call('free', 's2', `${base}/s2?ms=20`);
  await h.until(() => h.answers('s2').length === 1, 'the other agent is answered');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(h.answers('s1').length, 0);
  assert.deepEqual(
    hits.slice(before).map((x) => x.path),
    ['/s2'],
  );
  await h.killSwitch.resume('held');
  await h.until(() => h.answers('s1').length === 1, 's1 answered after resume');
  assert.deepEqual(
    hits.slice(before).map((x) => x.path),
    ['/s2', '/s1'],
  );
  await h.gateway.close();
  h.killSwitch.close();
});

test('a gateway closed while calls are held returns at once; the records stay for the next activation', async () => {
  const h = await setup('close', {});
  await h.killSwitch.freeze('node');
  await h.call('a', 'c1', `http://localhost:${server.port}/c1`);
  const started = Date.now();
  await h.gateway.close();
  assert.ok(Date.now() - started < 1000);
  assert.equal(h.sent.length, 0);
  assert.ok((await h.state.readState('a')).has(pendingCallKey('c1')));
  h.killSwitch.close();
});
