import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchesTemplate, normaliseDescription, searchDescriptions, isLive } from '../../src/registry/df-match.js';
import { isRegistryError } from '../../src/registry/errors.js';
import { description, service } from './fixtures.js';

const now = 1_800_000_000_000;
const seller = normaliseDescription(
  description(
    'seller@p',
    [
      service('book-selling', 'selling', { protocols: ['fipa-contract-net'], ontologies: ['books'], properties: { country: 'FR', currency: 'EUR' } }),
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
  assert.deepEqual(searchDescriptions(all, { serviceType: 't' }, now, undefined).map((d) => d.name.name), ['a@p', 'b@p', 'c@p', 'd@p']);
  assert.deepEqual(searchDescriptions(all, { serviceType: 't' }, now + 10, undefined).map((d) => d.name.name), ['b@p', 'c@p', 'd@p']);
  assert.deepEqual(searchDescriptions(all, { serviceType: 't' }, now, 2).map((d) => d.name.name), ['a@p', 'b@p']);
  assert.equal(isLive(all[1]!, now + 10), false);
});

test('results are copies: mutating them does not change the store', () => {
  const all = [seller];
  const [hit] = searchDescriptions(all, {}, now);
  hit!.services[0]!.properties['country'] = 'XX';
  assert.equal(seller.services[0]!.properties['country'], 'FR');
});

test('normalise rejects nameless agents, untyped services and leases already over', () => {
  const bad = (d: unknown) => assert.throws(() => normaliseDescription(d as never, now), (e) => isRegistryError(e, 'registry.invalid'));
  bad(description('', []));
  bad(description('x@p', [{ name: 's' } as never]));
  bad(description('x@p', [], { leaseUntil: now }));
  bad({ ...description('x@p', []), protocols: 'fipa-request' });
  const filled = normaliseDescription({ name: { name: 'x@p' } } as never, now);
  assert.deepEqual(filled, { name: { name: 'x@p' }, services: [], protocols: [], ontologies: [], languages: [] });
});
