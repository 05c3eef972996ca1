/**
 * The AssemblyScript SDK's canonical-ABI layer, end to end: build a test agent with the real
 * compiler, transpile it with jco, push messages in through `handle` and compare what comes back
 * out through `send`, field by field.
 */
import assert from 'node:assert/strict';
import { cpSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { buildAgent } from '../src/index.js';
import { asMirrorDir, tempOutDir } from './fixtures.js';
import { blankMessage, defined, errPayload, loadAgent, TestHost, type AgentFactory, type Guest, type WitMessage } from './harness.js';
import { PERFORMATIVES } from '@caxton/core';

const SELF = { name: 'mirror@test', addresses: ['http://a.example/acc', 'ws://b'] };

let factory: AgentFactory;
async function started(
  host = new TestHost(),
  config: Array<[string, string]> = [
    ['k1', 'v1'],
    ['ключ', 'значение'],
  ],
): Promise<{ host: TestHost; guest: Guest }> {
  const guest = await factory.instantiate(host);
  guest.init({ self: SELF, config });
  return { host, guest };
}

/** Sends `m` in and returns the single message the mirror sent back. */
async function roundTrip(m: WitMessage): Promise<WitMessage> {
  const { host, guest } = await started();
  guest.handle(m);
  assert.equal(host.sent.length, 1);
  return defined(host.sent[0] as WitMessage);
}

/**
 * The fixture as built (incremental runtime, the default), or a copy of it built with the minimal
 * runtime: the ABI layer's memory handling must be right under both garbage collectors.
 */
async function buildMirror(runtime: 'incremental' | 'minimal'): Promise<string> {
  if (runtime === 'incremental') return (await buildAgent(asMirrorDir, { reuse: true })).artifactPath;
  const dir = tempOutDir('as-mirror-minimal');
  cpSync(path.join(asMirrorDir, 'assembly'), path.join(dir, 'assembly'), { recursive: true });
  writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'sdk-as-mirror-minimal', caxton: { language: 'assemblyscript', runtime } }),
  );
  return (await buildAgent(dir)).artifactPath;
}

