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

  it('refuses $async anywhere a schema is, but not where a value or a property name is', () => {
    refusal('{"orders": {"$async": true, "type": "object"}}', /is \$async/);
    const err = refusal('{"orders": {"anyOf": [{"type": "string"}, {"properties": {"id": {"$async": true}}}]}}', /is \$async/);
    assert.match(err.message, /at "\/anyOf\/1\/properties\/id\/\$async"/);
    assert.match(err.hint ?? '', /cannot wait/);
    const fine = {
      orders: { enum: [{ $async: true, pattern: '^(a+)+$' }], properties: { $async: { type: 'boolean' }, pattern: { type: 'string' } } },
    };
    assert.deepEqual(checkOntologies(fine), fine);
  });

  it("refuses pattern and patternProperties: a sender's content would run the operator's regular expression on the bus's thread", () => {
    for (const schema of ['{"type": "string", "pattern": "^(a+)+$"}', '{"type": "object", "patternProperties": {"^x": true}}']) {
      const err = refusal(`{"orders": ${schema}}`, /uses pattern/);
      assert.match(err.hint ?? '', /backtrack/);
      assert.match(err.hint ?? '', /bus's thread/);
    }
  });

  it('refuses uniqueItems unless maxItems beside it is small', () => {
    const limit = ONTOLOGY_LIMITS.maxUniqueItems;
    refusal('{"orders": {"type": "array", "uniqueItems": true}}', new RegExp(`maxItems of at most ${limit}`));
    refusal(`{"orders": {"type": "array", "uniqueItems": true, "maxItems": ${limit + 1}}}`, /uniqueItems/);
    // maxItems on another schema object does not bound this one.
    refusal(`{"orders": {"maxItems": 2, "items": {"type": "array", "uniqueItems": true}}}`, /uniqueItems/);
    const fine = { orders: { type: 'array', uniqueItems: true, maxItems: limit }, loose: { type: 'array', uniqueItems: false } };
    assert.deepEqual(checkOntologies(fine), fine);
  });

  it('refuses an enum longer than the bound', () => {
    const values = Array.from({ length: ONTOLOGY_LIMITS.maxEnumValues + 1 }, (_, i) => i);
    refusal(JSON.stringify({ orders: { enum: values } }), new RegExp(`more than ${ONTOLOGY_LIMITS.maxEnumValues}`));
    assert.ok(checkOntologies({ orders: { enum: values.slice(1) } }));
  });

  it('refuses nesting deeper than the bound, however deep, without recursing into it', () => {
    const nest = (levels: number): unknown => {
      let schema: unknown = { type: 'string' };
      for (let i = 1; i < levels; i++) schema = { items: schema };
      return schema;
    };
    assert.ok(checkOntologies({ orders: nest(ONTOLOGY_LIMITS.maxDepth) }));
    refusal(JSON.stringify({ orders: nest(ONTOLOGY_LIMITS.maxDepth + 1) }), new RegExp(`deeper than ${ONTOLOGY_LIMITS.maxDepth} levels`));
    // Deep enough to overflow a recursive walk; a value's nesting counts too.
    const deep = `{"orders": {"default": ${'['.repeat(60_000)}${']'.repeat(60_000)}}}`;
    assert.ok(deep.length < ONTOLOGY_LIMITS.maxTotalBytes);
    refusal(deep, /deeper than/);
  });

  it('refuses more objects and arrays than the bound, in all the schemas together', () => {
    const half = Math.ceil(ONTOLOGY_LIMITS.maxNodes / 2);
    const wide = { anyOf: Array.from({ length: half }, () => ({})) };
    const err = refusal(JSON.stringify({ a: wide, b: wide }), new RegExp(`more than ${ONTOLOGY_LIMITS.maxNodes} objects and arrays`));
    assert.match(err.hint ?? '', /compil/);
    assert.ok(checkOntologies({ a: wide }));
  });

  it('is frozen', () => {
    assert.ok(Object.isFrozen(ONTOLOGY_LIMITS));
  });
});
