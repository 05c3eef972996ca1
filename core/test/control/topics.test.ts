/**
 * Topic addresses and subscription filters (decision 1960): what is a topic receiver, which filters
 * are refused (with the path of the fault), and how a filter is evaluated against a message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CaxtonError,
  TOPIC_LIMITS,
  TopicError,
  checkTopicName,
  matchesTopicFilter,
  parseTopicFilter,
  parseTopicSubscription,
  topicAddress,
  topicOfReceiver,
  type AclMessage,
} from '../../src/index.js';

const msg: AclMessage = {
  performative: 'inform',
  sender: { name: 'quotes@caxton' },
  receivers: [{ name: 'topic:market.prices' }],
  ontology: 'market',
  language: 'json',
  protocol: 'fipa-subscribe',
  conversationId: 'c-1',
  userParams: { 'X-region': 'eu-west' },
};

function refused(fn: () => unknown, code: string, field: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof TopicError && err instanceof CaxtonError);
    assert.equal(err.code, code);
    assert.match(err.field, field);
    assert.ok(err.hint && err.hint.length > 0, 'every refusal has a hint');
    return true;
  });
}

test('a receiver "topic:<name>" addresses a topic; any other name an agent', () => {
  assert.equal(topicOfReceiver('topic:market.prices'), 'market.prices');
  assert.equal(topicOfReceiver('topic:a/b_c-1'), 'a/b_c-1');
  assert.equal(topicOfReceiver('echo'), undefined);
  assert.equal(topicOfReceiver('echo@caxton'), undefined);
  assert.equal(topicAddress('news'), 'topic:news');
});

test('a malformed topic address is refused, not taken for an agent name', () => {
  for (const bad of [
    'topic:',
    'topic:news@caxton',
    'topic: news',
    'topic:.hidden',
    `topic:${'a'.repeat(TOPIC_LIMITS.maxTopicNameLength + 1)}`,
  ]) {
    refused(() => topicOfReceiver(bad, 'receivers[0]'), 'topic.invalid-name', /^receivers\[0\]$/);
  }
  refused(() => checkTopicName(42), 'topic.invalid-name', /^topic$/);
  assert.equal(checkTopicName('a'.repeat(TOPIC_LIMITS.maxTopicNameLength)).length, TOPIC_LIMITS.maxTopicNameLength);
});

test('exact, prefix and set matches over ACL fields and user parameters', () => {
  const f = (all: unknown) => parseTopicFilter({ all });
  assert.equal(matchesTopicFilter(undefined, msg), true);
  assert.equal(matchesTopicFilter(f([]), msg), true);
  assert.equal(matchesTopicFilter(f([{ field: 'performative', match: { equals: 'inform' } }]), msg), true);
  assert.equal(matchesTopicFilter(f([{ field: 'performative', match: { equals: 'cfp' } }]), msg), false);
  assert.equal(matchesTopicFilter(f([{ field: 'sender', match: { prefix: 'quotes@' } }]), msg), true);
  assert.equal(matchesTopicFilter(f([{ field: 'ontology', match: { in: ['weather', 'market'] } }]), msg), true);
  assert.equal(matchesTopicFilter(f([{ field: 'language', match: { in: ['sl', 'xml'] } }]), msg), false);
  assert.equal(matchesTopicFilter(f([{ field: 'X-region', match: { prefix: 'eu-' } }]), msg), true);
  assert.equal(
    matchesTopicFilter(
      f([
        { field: 'protocol', match: { equals: 'fipa-subscribe' } },
        { field: 'conversation-id', match: { equals: 'c-2' } },
      ]),
      msg,
    ),
    false,
    'every clause must hold',
  );
  // An absent field matches nothing, not even an empty prefix.
  assert.equal(matchesTopicFilter(f([{ field: 'X-absent', match: { prefix: '' } }]), msg), false);
  assert.equal(matchesTopicFilter(f([{ field: 'ontology', match: { prefix: '' } }]), { ...msg, ontology: undefined }), false);
});

test('malformed filters are refused with the path of the fault', () => {
  refused(() => parseTopicFilter(null), 'topic.invalid-filter', /^filter$/);
  refused(() => parseTopicFilter([]), 'topic.invalid-filter', /^filter$/);
  refused(() => parseTopicFilter({ all: [], any: [] }), 'topic.invalid-filter', /^filter\.any$/);
  refused(() => parseTopicFilter({ all: {} }), 'topic.invalid-filter', /^filter\.all$/);
  refused(
    () => parseTopicFilter({ all: [{ field: 'content', match: { equals: 'x' } }] }),
    'topic.invalid-filter',
    /^filter\.all\[0\]\.field$/,
  );
  refused(
    () => parseTopicFilter({ all: [{ field: 'x-lower', match: { equals: 'x' } }] }),
    'topic.invalid-filter',
    /^filter\.all\[0\]\.field$/,
  );
  refused(
    () => parseTopicFilter({ all: [{ field: 'ontology', match: { regex: '.*' } }] }),
    'topic.invalid-filter',
    /^filter\.all\[0\]\.match$/,
  );
  refused(
    () => parseTopicFilter({ all: [{ field: 'ontology', match: { equals: 'a', prefix: 'b' } }] }),
    'topic.invalid-filter',
    /^filter\.all\[0\]\.match$/,
  );
  refused(
    () => parseTopicFilter({ all: [{ field: 'ontology', match: { equals: 7 } }] }),
    'topic.invalid-filter',
    /^filter\.all\[0\]\.match\.equals$/,
  );
  refused(
    () => parseTopicFilter({ all: [{ field: 'ontology', match: { in: [] } }] }),
    'topic.invalid-filter',
    /^filter\.all\[0\]\.match\.in$/,
  );
  refused(
    () => parseTopicFilter({ all: [{ field: 'ontology', match: { in: ['a', 3] } }] }),
    'topic.invalid-filter',
    /^filter\.all\[0\]\.match\.in\[1\]$/,
  );
  refused(
    () => parseTopicFilter({ all: [{ field: 'ontology', match: { equals: 'x' }, extra: 1 }] }),
    'topic.invalid-filter',
    /^filter\.all\[0\]\.extra$/,
  );
});

test('filters are bounded in clauses, set sizes and value lengths (so evaluation cost is bounded)', () => {
  const clause = { field: 'ontology', match: { equals: 'x' } };
  assert.equal(parseTopicFilter({ all: Array(TOPIC_LIMITS.maxFilterClauses).fill(clause) }).all.length, TOPIC_LIMITS.maxFilterClauses);
  refused(() => parseTopicFilter({ all: Array(TOPIC_LIMITS.maxFilterClauses + 1).fill(clause) }), 'topic.invalid-filter', /^filter\.all$/);
  const values = Array.from({ length: TOPIC_LIMITS.maxFilterValues + 1 }, (_, i) => `v${i}`);
  refused(
    () => parseTopicFilter({ all: [{ field: 'ontology', match: { in: values } }] }),
    'topic.invalid-filter',
    /^filter\.all\[0\]\.match\.in$/,
  );
  refused(
    () => parseTopicFilter({ all: [{ field: 'ontology', match: { prefix: 'p'.repeat(TOPIC_LIMITS.maxFilterValueLength + 1) } }] }),
    'topic.invalid-filter',
    /^filter\.all\[0\]\.match\.prefix$/,
  );
});

test('a filter is bounded in all: its values summed stay within maxFilterTotalLength (a subscription is a registry record)', () => {
  const value = 'v'.repeat(TOPIC_LIMITS.maxFilterValueLength);
  const perClause = TOPIC_LIMITS.maxFilterTotalLength / TOPIC_LIMITS.maxFilterClauses / TOPIC_LIMITS.maxFilterValueLength;
  const atCap = {
    all: Array.from({ length: TOPIC_LIMITS.maxFilterClauses }, () => ({ field: 'ontology', match: { in: Array(perClause).fill(value) } })),
  };
  assert.equal(parseTopicFilter(atCap).all.length, TOPIC_LIMITS.maxFilterClauses);
  // Written plainly, a filter at the cap fits in the text a guest may pass.
  assert.ok(JSON.stringify(atCap).length <= TOPIC_LIMITS.maxFilterTextLength);
  const over = { all: [{ field: 'ontology', match: { in: [...Array(perClause).fill(value), 'x'] } }, ...atCap.all.slice(1)] };
  refused(() => parseTopicFilter(over), 'topic.invalid-filter', /^filter$/);
  assert.throws(() => parseTopicFilter(over), /compares with 16385 code units of values in all; at most 16384/);
});

test('a subscription record round-trips through JSON and is re-validated on the way in', () => {
  const sub = {
    agent: 'buyer',
    topic: 'market.prices',
    filter: { all: [{ field: 'performative', match: { in: ['inform', 'propose'] } }] },
  };
  assert.deepEqual(parseTopicSubscription(JSON.parse(JSON.stringify(sub))), sub);
  assert.deepEqual(parseTopicSubscription({ agent: 'buyer', topic: 'news' }), { agent: 'buyer', topic: 'news' });
  refused(() => parseTopicSubscription({ agent: 'buyer', topic: 'bad topic' }), 'topic.invalid-name', /^subscription\.topic$/);
  refused(() => parseTopicSubscription({ agent: '', topic: 'news' }), 'topic.invalid-filter', /^subscription\.agent$/);
});
