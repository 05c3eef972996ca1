import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { ApiCallError } from '@caxton/client';
import type { LogEntry, MessageEvent } from '@caxton/core';
import { eventually, startHarness, type Harness } from './support/harness.js';
import { rawClient, rawUnary, type RawClient } from './support/raw-client.js';

describe('messages, logs, directory and status over the API', () => {
  let h: Harness;
  let raw: RawClient;
  before(async () => {
    h = await startHarness();
    raw = rawClient(h.address);
    await h.client.deploy({ name: 'echo' }, Buffer.from('echo'));
    await h.client.deploy({ name: 'counter' }, Buffer.from('counter'));
  });
  after(async () => {
    raw.close();
    await h.close();
  });

  describe('SendMessage', () => {
    it('sends a structured message and returns its id and receivers', async () => {
      const result = await h.client.send({
        structured: {
          performative: 'request',
          receivers: [{ name: 'echo' }, { name: 'nobody' }],
          content: 'ping',
          conversationId: 'c-1',
          replyBy: 1_900_000_000_000,
          userParams: { 'X-trace': 't1' },
        },
      });
      assert.match(result.messageId, /^m-\d+$/);
      assert.deepEqual(result.accepted, ['echo']);
      assert.deepEqual(result.refused, [{ receiver: 'nobody', reason: 'unknown agent' }]);
      const seen = h.node.accepted.at(-1)!.message;
      assert.equal(seen.content, 'ping');
      assert.equal(seen.replyBy, 1_900_000_000_000);
      assert.deepEqual(seen.userParams, { 'X-trace': 't1' });
    });

    it('sends a message given as ACL JSON text', async () => {
      const json = JSON.stringify({ performative: 'inform', receiver: [{ name: 'counter' }], content: '42', 'conversation-id': 'c-2' });
      const result = await h.client.send({ json });
      assert.deepEqual(result.accepted, ['counter']);
      assert.equal(h.node.accepted.at(-1)!.message.conversationId, 'c-2');
    });

    it('sends a message given in the FIPA string encoding', async () => {
      const fipa = '(request :receiver (set (agent-identifier :name echo)) :content "from JADE" :protocol fipa-request :X-origin jade)';
      const result = await h.client.send({ fipa });
      assert.deepEqual(result.accepted, ['echo']);
      const seen = h.node.accepted.at(-1)!.message;
      assert.deepEqual(
        [seen.performative, seen.content, seen.protocol, seen.userParams],
        ['request', 'from JADE', 'fipa-request', { 'X-origin': 'jade' }],
      );
    });

    it('rejects a malformed FIPA string naming the fipa field, with the position', async () => {
      const err = await h.client
        .send({ fipa: '(inform :receiver (set (agent-identifier :name echo)) :content "unterminated)' })
        .catch((e: unknown) => e);
      assert.ok(err instanceof ApiCallError);
      assert.equal(err.statusName, 'INVALID_ARGUMENT');
      assert.equal(err.fieldViolations[0]?.field, 'fipa');
      assert.match(err.message, /line 1, column \d+/);
    });

    it('rejects malformed JSON naming the json field', async () => {
      const err = await h.client.send({ json: '{"performative": "inform", ' }).catch((e: unknown) => e);
      assert.ok(err instanceof ApiCallError);
      assert.equal(err.statusName, 'INVALID_ARGUMENT');
      assert.equal(err.fieldViolations[0]?.field, 'json');
    });

    const invalid: [string, unknown, string][] = [
      ['no message at all', {}, 'message'],
      ['an unknown performative', { structured: { performative: 'shout', receivers: [{ name: 'echo' }] } }, 'structured.performative'],
      ['no receivers', { structured: { performative: 'inform', receivers: [] } }, 'structured.receivers'],
      ['a receiver without a name', { structured: { performative: 'inform', receivers: [{ name: '' }] } }, 'structured.receivers[0].name'],
      [
        'a user parameter without X-',
        { structured: { performative: 'inform', receivers: [{ name: 'echo' }], userParams: { trace: '1' } } },
        'structured.user_params.trace',
      ],
      [
        'a protocol that is not a word',
        { structured: { performative: 'inform', receivers: [{ name: 'echo' }], protocol: 'two words' } },
        'structured.protocol',
      ],
    ];
    for (const [what, request, field] of invalid) {
      it(`rejects ${what} with INVALID_ARGUMENT naming ${field}`, async () => {
        const { error } = await rawUnary(raw, 'SendMessage', h.token, request);
        assert.equal(error?.statusName, 'INVALID_ARGUMENT', error?.describe());
        assert.equal(error?.fieldViolations[0]?.field, field);
      });
    }
  });

  describe('TailMessages', () => {
    it('streams accepted messages that match the filter', async () => {
      const events: MessageEvent[] = [];
      const stream = h.client.tail({ agent: 'echo', performatives: ['request', 'query-ref'] }, (e) => events.push(e));
      await eventually(() => h.node.activeSubscriptions === 1, 'the tail subscription');
      await h.client.send({ structured: { performative: 'request', receivers: [{ name: 'echo' }], content: 'a' } });
      await h.client.send({ structured: { performative: 'inform', receivers: [{ name: 'echo' }], content: 'filtered out' } });
      await h.client.send({ structured: { performative: 'request', receivers: [{ name: 'counter' }], content: 'filtered out' } });
      await h.client.send({ structured: { performative: 'query-ref', receivers: [{ name: 'echo@test' }], content: 'b' } });
      await eventually(() => events.length === 2, 'two matching events');
      stream.cancel();
      await stream.done;
      assert.deepEqual(
        events.map((e) => e.message.content),
        ['a', 'b'],
      );
      assert.equal(events[0]!.message.sender?.name, 'operator@test');
      await eventually(() => h.node.activeSubscriptions === 0, 'the subscription to be dropped on cancel');
    });

    it('rejects an unknown performative in the filter', async () => {
      const stream = h.client.tail({ performatives: ['shout' as never] }, () => {});
      const err = await stream.done.catch((e: unknown) => e);
      assert.ok(err instanceof ApiCallError);
      assert.equal(err.fieldViolations[0]?.field, 'performatives[0]');
    });

    it('fails a stream whose reader falls too far behind instead of buffering without bound', async () => {
      const slow = await startHarness({ maxStreamBuffer: 4 });
      try {
        const { trailers } = await floodStalledTail(slow, 32 * 1024);
        assert.equal(Number(trailers['grpc-status']), status.RESOURCE_EXHAUSTED);
      } finally {
        await slow.close();
      }
    });
  });

  describe('stream bounds', () => {
    it('fails a stream whose reader falls too many bytes behind, well before its count bound', async () => {
      const slow = await startHarness({ maxStreamBuffer: 1024, maxStreamBytes: 256 * 1024 });
      try {
        const { sent, trailers } = await floodStalledTail(slow, 64 * 1024);
        assert.ok(sent < 100, `${sent} messages of 64 KiB were sent before the stream was failed`);
        assert.equal(Number(trailers['grpc-status']), status.RESOURCE_EXHAUSTED);
        assert.match(decodeURIComponent(String(trailers['grpc-message'])), /262144 bytes of responses behind/);
      } finally {
        await slow.close();
      }
    });

    it("refuses a stream past the node's bound on open streams, typed, and takes one again once another closes", async () => {
      const capped = await startHarness({ maxStreams: 1 });
      try {
        const first = capped.client.tail({}, () => {});
        await eventually(() => capped.node.activeSubscriptions === 1, 'the first tail');
        const second = capped.client.tail({}, () => {});
        const err = await second.done.catch((e: unknown) => e);
        assert.ok(err instanceof ApiCallError);
        assert.equal(err.grpcCode, status.RESOURCE_EXHAUSTED);
        assert.match(err.message, /already serves 1 streams/);
        first.cancel();
        await eventually(() => capped.node.activeSubscriptions === 0, 'the first tail closed');
        const third = capped.client.tail({}, () => {});
        await eventually(() => capped.node.activeSubscriptions === 1, 'a tail after the first closed');
        third.cancel();
      } finally {
        await capped.close();
      }
    });
  });

  describe('StreamLogs', () => {
    it('returns stored lines and ends without follow', async () => {
      h.node.log('echo', 'warn', 'first');
      h.node.log('echo', 'error', 'second');
      const lines: LogEntry[] = [];
      await h.client.logs({ agent: 'echo', follow: false }, (l) => lines.push(l)).done;
      assert.deepEqual(lines.map((l) => [l.level, l.message]).slice(-2), [
        ['warn', 'first'],
        ['error', 'second'],
      ]);
      const limited: LogEntry[] = [];
      await h.client.logs({ agent: 'echo', follow: false, limit: 1 }, (l) => limited.push(l)).done;
      assert.deepEqual(
        limited.map((l) => l.message),
        ['second'],
      );
    });

    it('follows new lines until cancelled', async () => {
      const lines: string[] = [];
      const stream = h.client.logs({ agent: 'counter', follow: true, since: Date.now() }, (l) => lines.push(l.message));
      await eventually(() => h.node.activeSubscriptions === 1, 'the log subscription');
      h.node.log('counter', 'info', 'live 1');
      h.node.log('echo', 'info', 'other agent');
      h.node.log('counter', 'debug', 'live 2');
      await eventually(() => lines.length === 2, 'two live lines');
      stream.cancel();
      await stream.done;
      assert.deepEqual(lines, ['live 1', 'live 2']);
    });

    it('answers NOT_FOUND for an unknown agent', async () => {
      const err = await h.client.logs({ agent: 'ghost', follow: true }, () => {}).done.catch((e: unknown) => e);
      assert.ok(err instanceof ApiCallError);
      assert.equal(err.statusName, 'NOT_FOUND');
      assert.equal(h.node.activeSubscriptions, 0);
    });

    it('requires an agent name', async () => {
      const err = await h.client.logs({ agent: '', follow: false }, () => {}).done.catch((e: unknown) => e);
      assert.ok(err instanceof ApiCallError);
      assert.equal(err.fieldViolations[0]?.field, 'agent');
    });
  });

  describe('SearchDirectory', () => {
    it('finds registrations matching a template', async () => {
      h.node.directory.push(
        {
          name: { name: 'echo@test' },
          services: [
            { name: 'echoing', type: 'echo', protocols: ['fipa-request'], ontologies: [], languages: [], properties: { lang: 'en' } },
          ],
          protocols: ['fipa-request'],
          ontologies: [],
          languages: ['fipa-sl'],
        },
        {
          name: { name: 'counter@test' },
          services: [{ name: 'counting', type: 'count', protocols: [], ontologies: [], languages: [], properties: {} }],
          protocols: [],
          ontologies: [],
          languages: [],
          leaseUntil: 4_000_000_000_000,
        },
      );
      const found = await h.client.searchDirectory({ serviceType: 'echo', properties: { lang: 'en' } });
      assert.deepEqual(
        found.map((d) => d.name.name),
        ['echo@test'],
      );
      assert.deepEqual(found[0]!.services[0]!.protocols, ['fipa-request']);
      const all = await h.client.searchDirectory({});
      assert.equal(all.length, 2);
      assert.equal(all[1]!.leaseUntil, 4_000_000_000_000);
      assert.equal((await h.client.searchDirectory({}, 1)).length, 1);
    });
  });

  describe('NodeStatus', () => {
    it('reports the node, its agents, the cluster and storage', async () => {
      const s = await h.client.status();
      assert.equal(s.nodeId, 'node-test');
      assert.equal(s.version, '0.1.0-test');
      assert.ok(s.uptimeMs >= 0);
      assert.equal(s.agentsTotal, 2);
      assert.deepEqual(s.nodes[0]!.agents, ['counter', 'echo']);
      assert.deepEqual(
        s.storage.map((b) => `${b.role}:${b.kind}`),
        ['bus:embedded', 'registry:embedded'],
      );
    });
  });

  it('ends open streams with UNAVAILABLE when the server closes', async () => {
    const other = await startHarness();
    const stream = other.client.tail({}, () => {});
    await eventually(() => other.node.activeSubscriptions === 1, 'the tail subscription');
    const closing = other.close();
    const err = await stream.done.catch((e: unknown) => e);
    await closing;
    assert.ok(err instanceof ApiCallError);
    assert.equal(err.statusName, 'UNAVAILABLE');
    assert.equal(other.node.activeSubscriptions, 0);
  });

  it('never reported an internal error', () => {
    assert.deepEqual(h.internalErrors, []);
  });
});