for (const runtime of ['incremental', 'minimal'] as const)
  describe(`AssemblyScript SDK canonical ABI (${runtime} runtime)`, () => {
    before(async () => {
      factory = await loadAgent(await buildMirror(runtime));
    });

    it('round-trips a message with every parameter set, unicode and user params', async () => {
      const full: WitMessage = {
        performative: 'request-whenever',
        sender: { name: 'sénder@plat', addresses: ['a1', '', 'a3 with spaces'] },
        receivers: [
          { name: 'r1@p', addresses: [] },
          { name: 'r2@p', addresses: ['x'] },
          { name: '🤖@p', addresses: ['tcp://[::1]:99', 'z'] },
        ],
        replyTo: [{ name: 'reply@p', addresses: ['m'] }],
        content: '(action (deliver "παράδειγμα" 😀 \u0000 end))',
        language: 'fipa-sl',
        encoding: 'utf-8',
        ontology: 'logistics',
        protocol: 'fipa-request',
        conversationId: 'conv-1',
        replyWith: 'rw-1',
        inReplyTo: 'irt-0',
        replyBy: 18_446_744_073_709_551_615n, // u64::MAX: no precision lost on the way
        userParams: [
          ['X-traceparent', '00-abc-def-01'],
          ['X-Ümlaut', 'wert'],
          ['X-empty', ''],
        ],
      };
      assert.deepEqual(await roundTrip(full), full);
    });

    it('round-trips a message with every option absent and every list empty', async () => {
      const empty = blankMessage('inform');
      assert.deepEqual(await roundTrip(empty), empty);
    });

    it('keeps empty strings distinct from absent options', async () => {
      const m = blankMessage('inform', { content: '', language: '', conversationId: '', replyBy: 0n });
      assert.deepEqual(await roundTrip(m), m);
    });

    it('round-trips many receivers and large content', async () => {
      const receivers = Array.from({ length: 300 }, (_, i) => ({ name: `agent-${i}@p`, addresses: [`addr-${i}`] }));
      const content = 'α'.repeat(200_000);
      const userParams = Array.from({ length: 100 }, (_, i): [string, string] => [`X-p${i}`, `v${i}`]);
      const m = blankMessage('cfp', { receivers, content, userParams, replyBy: 1_750_000_123_456n });
      assert.deepEqual(await roundTrip(m), m);
    });

    it('maps all 22 performatives in both directions', async () => {
      const { host, guest } = await started();
      for (const p of PERFORMATIVES) guest.handle(blankMessage(p, { content: p }));
      assert.deepEqual(
        host.sent.map((m) => [m.performative, m.content]),
        PERFORMATIVES.map((p) => [p, p]),
      );
      for (const p of PERFORMATIVES) {
        guest.handle(blankMessage('query-ref', { ontology: 'probe', content: 'performative', userParams: [['X-arg', p.toUpperCase()]] }));
      }
      assert.deepEqual(
        host.sent.slice(PERFORMATIVES.length).map((m) => m.content),
        [...PERFORMATIVES],
      );
    });

    it('lifts init-context: self and config', async () => {
      const { host, guest } = await started();
      assert.deepEqual(host.logs, [{ level: 'info', message: 'init as mirror@test' }]);
      guest.handle(blankMessage('query-ref', { ontology: 'probe', content: 'context', sender: { name: 'q@p', addresses: [] } }));
      const r = host.sent[0] as WitMessage;
      assert.equal(r.content, 'mirror@test');
      assert.deepEqual(r.receivers, [SELF]);
      assert.deepEqual(r.userParams, [
        ['k1', 'v1'],
        ['ключ', 'значение'],
      ]);
    });

    it('reports fail() as result::err from init, handle and on-timer', async () => {
      const guest = await factory.instantiate(new TestHost());
      assert.throws(
        () => guest.init({ self: SELF, config: [['fail-init', 'no config ✗']] }),
        (e) => errPayload(e) === 'no config ✗',
      );
      const s = await started();
      assert.throws(
        () => s.guest.handle(blankMessage('request', { ontology: 'probe', content: 'fail', userParams: [['X-arg', 'bad request']] })),
        (e) => errPayload(e) === 'bad request',
      );
      // The instance is still usable after an application-level error (it was not a trap).
      s.guest.handle(blankMessage('inform', { content: 'still alive' }));
      assert.equal(s.host.sent.at(-1)?.content, 'still alive');
      assert.throws(
        () => s.guest.onTimer('fail'),
        (e) => errPayload(e) === 'timer failed',
      );
    });

    it('surfaces a host send error to the agent', async () => {
      const host = new TestHost();
      host.rejectSend = (m) => (m.receivers.length === 0 ? 'no receivers' : undefined);
      const { guest } = await started(host);
      assert.throws(
        () => guest.handle(blankMessage('inform')),
        (e) => errPayload(e) === 'send refused: no receivers',
      );
    });

    it('calls new-id, now, set-timer and on-timer', async () => {
      const { host, guest } = await started();
      const from = { sender: { name: 'q@p', addresses: [] }, ontology: 'probe' };
      guest.handle(blankMessage('query-ref', { ...from, content: 'ids' }));
      assert.equal(host.sent[0]?.content, 'id-1 id-2');
      host.clock = 1_234_567_890_123n;
      guest.handle(blankMessage('query-ref', { ...from, content: 'now' }));
      assert.equal(host.sent[1]?.content, '1234567890123');
      guest.handle(
        blankMessage('request', {
          ...from,
          content: 'timer',
          userParams: [
            ['X-arg', 'tick ⏰'],
            ['X-delay', '1500'],
          ],
        }),
      );
      assert.deepEqual(host.timers, [{ delayMs: 1500, token: 'tick ⏰' }]);
      guest.onTimer('tick ⏰');
      assert.equal(host.sent[2]?.content, 'timer tick ⏰');
      assert.deepEqual(host.sent[2]?.receivers, [SELF]);
    });

    it('registers, searches and deregisters services', async () => {
      const { host, guest } = await started();
      const from = { sender: { name: 'q@p', addresses: [] }, ontology: 'probe' };
      guest.handle(blankMessage('request', { ...from, content: 'register', userParams: [['X-arg', 'svc-1']] }));
      assert.equal(host.sent[0]?.content, 'registered');
      assert.deepEqual(host.services.get('svc-1'), {
        name: 'svc-1',
        type: 'test-service',
        protocols: ['fipa-request'],
        ontologies: ['o1', 'o2'],
        languages: [],
        properties: [['k', 'v']],
      });
      guest.handle(blankMessage('request', { ...from, content: 'register', userParams: [['X-arg', '']] }));
      assert.equal(host.sent[1]?.content, 'error: service name must not be empty');
      const found = [
        { name: 'c1@p', addresses: ['u'] },
        { name: 'c2@p', addresses: [] },
      ];
      host.directory.set('transport', found);
      guest.handle(blankMessage('query-ref', { ...from, content: 'search', userParams: [['X-arg', 'transport']] }));
      assert.equal(host.sent[2]?.content, '2');
      assert.deepEqual(host.sent[2]?.receivers, found);
      guest.handle(blankMessage('request', { ...from, content: 'deregister', userParams: [['X-arg', 'svc-1']] }));
      assert.equal(host.services.has('svc-1'), false);
    });

    it('keeps state across calls and survives garbage collection after bursts', async () => {
      const { host, guest } = await started();
      const from = { sender: { name: 'q@p', addresses: [] }, ontology: 'probe' };
      for (let round = 0; round < 50; round++) {
        guest.handle(blankMessage('request', { ...from, content: 'burst', userParams: [['X-arg', '40']] }));
        guest.handle(blankMessage('request', { ...from, content: 'keep', userParams: [['X-arg', `k${round}`]] }));
      }
      assert.equal(host.sent.length, 50 * 41);
      const last = host.sent.at(-1)?.content ?? '';
      assert.deepEqual(
        last.split(','),
        Array.from({ length: 50 }, (_, i) => `k${i}#${i}`),
      );
      guest.handle(blankMessage('query-ref', { ...from, content: 'count' }));
      assert.equal(host.sent.at(-1)?.content, '101');
    });

    it('reply() sends exactly the message send(createReply()) does (decision 2107 lowers it directly)', async () => {
      const { host, guest } = await started();
      const base = {
        ontology: 'probe',
        content: 'reply-twice',
        language: 'fipa-sl',
        encoding: 'utf-8',
        protocol: 'fipa-request',
        conversationId: 'conv-ü',
        replyWith: 'rw-7',
        inReplyTo: 'not-kept',
        replyBy: 99n,
      };
      const sender = { name: 'q@p', addresses: ['qa', 'qb'] };
      const replyTo = [
        { name: 'r1@p', addresses: [] },
        { name: 'r2@p', addresses: ['x'] },
      ];
      const cases: WitMessage[] = [
        blankMessage('request', { ...base, sender, userParams: [['X-body', 'answer 😀']] }), // to the sender
        blankMessage('request', { ...base, sender, replyTo, userParams: [['X-body', '']] }), // to reply-to, empty content
        blankMessage('query-ref', { ontology: 'probe', content: 'reply-twice' }), // no sender, no reply-to, no body
      ];
      for (const m of cases) {
        host.sent.length = 0;
        guest.handle(m);
        assert.equal(host.sent.length, 2);
        const [built, lowered] = host.sent.map((x) => defined(x as WitMessage));
        assert.deepEqual(lowered, built);
      }
      // And what that message is: spot-check the bookkeeping of the first case.
      host.sent.length = 0;
      guest.handle(cases[0]!);
      assert.deepEqual(defined(host.sent[1] as WitMessage), {
        performative: 'inform',
        receivers: [sender],
        replyTo: [],
        userParams: [],
        content: 'answer 😀',
        language: 'fipa-sl',
        encoding: 'utf-8',
        ontology: 'probe',
        protocol: 'fipa-request',
        conversationId: 'conv-ü',
        inReplyTo: 'rw-7',
      });
    });

    it('makes the lists a lifted message left empty real on first use', async () => {
      const { host, guest } = await started();
      guest.handle(blankMessage('request', { ontology: 'probe', content: 'grow-lists', sender: { name: 'q@p', addresses: [] } }));
      assert.deepEqual(defined(host.sent[0] as WitMessage), {
        performative: 'request',
        content: 'grow-lists',
        sender: { name: 'q@p', addresses: ['s'] },
        receivers: [{ name: 'added@p', addresses: ['a'] }],
        replyTo: [{ name: 'reply-added@p', addresses: ['r'] }],
        userParams: [['X-added', '1']],
      });
    });

    it('answers not-understood by default and logs an abort before trapping', async () => {
      const { host, guest } = await started();
      guest.handle(
        blankMessage('request', {
          ontology: 'probe',
          content: 'unknown probe',
          sender: { name: 'q@p', addresses: [] },
          conversationId: 'c9',
          replyWith: 'r9',
        }),
      );
      const nu = host.sent[0] as WitMessage;
      assert.equal(nu.performative, 'not-understood');
      assert.deepEqual(nu.receivers, [{ name: 'q@p', addresses: [] }]);
      assert.equal(nu.conversationId, 'c9');
      assert.equal(nu.inReplyTo, 'r9');
      assert.throws(() => guest.handle(blankMessage('request', { ontology: 'probe', content: 'abort' })), /unreachable/);
      assert.match(host.logs.at(-1)?.message ?? '', /^abort: asked to abort at .*index\.ts:\d+:\d+$/);
      assert.equal(host.logs.at(-1)?.level, 'error');
    });
  });
