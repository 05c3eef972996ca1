import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  REDACTED_VALUE,
  encodeAclJson,
  encodeAclString,
  formatStreamEvent,
  matchesConsoleFilter,
  parseStreamEvents,
  redactConfig,
  toSniffedMessage,
  type AclMessage,
  type SniffedMessage,
} from '../../src/index.js';

const cfp: AclMessage = {
  performative: 'cfp',
  sender: { name: 'buyer@caxton' },
  receivers: [{ name: 'seller-a@caxton' }, { name: 'seller-b@caxton' }],
  content: '(price ?p)',
  protocol: 'fipa-contract-net',
  conversationId: 'c-1',
  replyBy: Date.UTC(2026, 0, 2, 3, 4, 5),
};

function sniff(message: AclMessage, id = 'm1'): SniffedMessage {
  return toSniffedMessage({
    id,
    acceptedAt: Date.UTC(2026, 0, 1),
    message,
    aclJson: encodeAclJson(message),
    fipa: encodeAclString(message),
  });
}

test('toSniffedMessage: names, ISO times, both encodings, optional fields only when present', () => {
  const s = sniff(cfp);
  assert.equal(s.sender, 'buyer@caxton');
  assert.deepEqual(s.receivers, ['seller-a@caxton', 'seller-b@caxton']);
  assert.equal(s.time, '2026-01-01T00:00:00.000Z');
  assert.equal(s.replyBy, '2026-01-02T03:04:05.000Z');
  assert.equal(s.acl['conversation-id'], 'c-1');
  assert.match(s.fipa, /^\(cfp/);
  const bare = sniff({ performative: 'inform', receivers: [{ name: 'x@caxton' }] });
  assert.equal(bare.sender, '');
  assert.equal('conversationId' in bare, false);
  assert.equal('replyBy' in bare, false);
});

test('matchesConsoleFilter: local or full agent names, comma-separated performatives, conversation and protocol', () => {
  const s = sniff(cfp);
  assert.ok(matchesConsoleFilter({}, s));
  assert.ok(matchesConsoleFilter({ agent: 'seller-b' }, s));
  assert.ok(matchesConsoleFilter({ agent: 'buyer@caxton' }, s));
  assert.equal(matchesConsoleFilter({ agent: 'buyer@other' }, s), false);
  assert.equal(matchesConsoleFilter({ agent: 'seller' }, s), false);
  assert.ok(matchesConsoleFilter({ performative: 'propose, cfp' }, s));
  assert.equal(matchesConsoleFilter({ performative: 'inform' }, s), false);
  assert.ok(matchesConsoleFilter({ conversation: 'c-1', protocol: 'fipa-contract-net' }, s));
  assert.equal(matchesConsoleFilter({ conversation: 'c-2' }, s), false);
  assert.equal(matchesConsoleFilter({ protocol: 'fipa-request' }, s), false);
});

test('redactConfig keeps keys and hides every value', () => {
  assert.deepEqual(redactConfig({ apiKey: 's3cret', mode: 'fast' }), { apiKey: REDACTED_VALUE, mode: REDACTED_VALUE });
});

test('stream events round-trip through format and parse, across chunk boundaries, skipping comments', () => {
  const a = formatStreamEvent({ kind: 'message', data: sniff(cfp) });
  const b = formatStreamEvent({ kind: 'sampled', data: { shown: 50, dropped: 7, windowMs: 1000 } });
  const text = `: ping\n\n${a}${b}event: unknown\ndata: {}\n\n`;
  const cut = a.length - 5;
  const first = parseStreamEvents(text.slice(0, cut));
  assert.equal(first.events.length, 0);
  const second = parseStreamEvents(first.rest + text.slice(cut));
  assert.equal(second.rest, '');
  assert.deepEqual(
    second.events.map((e) => e.kind),
    ['message', 'sampled'],
  );
  assert.deepEqual(second.events[1]!.data, { shown: 50, dropped: 7, windowMs: 1000 });
  assert.equal((second.events[0]!.data as SniffedMessage).conversationId, 'c-1');
});