/**
 * A TailMessages stream whose reader stops, flooded with messages of `contentBytes` until the node
 * drops its subscription (200 at most); then the reader resumes and the stream's trailers are read.
 * A raw HTTP/2 client: grpc-js clients keep draining the socket into memory, so only a raw stream
 * reproduces a reader that applies real flow control.
 */
async function floodStalledTail(slow: Harness, contentBytes: number): Promise<{ sent: number; trailers: http2.IncomingHttpHeaders }> {
  const session = http2.connect(`http://${slow.address}`);
  try {
    await slow.client.deploy({ name: 'sink' }, Buffer.from('s'));
    const req = session.request({
      ':method': 'POST',
      ':path': '/caxton.v1.Caxton/TailMessages',
      'content-type': 'application/grpc',
      te: 'trailers',
      authorization: `Bearer ${slow.token}`,
    });
    const trailers = new Promise<http2.IncomingHttpHeaders>((resolve) => req.on('trailers', resolve));
    req.end(Buffer.from([0, 0, 0, 0, 0])); // one empty (all-default) TailMessagesRequest
    req.pause();
    await eventually(() => slow.node.activeSubscriptions === 1, 'the tail subscription');
    const content = 'x'.repeat(contentBytes);
    let sent = 0;
    for (; sent < 200 && slow.node.activeSubscriptions > 0; sent++) {
      await slow.client.send({ structured: { performative: 'inform', receivers: [{ name: 'sink' }], content } });
    }
    assert.equal(slow.node.activeSubscriptions, 0, 'the node subscription was dropped');
    req.on('data', () => {});
    req.resume();
    return { sent, trailers: await trailers };
  } finally {
    session.destroy();
  }
}
