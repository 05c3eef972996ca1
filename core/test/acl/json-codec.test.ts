import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { aclLimits, decodeAclJson, encodeAclJson, type AclMessage } from '../../src/acl/index.js';
import { locateJsonSyntaxError } from '../../src/acl/json-syntax-error.js';
import { throwsInvalid, throwsMalformed } from './helpers.js';

const sample: AclMessage = {
  performative: 'request',
  sender: { name: 'a@p', addresses: ['http://h:7778/acc'], userParams: { 'X-JADE-agent-classname': 'Dummy' } },
  receivers: [{ name: 'b@p', resolvers: [{ name: 'r@p' }] }],
  replyTo: [{ name: 'c@p' }],
  content: 'say "hi" \\ ✓',
  language: 'fipa-sl0',
  protocol: 'fipa-request',
  conversationId: 'c-1',
  replyBy: 1_700_000_000_000,
  userParams: { 'X-traceparent': '00-1-2-01' },
};

describe('JSON codec', () => {
  it('writes FIPA parameter names, reply-by as a UTC DateTime and X- keys inline', () => {
    assert.equal(
      encodeAclJson(sample),
      '{"performative":"request",' +
        '"sender":{"name":"a@p","addresses":["http://h:7778/acc"],"X-JADE-agent-classname":"Dummy"},' +
        '"receiver":[{"name":"b@p","resolvers":[{"name":"r@p"}]}],"reply-to":[{"name":"c@p"}],' +
        '"content":"say \\"hi\\" \\\\ ✓","language":"fipa-sl0","protocol":"fipa-request","conversation-id":"c-1",' +
        '"reply-by":"20231114T221320000Z","X-traceparent":"00-1-2-01"}',
    );
  });

  it('round-trips', () => {
    assert.deepEqual(decodeAclJson(encodeAclJson(sample)), sample);
    const minimal: AclMessage = { performative: 'inform', receivers: [] };
    assert.deepEqual(decodeAclJson(encodeAclJson(minimal)), minimal);
  });

  it('reads reply-by as epoch milliseconds too, and a missing receiver as none', () => {
    const msg = decodeAclJson('{"performative":"agree","reply-by":1700000000000}');
    assert.equal(msg.replyBy, 1_700_000_000_000);
    assert.deepEqual(msg.receivers, []);
    assert.equal(decodeAclJson('{"performative":"agree","reply-by":"20231114T221320000"}').replyBy, 1_700_000_000_000);
  });

  it('refuses relative or malformed reply-by values', () => {
    throwsInvalid(() => decodeAclJson('{"performative":"agree","reply-by":"+00000000T010000000"}'), 'reply-by.invalid', 'replyBy');
    throwsInvalid(() => decodeAclJson('{"performative":"agree","reply-by":"2023-11-14T22:13:20Z"}'), 'reply-by.invalid');
    throwsInvalid(() => decodeAclJson('{"performative":"agree","reply-by":1.5}'), 'reply-by.out-of-range');
    throwsInvalid(() => decodeAclJson('{"performative":"agree","reply-by":null}'), 'wrong-type', 'replyBy');
  });

  it('rejects unknown keys, wrong types and unknown performatives, naming the model field', () => {
    throwsInvalid(() => decodeAclJson('{"performative":"inform","receivers":[]}'), 'unknown-field', 'receivers');
    throwsInvalid(() => decodeAclJson('{"performative":"inform","__proto__":{}}'), 'unknown-field');
    throwsInvalid(() => decodeAclJson('{"performative":"inform","receiver":[{"name":"b","age":3}]}'), 'unknown-field', 'receivers[0].age');
    throwsInvalid(() => decodeAclJson('{"performative":"inform","conversation-id":7}'), 'wrong-type', 'conversationId');
    throwsInvalid(() => decodeAclJson('{"performative":"INFORM"}'), 'performative.unknown', 'performative');
    throwsInvalid(() => decodeAclJson('{"receiver":[]}'), 'performative.missing');
    throwsInvalid(() => decodeAclJson('{"performative":"inform","receiver":[{}]}'), 'agent-name.missing', 'receivers[0].name');
    throwsInvalid(() => decodeAclJson('{"performative":"inform","X-":"v"}'), 'user-param.key-invalid');
    for (const notAnObject of ['[]', '1', 'null', '"inform"']) throwsInvalid(() => decodeAclJson(notAnObject), 'wrong-type', 'message');
  });

  it('applies limits while reading, before building large values', () => {
    const limits = aclLimits({ maxReceivers: 1, maxUserParams: 1 });
    throwsInvalid(() => decodeAclJson('{"performative":"inform","receiver":[{"name":"a"},{"name":"b"}]}', limits), 'receivers.too-many');
    throwsInvalid(() => decodeAclJson('{"performative":"inform","X-a":"1","X-b":"2"}', limits), 'user-params.too-many');
    throwsInvalid(
      () => decodeAclJson('{"performative":"inform","sender":{"name":"a","X-a":"1","X-b":"2"}}', limits),
      'user-params.too-many',
    );
    let deep = '{"name":"leaf"}';
    for (let i = 0; i < 10_000; i++) deep = `{"name":"x","resolvers":[${deep}]}`;
    throwsInvalid(() => decodeAclJson(`{"performative":"inform","sender":${deep}}`), 'resolvers.too-deep');
  });

  it('rejects oversized text before parsing it', () => {
    const limits = aclLimits({ maxMessageBytes: 100, maxContentBytes: 100 });
    throwsInvalid(() => decodeAclJson(`{${' '.repeat(200)}`, limits), 'message.too-large', 'message');
    throwsInvalid(() => decodeAclJson(`{"performative":"inform","content":"${'é'.repeat(45)}"}`, limits), 'message.too-large');
  });

  it('keeps the last of duplicate keys, as JSON.parse does', () => {
    assert.equal(decodeAclJson('{"performative":"inform","content":"a","content":"b"}').content, 'b');
  });

  it('reports malformed JSON with its position', () => {
    throwsMalformed(() => decodeAclJson('{"performative":"inform",}'), 'json.syntax', { line: 1, column: 26 });
    throwsMalformed(() => decodeAclJson('{"performative":\n  inform}'), 'json.syntax', { line: 2, column: 3 });
    throwsMalformed(() => decodeAclJson('{"content":"abc'), 'json.syntax', { line: 1, column: 12 });
    throwsMalformed(() => decodeAclJson('{"a":1} x'), 'json.syntax', { line: 1, column: 9 });
    throwsMalformed(() => decodeAclJson(''), 'json.syntax', { line: 1, column: 1 });
    const e = throwsMalformed(() => decodeAclJson('{"content":"a\u0001"}'), 'json.syntax');
    assert.equal(e.position, 13);
    assert.deepEqual(e.context, { format: 'json', rule: 'json.syntax', position: 13, line: 1, column: 14 });
  });

  it('encoder refuses messages it would write wrongly', () => {
    throwsInvalid(() => encodeAclJson({ performative: 'inform', receivers: [], userParams: { trace: 'x' } }), 'user-param.key-prefix');
    throwsInvalid(() => encodeAclJson({ performative: 'inform', receivers: [], replyBy: -5 }), 'reply-by.out-of-range');
    throwsInvalid(() => encodeAclJson({ performative: 'Inform' as never, receivers: [] }), 'performative.unknown');
  });
});

