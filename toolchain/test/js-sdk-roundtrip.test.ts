/**
 * JavaScript agents through componentize-qjs: build the SDK's test agent, run it with jco and check
 * the message round trip, the host functions, the prelude (console, Date) and error semantics.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { buildAgent } from '../src/index.js';
import { jsMirrorDir } from './fixtures.js';
import { blankMessage, defined, errPayload, loadAgent, TestHost, type AgentFactory, type Guest, type WitMessage } from './harness.js';
import { PERFORMATIVES } from '@caxton/core';

const SELF = { name: 'js-mirror@test', addresses: ['http://a.example/acc'] };
let factory: AgentFactory;

async function started(host = new TestHost(), config: Array<[string, string]> = [['k1', 'v1']]): Promise<{ host: TestHost; guest: Guest }> {
  const guest = await factory.instantiate(host);
  guest.init({ self: SELF, config });
  return { host, guest };
}
const probe = (content: string, params: Array<[string, string]> = []): WitMessage =>
  blankMessage('request', { ontology: 'probe', content, userParams: params, sender: { name: 'q@p', addresses: [] } });

describe('JavaScript SDK on QuickJS', () => {
  before(async () => {
    const built = await buildAgent(jsMirrorDir, { reuse: true });
    assert.equal(built.language, 'javascript');
    factory = await loadAgent(built.artifactPath);
  });

  it('round-trips every field, unicode and user params', async () => {
    const full: WitMessage = {
      performative: 'request-whenever',
      sender: { name: 'sénder@plat', addresses: ['a1', ''] },
      receivers: [
        { name: 'r1@p', addresses: [] },
        { name: '🤖@p', addresses: ['tcp://[::1]:99'] },
      ],
      replyTo: [{ name: 'reply@p', addresses: ['m'] }],
      content: '(action (deliver "παράδειγμα" 😀))',
      language: 'fipa-sl',
      encoding: 'utf-8',
      ontology: 'logistics',
      protocol: 'fipa-request',
      conversationId: 'conv-1',
      replyWith: 'rw-1',
      inReplyTo: 'irt-0',
      // QuickJS maps u64 to a JS number: exact up to 2^53, which covers any epoch-milliseconds.
      replyBy: 1_750_000_123_456n,
      userParams: [
        ['X-traceparent', '00-abc-def-01'],
        ['X-empty', ''],
      ],
    };
    const { host, guest } = await started();
    guest.handle(full);
    assert.deepEqual(defined(host.sent[0] as WitMessage), full);
  });

  it('round-trips absent options and empty strings distinctly', async () => {
    const { host, guest } = await started();
    const empty = blankMessage('inform');
    const blanks = blankMessage('inform', { content: '', language: '', replyBy: 0n });
    guest.handle(empty);
    guest.handle(blanks);
    assert.deepEqual(defined(host.sent[0] as WitMessage), empty);
    assert.deepEqual(defined(host.sent[1] as WitMessage), blanks);
  });

  it('maps all 22 performatives', async () => {
    const { host, guest } = await started();
    for (const p of PERFORMATIVES) guest.handle(blankMessage(p));
    assert.deepEqual(
      host.sent.map((m) => m.performative),
      [...PERFORMATIVES],
    );
  });

  it('sees init-context and keeps state across calls', async () => {
    const { host, guest } = await started();
    assert.deepEqual(host.logs, [{ level: 'info', message: 'init as js-mirror@test' }]);
    guest.handle(probe('context'));
    assert.equal(host.sent[0]?.content, 'js-mirror@test');
    assert.deepEqual(host.sent[0]?.receivers, [SELF]);
    assert.deepEqual(host.sent[0]?.userParams, [['k1', 'v1']]);
    for (let i = 0; i < 5; i++) guest.handle(probe('keep', [['X-arg', `k${i}`]]));
    assert.equal(host.sent.at(-1)?.content, 'k0#0,k1#1,k2#2,k3#3,k4#4');
  });

  it('turns thrown errors into result::err and stays usable', async () => {
    const guest0 = await factory.instantiate(new TestHost());
    assert.throws(
      () => guest0.init({ self: SELF, config: [['fail-init', 'missing setting']] }),
      (e) => errPayload(e) === 'missing setting',
    );
    const { host, guest } = await started();
    assert.throws(
      () => guest.handle(probe('fail', [['X-arg', 'cannot do that']])),
      (e) => errPayload(e) === 'cannot do that',
    );
    assert.throws(
      () => guest.handle(probe('throw-string', [['X-arg', 'plain string']])),
      (e) => errPayload(e) === 'plain string',
    );
    guest.handle(probe('count'));
    assert.equal(host.sent.at(-1)?.content, '3');
    assert.throws(
      () => guest.onTimer('fail'),
      (e) => errPayload(e) === 'timer failed',
    );
  });

  it('reports a refused send as an error with the host reason', async () => {
    const host = new TestHost();
    host.rejectSend = () => 'mailbox full';
    const { guest } = await started(host);
    assert.throws(
      () => guest.handle(blankMessage('inform')),
      (e) => errPayload(e) === 'send: mailbox full',
    );
  });

  it('routes console and Date through the host (no WASI in the component)', async () => {
    const { host, guest } = await started();
    host.clock = 1_700_000_000_123n;
    guest.handle(probe('date'));
    assert.equal(host.sent[0]?.content, '1700000000123 1700000000123 1970-01-01T00:00:00.000Z');
    guest.handle(probe('console'));
    assert.deepEqual(host.logs.at(-1), { level: 'warn', message: 'careful {"n":1}' });
  });

  it('calls new-id, now, timers and the directory', async () => {
    const { host, guest } = await started();
    guest.handle(probe('ids'));
    assert.equal(host.sent[0]?.content, 'id-1 id-2');
    host.clock = 42n;
    guest.handle(probe('now'));
    assert.equal(host.sent[1]?.content, '42');
    guest.handle(
      probe('timer', [
        ['X-arg', 'tick'],
        ['X-delay', '250'],
      ]),
    );
    assert.deepEqual(host.timers, [{ delayMs: 250, token: 'tick' }]);
    guest.onTimer('tick');
    assert.equal(host.sent[2]?.content, 'timer tick');
    guest.handle(probe('register', [['X-arg', 'svc']]));
    assert.equal(host.sent[3]?.content, 'registered');
    assert.deepEqual(host.services.get('svc')?.properties, [['k', 'v']]);
    guest.handle(probe('register', [['X-arg', '']]));
    assert.equal(host.sent[4]?.content, 'error: register-service: service name must not be empty');
    host.directory.set('t', [{ name: 'c@p', addresses: [] }]);
    guest.handle(probe('search', [['X-arg', 't']]));
    assert.deepEqual(host.sent[5]?.receivers, [{ name: 'c@p', addresses: [] }]);
    guest.handle(probe('deregister', [['X-arg', 'svc']]));
    assert.equal(host.services.has('svc'), false);
  });

  it('answers not-understood by default; never bounces not-understood', async () => {
    const { host, guest } = await started();
    guest.handle(probe('no such probe'));
    assert.equal(host.sent[0]?.performative, 'not-understood');
  });
});
