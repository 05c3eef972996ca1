/**
 * A handling's HTTP calls through a real bus (runtime/src/node/http-effects.ts + the gateway): the
 * request leaves only once the handling's completion is durable, and the answer arrives in the
 * agent's mailbox as a delivery from http@<platform>. The sandbox is scripted (nothing here runs
 * WASM): the result carries the call and its pending record as the sandbox will produce them.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Delivery, HttpCall } from '@caxton/core';
import { Bus } from '../../src/bus/bus.js';
import { BusEvents } from '../../src/bus/events.js';
import type { ExecutionResult, WorkItem } from '../../src/bus/executor.js';
import { HttpGateway } from '../../src/http/gateway.js';
import { nodeDefaultHttpPolicy } from '../../src/http/policy.js';
import { pendingCallKey } from '../../src/http/pending-calls.js';
import { HttpEffects } from '../../src/node/http-effects.js';
import { httpKeyOf } from '../../src/bus/plan/handling-plan.js';
import { RecordingLog, ScriptedPort, latch, operator, inform, until } from '../bus/scripted-port.js';
import { InMemoryAgentStateStore, httpServer, type TestServer } from './support.js';

let server: TestServer;
const requests: string[] = [];
before(async () => {
  server = await httpServer((req, res) => {
    requests.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('pong');
  });
});
after(async () => server.close());

/** The node's port as far as HTTP goes: the executor's results pass through HttpEffects.hold. */
class CallingPort extends ScriptedPort {
  effectsOfHttp: HttpEffects | undefined;
  calls: (item: WorkItem) => HttpCall[] = () => [];

  override async execute(batch: readonly WorkItem[]): Promise<ExecutionResult[]> {
    const results = await super.execute(batch);
    results.forEach((r, i) => {
      const http = this.calls(batch[i]!);
      r.http = http;
      r.stateWrites = http.map((c) => ({
        key: pendingCallKey(c.id),
        value: JSON.stringify({ method: c.request.method, url: c.request.url, conversationId: 'conv-9', at: Date.now() }),
      }));
    });
    this.effectsOfHttp?.hold(batch, results);
    return results;
  }

  releaseHttp(key: string): void {
    this.effectsOfHttp?.release(key);
  }

  dropHttp(key: string): void {
    this.effectsOfHttp?.drop(key);
  }
}

test('the call leaves after the completion is durable; the answer is delivered to the agent from http@caxton', async () => {
  const log = new RecordingLog();
  const port = new CallingPort(['caller']);
  const events = new BusEvents();
  // The log keeps state (the pending-call record rides in the completion), as the node's logs do.
  const bus = new Bus({
    log,
    state: log,
    nodeId: 'n1',
    platform: 'caxton',
    mailboxCapacity: 100,
    events,
    dispatch: { maxAttempts: 3, maxBatch: 64, maxPerAgent: 1, maxInFlight: 2 },
  });
  const state = new InMemoryAgentStateStore();
  const gateway = new HttpGateway({
    platform: 'caxton',
    state,
    log: () => {},
    policyOf: () => ({ ...nodeDefaultHttpPolicy(), allow: [{ host: 'localhost', ports: [server.port], allowPrivate: true }] }),
    send: async (message, id) => {
      await bus.send(message, { external: { name: 'http@caxton' } }, id);
    },
  });
  port.effectsOfHttp = new HttpEffects(gateway, () => {});
  port.calls = (item) =>
    item.kind === 'delivery' && item.delivery.message.content === 'go'
      ? [{ id: 'call-1', request: { method: 'GET', url: `http://localhost:${server.port}/ping`, headers: [] } }]
      : [];
  await bus.open(port);
  await bus.start();

  const slowCommit = latch();
  log.holdCompletions = slowCommit.promise;
  await bus.send(inform('caller', 'go'), operator);
  await until(() => port.handledBy('caller').includes('go'), 'the handling');
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(requests, [], 'nothing leaves before the completion is durable');
  assert.equal(port.effectsOfHttp.holding, 1);

  log.holdCompletions = undefined;
  slowCommit.open();
  await until(() => port.handledBy('caller').includes('pong'), 'the answer delivered to the agent', 5000);
  assert.deepEqual(requests, ['/ping']);
  const answer = port.items.find((i) => i.kind === 'delivery' && i.delivery.message.content === 'pong') as { delivery: Delivery };
  assert.equal(answer.delivery.message.sender?.name, 'http@caxton');
  assert.equal(answer.delivery.message.performative, 'inform');
  assert.equal(answer.delivery.message.inReplyTo, 'call-1');
  assert.equal(answer.delivery.message.conversationId, 'conv-9');
  assert.equal(port.effectsOfHttp.holding, 0);

  await bus.stopDispatching();
  port.effectsOfHttp.close();
  await gateway.close();
  await bus.stop();
});

test('calls leave only when released, are dropped when their handling will not commit, and are swept after the hold limit', async () => {
  let now = 0;
  const applied: string[] = [];
  const warnings: string[] = [];
  const fakeGateway = { apply: (e: { http: HttpCall[] }) => applied.push(...e.http.map((c) => c.id)) } as unknown as HttpGateway;
  const effects = new HttpEffects(
    fakeGateway,
    (_a, m) => warnings.push(m),
    1000,
    () => now,
  );
  const result = (id: string): ExecutionResult => ({
    agent: 'a',
    workId: id,
    outcome: { status: 'ok' },
    fuelUsed: 0,
    outbox: [],
    timers: [],
    directory: [],
    stateWrites: [],
    logs: [],
    http: [{ id: `call-${id}`, request: { method: 'GET', url: 'https://api.example.com/', headers: [] } }],
  });
  const delivery = (id: string): WorkItem => ({
    kind: 'delivery',
    agent: 'a',
    attempt: 1,
    delivery: { id, messageId: id, receiver: 'a', message: inform('a', 'x'), acceptedAt: 0 },
  });
  const timer: WorkItem = { kind: 'timer', agent: 'a', token: 't', timerId: 'T1' };
  const byHand: WorkItem = { kind: 'timer', agent: 'a', token: 'hand' };
  effects.hold([delivery('d1')], [result('d1')]);
  effects.hold([timer], [result('t1')]);
  effects.hold([byHand], [result('hand')]);
  effects.hold([delivery('d3')], [result('d3')]);
  assert.deepEqual(applied, [], 'nothing leaves before its release');
  effects.release(httpKeyOf(byHand));
  effects.release('other');
  assert.deepEqual(applied, ['call-hand']);
  effects.release(httpKeyOf(timer));
  assert.deepEqual(applied, ['call-hand', 'call-t1']);
  effects.drop('d3');
  effects.release('d3');
  assert.deepEqual(applied, ['call-hand', 'call-t1'], 'a dropped handling never sends');
  now = 5000;
  effects.hold([delivery('d2')], [result('d2')]);
  assert.equal(effects.holding, 1, 'd1 was swept');
  assert.match(warnings[0] ?? '', /not sent/);
  effects.release('d1');
  effects.release('d2');
  assert.deepEqual(applied, ['call-hand', 'call-t1', 'call-d2']);
  effects.close();
});