describe('JSON syntax error locator', () => {
  it('finds an error exactly when JSON.parse fails', () => {
    const jsonish = fc.oneof(
      fc.json(),
      fc
        .json()
        .chain((j) =>
          fc
            .tuple(fc.nat(j.length), fc.constantFrom('', '"', ',', '}', ']', '\\', ':', 'x', '\u0001', '-', '.', 'e'))
            .map(([at, insert]) => j.slice(0, at) + insert + j.slice(at + 1)),
        ),
      fc.string({ unit: 'binary-ascii', maxLength: 20 }),
    );
    fc.assert(
      fc.property(jsonish, (text) => {
        let parses = true;
        try {
          JSON.parse(text);
        } catch {
          parses = false;
        }
        const found = locateJsonSyntaxError(text);
        assert.equal(found === undefined, parses, `${JSON.stringify(text)} -> ${JSON.stringify(found)}`);
        if (found) assert.ok(found.position >= 0 && found.position <= text.length);
      }),
      { numRuns: 3000 },
    );
  });

  it('survives nesting far deeper than the call stack', () => {
    assert.equal(locateJsonSyntaxError('['.repeat(1_000_000) + ']'.repeat(1_000_000)), undefined);
    assert.equal(locateJsonSyntaxError('['.repeat(1_000_000))?.position, 1_000_000);
  });
});
