/** The console server's pure parts: routes, static paths, sampling, the stats ring, query checks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { route } from '../../src/console/router.js';
import { staticPath } from '../../src/console/static-files.js';
import { Sampler } from '../../src/console/sampler.js';
import { StatsRing, median } from '../../src/console/stats-ring.js';
import { configParams, messageFilter, tailFilter } from '../../src/console/query.js';
import { httpStatusFor } from '../../src/console/errors.js';
import type { CaxtonError } from '@caxton/core';

function refusal(fn: () => unknown): { code: string; status: number } {
  try {
    fn();
  } catch (err) {
    return { code: (err as CaxtonError).code, status: httpStatusFor(err as CaxtonError) };
  }
  throw new Error('expected a refusal');
}

test('routes: each API route carries the gRPC method whose access rule it follows', () => {
  assert.deepEqual(route('GET', '/api/agents'), { api: { name: 'agents' }, method: 'ListAgents' });
  assert.deepEqual(route('POST', '/api/agents'), { api: { name: 'deploy' }, method: 'DeployAgent' });
  assert.deepEqual(route('POST', '/api/agents/echo/stop'), { api: { name: 'stop', agent: 'echo' }, method: 'StopAgent' });
  assert.deepEqual(route('GET', '/api/agents/echo/logs'), { api: { name: 'agent-logs', agent: 'echo' }, method: 'StreamLogs' });
  assert.deepEqual(route('GET', '/api/stream'), { api: { name: 'stream' }, method: 'TailMessages' });
  assert.deepEqual(route('GET', '/api/messages'), { api: { name: 'messages' }, method: 'TailMessages' });
  assert.deepEqual(route('POST', '/api/messages'), { api: { name: 'send' }, method: 'SendMessage' });
  assert.deepEqual(
    refusal(() => route('PUT', '/api/messages')),
    { code: 'console.method-not-allowed', status: 405 },
  );
  assert.deepEqual(route('GET', '/sniffer'), { static: '/sniffer' });
  assert.deepEqual(
    refusal(() => route('GET', '/api/agents/echo/stop')),
    { code: 'console.method-not-allowed', status: 405 },
  );
  assert.deepEqual(
    refusal(() => route('DELETE', '/api/agents/echo')),
    { code: 'console.method-not-allowed', status: 405 },
  );
  assert.deepEqual(
    refusal(() => route('GET', '/api/agents/..%2f..%2fetc/logs')),
    { code: 'console.bad-request', status: 400 },
  );
  assert.deepEqual(
    refusal(() => route('GET', '/api/secrets')),
    { code: 'console.no-route', status: 404 },
  );
  assert.deepEqual(
    refusal(() => route('POST', '/')),
    { code: 'console.method-not-allowed', status: 405 },
  );
});

test('static paths: page routes get index.html; traversal, NUL and backslashes are refused', () => {
  assert.equal(staticPath('/'), 'index.html');
  assert.equal(staticPath('/agents/echo'), 'index.html');
  assert.equal(staticPath('/assets/app-1a2b3c4d.js'), 'assets/app-1a2b3c4d.js');
  for (const bad of ['/../x.js', '/a/../../x.js', '/%2e%2e/x.js', '/a%5c..%5cx.js', '/x%00.js', '/%E0%A4%A']) {
    assert.equal(refusal(() => staticPath(bad)).status, 400, bad);
  }
});

test('sampling: the budget per window is shown, the rest counted, and the window closes with a notice', () => {
  const s = new Sampler(3, 1000, 0);
  const sent = Array.from({ length: 10 }, (_, i) => s.offer(i).send);
  assert.deepEqual(sent.filter(Boolean).length, 3);
  assert.deepEqual(s.roll(500), undefined);
  assert.deepEqual(s.roll(1000), { shown: 3, dropped: 7, windowMs: 1000 });
  assert.deepEqual(s.roll(2000), undefined, 'a quiet window says nothing');
  const next = s.offer(2001);
  assert.equal(next.send, true);
  assert.equal(s.totalDropped, 7);
});

test('stats ring: per-second counts and medians, oldest first, seconds without traffic are zero', () => {
  const ring = new StatsRing(5, 4, 10_000);
  ring.accepted(10_100, 3);
  ring.latency(10_200, 4);
  ring.latency(10_300, 2);
  ring.latency(10_400, 9);
  ring.accepted(12_000);
  ring.latency(12_000, 1);
  const snap = ring.snapshot(12_500);
  assert.deepEqual(snap.throughput, [0, 0, 3, 0, 1]);
  assert.deepEqual(snap.latencyP50Ms, [0, 0, 4, 0, 1]);
  assert.deepEqual(ring.snapshot(30_000).throughput, [0, 0, 0, 0, 0], 'a long pause empties the ring');
  assert.equal(median([1, 2, 3, 4]), 2.5);
  for (let i = 0; i < 10; i++) ring.latency(30_100, 100 + i);
  assert.equal(ring.snapshot(30_200).latencyP50Ms[4], 101.5, 'only the first samples of a second are kept');
});

test('query: filters checked and bounded; the tail gets what it filters at the source', () => {
  const f = messageFilter(new URLSearchParams('agent=broker&performative=cfp,propose&protocol=fipa-contract-net'));
  assert.deepEqual(tailFilter(f), { agent: 'broker', performatives: ['cfp', 'propose'] });
  assert.equal(refusal(() => messageFilter(new URLSearchParams('performative=yell'))).code, 'console.bad-request');
  assert.equal(refusal(() => messageFilter(new URLSearchParams('agent=a&agent=b'))).code, 'console.bad-request');
  assert.equal(refusal(() => messageFilter(new URLSearchParams(`conversation=${'x'.repeat(600)}`))).code, 'console.bad-request');
  assert.deepEqual(configParams(new URLSearchParams('config=a=1&config=b=x=y')), { a: '1', b: 'x=y' });
  assert.equal(configParams(new URLSearchParams('')), undefined);
  assert.equal(refusal(() => configParams(new URLSearchParams('config=novalue'))).code, 'console.bad-request');
});

test('protocol state: the branch the message belongs to, found from either side; ended conversations say so', async () => {
  const { protocolStateOf } = await import('../../src/console/protocol-state.js');
  const view = {
    protocol: 'fipa-contract-net',
    conversationId: 'c1',
    initiator: 'boss@p',
    ended: false,
    participants: [
      { name: 'a@p', phase: 'called', resume: undefined, replyDeadline: undefined },
      { name: 'b@p', phase: 'proposed', resume: undefined, replyDeadline: undefined },
    ],
  } as const;
  const lookup = (initiator: string, id: string): typeof view | undefined => (initiator === 'boss@p' && id === 'c1' ? view : undefined);
  const cfp = {
    performative: 'cfp' as const,
    sender: { name: 'boss@p' },
    receivers: [{ name: 'a@p' }, { name: 'b@p' }],
    protocol: 'fipa-contract-net',
    conversationId: 'c1',
  };
  assert.equal(protocolStateOf(lookup, cfp), 'called,proposed');
  assert.equal(
    protocolStateOf(lookup, { ...cfp, performative: 'propose', sender: { name: 'b@p' }, receivers: [{ name: 'boss@p' }] }),
    'proposed',
  );
  assert.equal(protocolStateOf(lookup, { ...cfp, conversationId: 'other' }), undefined);
  assert.equal(protocolStateOf(lookup, { ...cfp, protocol: undefined }), undefined);
  assert.equal(
    protocolStateOf(() => ({ ...view, ended: true }), cfp),
    'ended',
  );
});
