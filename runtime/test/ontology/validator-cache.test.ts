/**
 * Compiled validators (decision 2183) are found by their schema's text: the deploy's compile is the
 * one the first message uses, a record read again (a new object, as after a cluster's registry put)
 * compiles nothing, and the process keeps a bounded number, least recently used out.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ONTOLOGY_LIMITS } from '@caxton/core';
import { checkDeclaredOntologies, compiledSchema } from '../../src/ontology/schema-compiler.js';
import { OntologyValidators } from '../../src/ontology/validator-cache.js';

describe('compiled validators', () => {
  it("the deploy's compile seeds the cache: the gate's first check and a re-read record find it", () => {
    const schema = { type: 'object', properties: { seeded: { type: 'integer' } } };
    checkDeclaredOntologies({ orders: schema }, 'header.ontologies');
    const validators = new OntologyValidators();
    const first = validators.of({ orders: structuredClone(schema) }, 'orders');
    assert.equal(first, compiledSchema(structuredClone(schema)), 'one compile for equal schemas');
    assert.equal(validators.of({ orders: JSON.parse(JSON.stringify(schema)) }, 'orders'), first, 'a record read again compiles nothing');
    assert.equal(first.kind, 'json');
    const validate = (first as Extract<typeof first, { kind: 'json' }>).validate;
    assert.equal(validate({ seeded: 1 }), true);
    assert.equal(validate({ seeded: 'one' }), false);
  });

  it('keeps at most the bound, dropping the least recently used', () => {
    const schema = (i: number) => ({ type: 'object', properties: { [`bound${i}`]: { type: 'integer' } } });
    const oldest = compiledSchema(schema(0));
    const kept = compiledSchema(schema(1));
    for (let i = 2; i <= ONTOLOGY_LIMITS.maxCachedValidators; i++) {
      compiledSchema(schema(i));
      if (i % 50 === 0) assert.equal(compiledSchema(schema(1)), kept, 'a schema in use stays');
    }
    assert.equal(compiledSchema(schema(1)), kept);
    assert.notEqual(compiledSchema(schema(0)), oldest, 'the least recently used was dropped and compiles again');
  });

  it('compiles ordinary schemas that leave things unstated, and still refuses an unknown keyword', () => {
    const ordinary = {
      required: { type: 'object', required: ['id'] },
      tuple: { type: 'array', items: [{ type: 'string' }, { type: 'integer' }] },
      untyped: { properties: { id: { minimum: 1 } } },
    };
    checkDeclaredOntologies(ordinary, 'header.ontologies');
    const required = compiledSchema(ordinary.required);
    assert.equal(required.kind === 'json' && required.validate({}), false, 'required is still checked');
    assert.throws(
      () => checkDeclaredOntologies({ orders: { type: 'object', requried: ['id'] } }, 'header.ontologies'),
      /header\.ontologies\.orders: the schema of ontology orders does not compile: .*unknown keyword/,
    );
  });

  it('keeps XML Schemas in the same bound; one pushed out stays usable by the deployment that holds it (decision 2190)', () => {
    const xsd = (i: number) => ({
      $xmlSchema: `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="e${i}" type="xs:int"/></xs:schema>`,
    });
    const validators = new OntologyValidators();
    const held = { orders: xsd(0) };
    const first = validators.of(held, 'orders');
    assert.equal(first.kind, 'xml');
    const check = (first as Extract<typeof first, { kind: 'xml' }>).check;
    assert.equal(check.check('<e0>7</e0>'), undefined);
    for (let i = 1; i <= ONTOLOGY_LIMITS.maxCachedValidators; i++) compiledSchema(xsd(i)); // pushes schema 0 out
    assert.notEqual(compiledSchema(xsd(0)), first, 'it left the bound: a new lookup compiles it again');
    // The deployment still holding it checks on with the one it has.
    assert.equal(validators.of(held, 'orders'), first);
    assert.equal(check.check('<e0>8</e0>'), undefined);
    assert.match(
      check.check('<e0>eight</e0>') ?? '',
      /does not match the schema: Element 'e0': 'eight' is not a valid value of the atomic type 'xs:int'/,
    );
  });
});
