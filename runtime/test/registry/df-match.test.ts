import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { matchesTemplate, normaliseDescription, isLive } from '../../src/registry/df-match.js';
import { DfDirectory } from '../../src/registry/df-directory.js';
import type { DfAgentDescription, DfSearchTemplate } from '@caxton/core';
import { isRegistryError } from '../../src/registry/errors.js';
import { description, service } from './fixtures.js';

const now = 1_800_000_000_000;

function directory(all: DfAgentDescription[]): DfDirectory {
  const dir = new DfDirectory();
  for (const d of all) dir.set(d);
  return dir;
}
const seller = normaliseDescription(
  description(
    'seller@p',
    [
      service('book-selling', 'selling', {
        protocols: ['fipa-contract-net'],
        ontologies: ['books'],
        properties: { country: 'FR', currency: 'EUR' },
      }),
      service('book-buying', 'buying', { languages: ['fipa-sl0'] }),
    ],
    { protocols: ['fipa-request'], languages: ['fipa-sl'] },
  ),
  now,
);

test('service type, name and properties select one service', () => {
  assert.ok(matchesTemplate(seller, { serviceType: 'selling' }));
  assert.ok(matchesTemplate(seller, { serviceName: 'book-buying', serviceType: 'buying' }));
  assert.ok(matchesTemplate(seller, { properties: { country: 'FR' } }));
  assert.ok(!matchesTemplate(seller, { properties: { country: 'DE' } }));
  assert.ok(!matchesTemplate(seller, { serviceName: 'book-buying', serviceType: 'selling' }), 'criteria must hold for the same service');
  assert.ok(!matchesTemplate(seller, { serviceType: 'buying', properties: { country: 'FR' } }));
});

test('protocols, ontologies, languages: service lists plus agent-level lists, all values required', () => {
  assert.ok(matchesTemplate(seller, { serviceType: 'selling', protocols: ['fipa-contract-net', 'fipa-request'] }));
  assert.ok(!matchesTemplate(seller, { serviceType: 'buying', protocols: ['fipa-contract-net'] }));
  assert.ok(matchesTemplate(seller, { serviceType: 'buying', languages: ['fipa-sl0', 'fipa-sl'] }));
  assert.ok(matchesTemplate(seller, { ontologies: ['books'] }));
  assert.ok(!matchesTemplate(seller, { ontologies: ['books', 'music'] }));
});

test('agents without services match on agent-level lists only when no service criteria are given', () => {
  const bare = normaliseDescription(description('bare@p', [], { protocols: ['fipa-query'] }), now);
  assert.ok(matchesTemplate(bare, { protocols: ['fipa-query'] }));
  assert.ok(matchesTemplate(bare, {}));
  assert.ok(!matchesTemplate(bare, { serviceType: 'anything' }));
  assert.ok(matchesTemplate(bare, { agentName: 'bare@p' }));
  assert.ok(!matchesTemplate(bare, { agentName: 'other@p' }));
});

test('search drops expired leases, sorts by name and honours the limit', () => {
  const mk = (n: string, leaseUntil?: number) =>
    normaliseDescription(description(n, [service('s', 't')], leaseUntil === undefined ? {} : { leaseUntil }), now);
  const all = [mk('c@p'), mk('a@p', now + 10), mk('b@p', now + 1000), mk('d@p')];
  const dir = directory(all);
  assert.deepEqual(
    dir.search({ serviceType: 't' }, now).map((d) => d.name.name),
    ['a@p', 'b@p', 'c@p', 'd@p'],
  );
  assert.deepEqual(
    dir.search({ serviceType: 't' }, now + 10).map((d) => d.name.name),
    ['b@p', 'c@p', 'd@p'],
  );
  assert.deepEqual(
    dir.search({ serviceType: 't' }, now, 2).map((d) => d.name.name),
    ['a@p', 'b@p'],
  );
  assert.equal(isLive(all[1]!, now + 10), false);
});

test('results are copies: mutating them does not change the store', () => {
  const [hit] = directory([seller]).search({}, now);
  hit!.services[0]!.properties['country'] = 'XX';
  assert.equal(seller.services[0]!.properties['country'], 'FR');
});

test('normalise rejects nameless agents, untyped services and leases already over', () => {
  const bad = (d: unknown) =>
    assert.throws(
      () => normaliseDescription(d as never, now),
      (e) => isRegistryError(e, 'registry.invalid'),
    );
  bad(description('', []));
  bad(description('x@p', [{ name: 's' } as never]));
  bad(description('x@p', [], { leaseUntil: now }));
  bad({ ...description('x@p', []), protocols: 'fipa-request' });
  const filled = normaliseDescription({ name: { name: 'x@p' } } as never, now);
  assert.deepEqual(filled, { name: { name: 'x@p' }, services: [], protocols: [], ontologies: [], languages: [] });
});

test('directory: the type and name indexes answer exactly like a full scan, through sets, replaces and deletes', () => {
  const word = fc.constantFrom('a', 'b', 'c');
  const svc = fc.record({
    name: word,
    type: fc.constantFrom('t1', 't2', 't3'),
    protocols: fc.uniqueArray(word),
    ontologies: fc.uniqueArray(word),
    languages: fc.uniqueArray(word),
    properties: fc.dictionary(word, word),
  });
  const desc = fc.record({
    agent: fc.constantFrom('x@p', 'y@p', 'z@p', 'w@p'),
    services: fc.array(svc, { maxLength: 3 }),
    protocols: fc.uniqueArray(word),
    leaseIn: fc.option(fc.integer({ min: 1, max: 100 })),
  });
  const op = fc.oneof(
    desc.map((d) => ({ kind: 'set' as const, d })),
    fc.constantFrom('x@p', 'y@p').map((agent) => ({ kind: 'del' as const, agent })),
  );
  const template: fc.Arbitrary<DfSearchTemplate> = fc.record(
    {
      agentName: fc.constantFrom('x@p', 'y@p', 'q@p'),
      serviceName: word,
      serviceType: fc.constantFrom('t1', 't2', 't9'),
      protocols: fc.uniqueArray(word, { maxLength: 2 }),
      properties: fc.dictionary(word, word, { maxKeys: 1 }),
    },
    { requiredKeys: [] },
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 12 }), template, fc.integer({ min: 0, max: 120 }), (ops, t, elapsed) => {
      const dir = new DfDirectory();
      const truth = new Map<string, DfAgentDescription>();
      for (const o of ops) {
        if (o.kind === 'del') {
          dir.delete(o.agent);
          truth.delete(o.agent);
          continue;
        }
        const d = normaliseDescription(
          {
            name: { name: o.d.agent },
            services: o.d.services,
            protocols: o.d.protocols,
            ontologies: [],
            languages: [],
            ...(o.d.leaseIn === null ? {} : { leaseUntil: now + o.d.leaseIn }),
          },
          now,
        );
        dir.set(d);
        truth.set(o.d.agent, d);
      }
      const expected = [...truth.values()]
        .filter((d) => isLive(d, now + elapsed) && matchesTemplate(d, t))
        .map((d) => d.name.name)
        .sort();
      assert.deepEqual(
        dir.search(t, now + elapsed).map((d) => d.name.name),
        expected,
      );
    }),
  );
});
