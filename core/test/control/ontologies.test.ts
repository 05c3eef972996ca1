/**
 * A deployment's declared ontologies (decision 2183) are parsed strictly at the boundary: a JSON
 * object of ontology name → JSON Schema (object or boolean), bounded in count, name and size;
 * anything else is refused with the field named and a hint.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError, ONTOLOGY_LIMITS, checkOntologies, parseOntologies } from '../../src/index.js';

function refusal(text: string, message: RegExp): InvalidArgumentError {
  let caught: unknown;
  try {
    parseOntologies(text, 'header.ontologies');
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof InvalidArgumentError, `refused with a typed error: ${String(caught)}`);
  assert.match(caught.field, /^header\.ontologies/);
  assert.match(caught.message, message);
  assert.ok(caught.hint !== undefined && caught.hint.length > 0, 'a hint says what to do');
  return caught;
}

describe('parseOntologies', () => {
  it('takes object and boolean schemas under plain names, as given', () => {
    const schemas = { orders: { type: 'object', required: ['id'] }, 'fipa:any/1.0': true, 'none-at_all.v2': false };
    assert.deepEqual(parseOntologies(JSON.stringify(schemas)), schemas);
    assert.deepEqual(checkOntologies(schemas), schemas);
  });

  it('refuses text that is not JSON, and JSON that is not an object', () => {
    refusal('{orders:', /is not JSON/);
    for (const text of ['[]', '"orders"', 'null', '42']) refusal(text, /must be a JSON object/);
  });

  it('refuses an empty declaration: declaring none is leaving it out', () => {
    refusal('{}', /declares no ontology/);
  });

  it('refuses a schema that is neither an object nor a boolean', () => {
    for (const schema of ['"string"', '1', 'null', '[]']) {
      const err = refusal(`{"orders": ${schema}}`, /must be a JSON Schema/);
      assert.equal(err.field, 'header.ontologies.orders');
    }
  });

  it('refuses names that are empty, too long or hold other characters', () => {
    refusal('{"": true}', /is not an ontology name/);
    refusal('{"-orders": true}', /is not an ontology name/);
    refusal('{"or ders": true}', /is not an ontology name/);
    refusal('{"orders\\u001b[2J": true}', /is not an ontology name/);
    const long = 'o'.repeat(ONTOLOGY_LIMITS.maxNameLength + 1);
    refusal(`{"${long}": true}`, new RegExp(`more than ${ONTOLOGY_LIMITS.maxNameLength}`));
    assert.deepEqual(parseOntologies(`{"${long.slice(1)}": true}`), { [long.slice(1)]: true });
  });

  it('refuses more ontologies than the bound', () => {
    const many = Object.fromEntries(Array.from({ length: ONTOLOGY_LIMITS.maxOntologies + 1 }, (_, i) => [`o${i}`, true]));
    refusal(JSON.stringify(many), new RegExp(`more than ${ONTOLOGY_LIMITS.maxOntologies}`));
    delete many[`o${ONTOLOGY_LIMITS.maxOntologies}`];
    assert.equal(Object.keys(parseOntologies(JSON.stringify(many))).length, ONTOLOGY_LIMITS.maxOntologies);
  });

  it('refuses a declaration larger than the bound before parsing it', () => {
    const big = JSON.stringify({ orders: { description: 'x'.repeat(ONTOLOGY_LIMITS.maxTotalBytes) } });
    refusal(big, /more than 131072/);
    // Bytes, not characters: multi-byte text counts as what it weighs in UTF-8.
    const wide = JSON.stringify({ orders: { description: 'é'.repeat(ONTOLOGY_LIMITS.maxTotalBytes / 2) } });
    assert.ok(wide.length < ONTOLOGY_LIMITS.maxTotalBytes);
    refusal(wide, /more than 131072/);
  });

  it('is frozen', () => {
    assert.ok(Object.isFrozen(ONTOLOGY_LIMITS));
  });
});
