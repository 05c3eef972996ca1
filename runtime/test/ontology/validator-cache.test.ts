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
    assert.equal(first({ seeded: 1 }), true);
    assert.equal(first({ seeded: 'one' }), false);
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
    assert.equal(compiledSchema(ordinary.required)({}), false, 'required is still checked');
    assert.throws(
      () => checkDeclaredOntologies({ orders: { type: 'object', requried: ['id'] } }, 'header.ontologies'),
      /header\.ontologies\.orders: the schema of ontology orders does not compile: .*unknown keyword/,
    );
  });
});
