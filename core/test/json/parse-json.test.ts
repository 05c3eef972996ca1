/**
 * parseJson: keys exactly as written, on every Node. On Node 24/26 the first test fails with
 * `JSON.parse` (V8's key cache returns `a\` for `a"` after an `a\\` key was parsed); on Node 20 it
 * pins the behaviour. The properties check the exact parser against the text, not against V8.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseJson } from '../../src/json/index.js';
import { hasEscapedKey } from '../../src/json/escaped-key.js';
import { parseValidJson } from '../../src/json/valid-json-parser.js';

describe('parseJson', () => {
  it('reads an escaped key as written after another escaped key was parsed (V8 key-cache bug)', () => {
    for (const [poison, victim, key] of [
      [String.raw`{"a\\":1}`, String.raw`{"a\"":2}`, 'a"'],
      [String.raw`{"h":[],"\\":0}`, String.raw`{"h":1,"\"":2}`, '"'],
      [String.raw`{"X-k\\":""}`, String.raw`{"name":"n","X-k\"":"v","X-1":""}`, 'X-k"'],
    ] as const) {
      parseJson(poison);
      assert.ok(Object.hasOwn(parseJson(victim) as object, key), `${victim} must have the key ${JSON.stringify(key)}`);
    }
  });

  it('gives what JSON.parse gives for texts without escaped keys, and throws its syntax errors', () => {
    const text = '{"content":"say \\"hi\\"\\n","n":[1,-2.5e3,true,null],"o":{}}';
    assert.equal(hasEscapedKey(text), false);
    assert.deepStrictEqual(parseJson(text), JSON.parse(text));
    assert.throws(() => parseJson('{"a":'), SyntaxError);
  });

  it("keeps JSON.parse's own-property semantics: __proto__ is data, the last duplicate wins in place", () => {
    const v = parseJson('{"\\u005f_proto__":{"polluted":1},"k\\"":1,"b":2,"k\\"":3}') as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(v), Object.prototype);
    assert.deepStrictEqual(Object.keys(v), ['__proto__', 'k"', 'b']);
    assert.equal(v['k"'], 3);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });

  it('finds escaped keys and only those', () => {
    assert.equal(hasEscapedKey('{"a":"\\"","b":["\\\\"]}'), false);
    assert.equal(hasEscapedKey('{"a":"x", "b\\u0041" :1}'), true);
    assert.equal(hasEscapedKey('["\\\\", {"\\n":0}]'), true);
  });

  it('property: the exact parser reads back any JSON value JSON.stringify wrote', () => {
    const keyish = fc.string({ unit: fc.constantFrom('"', '\\', 'a', '\n', '\u0000', 'é', '🎉', '/', 'u'), maxLength: 6 });
    const value = fc.letrec<{ v: unknown }>((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.string(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('v'), { maxLength: 4 }),
        fc.dictionary(fc.oneof(keyish, fc.string()), tie('v'), { maxKeys: 4, noNullPrototype: true }),
      ),
    })).v;
    fc.assert(
      fc.property(value, fc.constantFrom('', ' ', '\n\t '), (v, blank) => {
        const text = JSON.stringify(v, null, blank);
        assert.equal(JSON.stringify(parseValidJson(text)), JSON.stringify(v));
      }),
      { numRuns: 2000 },
    );
  });
});
