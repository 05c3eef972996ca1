/** The pure check of a guest's topics call (src/host/topic-request.ts, decision 1961). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTopicPatterns, TOPIC_LIMITS } from '@caxton/core';
import { checkGuestTopic, checkSubscribe } from '../src/host/topic-request.js';

describe('checkSubscribe', () => {
  it('accepts a name alone, or with a filter parsed into its typed form', () => {
    assert.deepEqual(checkSubscribe('market.prices', undefined), { ok: true, topic: 'market.prices' });
    assert.deepEqual(checkSubscribe('alerts/eu', '{"all":[{"field":"X-region","match":{"prefix":"eu-"}}]}'), {
      ok: true,
      topic: 'alerts/eu',
      filter: { all: [{ field: 'X-region', match: { prefix: 'eu-' } }] },
    });
    assert.deepEqual(checkSubscribe('t', '{"all":[]}'), { ok: true, topic: 't', filter: { all: [] } });
  });

  it("refuses a topic outside the deployment's allow-list before reading the filter, marked as such (decision 2050)", () => {
    const allowed = parseTopicPatterns(['jobs.*', 'alerts']);
    assert.deepEqual(checkSubscribe('jobs.eu', undefined, allowed), { ok: true, topic: 'jobs.eu' });
    assert.deepEqual(checkSubscribe('alerts', undefined, allowed), { ok: true, topic: 'alerts' });
    const r = checkSubscribe('payments', 'not json', allowed);
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.refusal.kind, 'invalid-name');
      assert.equal(r.refusal.notAllowed, true);
      assert.match(
        r.refusal.message,
        /^topic: this agent may not subscribe to "payments": its deployment allows jobs\.\*,alerts \(.*--topics/,
      );
    }
    const none = checkSubscribe('alerts', undefined, parseTopicPatterns([]));
    assert.ok(!none.ok && /allows no topic/.test(none.refusal.message));
    // A bad name is still a bad name, not "not allowed".
    const bad = checkSubscribe('a b', undefined, allowed);
    assert.ok(!bad.ok && bad.refusal.notAllowed === undefined);
  });

  it('refuses a bad name before looking at the filter', () => {
    for (const name of ['', 'topic:x', 'a b', '.hidden', 'x@y', 'a'.repeat(TOPIC_LIMITS.maxTopicNameLength + 1)]) {
      const r = checkSubscribe(name, 'not json');
      assert.equal(r.ok, false, name);
      if (!r.ok) assert.equal(r.refusal.kind, 'invalid-name', name);
    }
  });

  it('refuses a filter that is too long, not JSON, or not the filter form, saying where', () => {
    const cases: Array<[string, RegExp]> = [
      ['x'.repeat(TOPIC_LIMITS.maxFilterTextLength + 1), /at most 32768/],
      ['{"all":', /^the filter is not JSON: /],
      ['[]', /^filter: must be an object with an "all" list/],
      ['{"all":[{"field":"performative","match":{"regex":".*"}}]}', /filter\.all\[0\]\.match: "regex" is not a match/],
      [`{"all":[{"field":"ontology","match":{"in":[${Array.from({ length: 65 }, () => '"v"').join(',')}]}}]}`, /has 65 values; at most 64/],
    ];
    for (const [text, why] of cases) {
      const r = checkSubscribe('t', text);
      assert.equal(r.ok, false, text.slice(0, 40));
      if (!r.ok) {
        assert.equal(r.refusal.kind, 'invalid-filter');
        assert.match(r.refusal.message, why);
      }
    }
  });
});

describe('checkGuestTopic', () => {
  it('is null for a valid name and the typed refusal otherwise (with the naming rule as hint)', () => {
    assert.equal(checkGuestTopic('jobs.delivery'), null);
    const r = checkGuestTopic('no spaces');
    assert.equal(r?.kind, 'invalid-name');
    assert.match(r?.message ?? '', /letters, digits and "\. - _ \/"/);
  });
});
