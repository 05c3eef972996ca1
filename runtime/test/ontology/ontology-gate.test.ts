/**
 * The OntologyGate on its own (decision 2183), in front of a stub tracker: what it makes of
 * validators and receivers the node-level tests cannot reach (core refuses such schemas at deploy).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AclMessage, OntologySchemas } from '@caxton/core';
import type { ProtocolGate } from '../../src/bus/port.js';
import { OntologyGate } from '../../src/ontology/index.js';
import { compiledSchema, firstSchemaError } from '../../src/ontology/schema-compiler.js';

/** A JSON Schema's Ajv validator, compiled through the node's cache. */
function jsonValidator(schema: Record<string, unknown>) {
  const compiled = compiledSchema(schema);
  assert.equal(compiled.kind, 'json');
  return (compiled as Extract<typeof compiled, { kind: 'json' }>).validate;
}

const passing: ProtocolGate = {
  observe: () => ({ kind: 'deliver' }),
  expire: () => [],
  nextDeadline: () => undefined,
};

function gate(declared: Record<string, OntologySchemas>): OntologyGate {
  return new OntologyGate(passing, { platform: 'caxton', ontologiesOf: (name) => declared[name] });
}

function message(content: string, performative = 'request'): AclMessage {
  return {
    performative,
    sender: { name: 'buyer@caxton' },
    receivers: [{ name: 'shop@caxton' }],
    conversationId: 'c-1',
    ontology: 'orders',
    content,
  } as AclMessage;
}

describe('OntologyGate', () => {
  it('counts only a plain true as valid: an async validator (a schema with $async) refuses, and its rejection is handled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const g = gate({ shop: { orders: { $async: true, type: 'object', properties: { qty: { type: 'integer' } } } } });
      const verdict = g.observe(message('{"qty":"many"}'), 0);
      assert.equal(verdict.kind, 'reject', 'a Promise is not a pass');
      assert.equal(g.observe(message('{"qty":2}'), 0).kind, 'reject', 'nor when it would resolve');
      // The rejection of the first validation settles within a few turns; give it many.
      for (let i = 0; i < 50; i++) await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('does not check a not-understood, failure or refuse: its content is a reason, copied ontology or not', () => {
    const g = gate({ shop: { orders: { type: 'object' } } });
    for (const performative of ['not-understood', 'failure', 'refuse'])
      assert.equal(g.observe(message('out of stock', performative), 0).kind, 'deliver', performative);
    const inform = g.observe(message('out of stock', 'inform'), 0);
    assert.equal(inform.kind, 'reject');
    assert.match(inform.kind === 'reject' ? inform.reason : '', /the content is not JSON/);
  });

  it('shows a few of a long enum, each bounded, rather than the whole list', () => {
    const values = Array.from({ length: 1000 }, (_, i) => `${i}-${'v'.repeat(100)}`);
    const validate = jsonValidator({ enum: values });
    assert.equal(validate('none of them'), false);
    const line = firstSchemaError(validate.errors);
    assert.match(line, /^the content must be equal to one of the allowed values \{"allowedValues":\["0-v+/);
    assert.ok(line.length <= 300, line);
    const few = jsonValidator({ enum: ['a', 'b'] });
    few('c');
    assert.equal(firstSchemaError(few.errors), 'the content must be equal to one of the allowed values {"allowedValues":["a","b"]}');
    const nine = jsonValidator({ enum: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'] });
    nine('z');
    assert.match(firstSchemaError(nine.errors), /\["a","b","c","d","e","f","g","h",…\]\}$/);
  });
});
