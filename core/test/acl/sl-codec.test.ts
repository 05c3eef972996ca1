import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aclLimits, decodeAclString, encodeAclString, type AclMessage } from '../../src/acl/index.js';
import { throwsInvalid, throwsMalformed } from './helpers.js';

const decode = (text: string, lenient = false): AclMessage => decodeAclString(text, { lenient, now: 1_000_000_000_000 });

describe('FIPA string codec: reading', () => {
  it('unescapes only \\" in strings, leaving every other backslash alone (JADE style)', () => {
    // JADE wrote the SL string "\"x\"" (already escaped once) by escaping only the quotes.
    assert.equal(decode(String.raw`(inform :content "(a :name \"\\"x\\"\")")`).content, String.raw`(a :name "\"x\"")`);
    assert.equal(decode(String.raw`(inform :content "C:\temp\new \\ end")`).content, String.raw`C:\temp\new \\ end`);
    assert.equal(decode(String.raw`(inform :content "")`).content, '');
    assert.equal(decode(String.raw`(inform :content "\"")`).content, '"');
  });

  it('keeps raw newlines, tabs and unicode inside strings', () => {
    assert.equal(decode('(inform :content "a\n\tb ✓ 🎉")').content, 'a\n\tb ✓ 🎉');
  });

  it('reads byte-length strings counting UTF-8 bytes, immediately followed by the next token', () => {
    const m = decode('(INFORM :content  "TESTCONTENT":conversation-id #6"convid)');
    assert.equal(m.conversationId, 'convid');
    assert.equal(m.content, 'TESTCONTENT');
    assert.equal(decode('(inform :content #4"a")b :language x)').content, 'a")b');
    assert.equal(decode('(inform :content #6"é🎉)').content, 'é🎉');
    assert.equal(decode('(inform :content #0")').content, '');
    throwsMalformed(() => decode('(inform :content #1"é)'), 'string.bad-length');
    throwsMalformed(() => decode('(inform :content #3"🎉)'), 'string.bad-length');
    throwsMalformed(() => decode('(inform :content #50"abc)'), 'string.unterminated');
    throwsMalformed(() => decode('(inform :content #9999999999"abc)'), 'string.bad-length');
  });

  it('is case-insensitive for the performative, keywords, set, sequence and agent-identifier', () => {
    const m = decode(
      '(Query-REF :SENDER ( AGENT-IDENTIFIER :NAME a@p :ADDRESSES (SEQUENCE http://x ) ) :Receiver (SET (agent-identifier :name b)) :reply-With r1)',
    );
    assert.equal(m.performative, 'query-ref');
    assert.deepEqual(m.sender, { name: 'a@p', addresses: ['http://x'] });
    assert.deepEqual(m.receivers, [{ name: 'b' }]);
    assert.equal(m.replyWith, 'r1');
  });

  it('keeps expression values as written: numbers, dates, parenthesised expressions', () => {
    assert.equal(decode('(proxy :reply-with +.99E-23)').replyWith, '+.99E-23');
    assert.equal(decode('(proxy :reply-with 0x23AF)').replyWith, '0x23AF');
    assert.equal(decode('(proxy :reply-with 20231114T221320000Z)').replyWith, '20231114T221320000Z');
    assert.equal(decode('(inform\t:content "x":encoding(custom_encoding))').encoding, '(custom_encoding)');
    assert.equal(decode('(inform :ontology (a "b)" (c #2"))) ) )').ontology, '(a "b)" (c #2"))) )');
    assert.equal(decode('(inform :X-note "two words")').userParams?.['X-note'], 'two words');
  });

  it('keeps user parameter names as written, on messages and agent identifiers', () => {
    const m = decode('(inform :sender (agent-identifier :name a :x-Class Foo :X-n 1) :x-Trace abc)');
    assert.deepEqual(m.sender, { name: 'a', userParams: { 'x-Class': 'Foo', 'X-n': '1' } });
    assert.deepEqual(m.userParams, { 'x-Trace': 'abc' });
  });

  it('reads agent names and addresses given as quoted strings, and slots in any order', () => {
    const m = decode('(cancel :sender (agent-identifier :addresses (sequence "10.0.0.1:7778") :name "31dcff23-3a66"))');
    assert.deepEqual(m.sender, { name: '31dcff23-3a66', addresses: ['10.0.0.1:7778'] });
  });

  it('reads resolvers and empty sequences and sets', () => {
    const m = decode(
      '(inform :receiver (set (agent-identifier :name z :resolvers (sequence (agent-identifier :name p :addresses (sequence))))) :reply-to (set))',
    );
    assert.deepEqual(m.receivers, [{ name: 'z', resolvers: [{ name: 'p', addresses: [] }] }]);
    assert.deepEqual(m.replyTo, []);
    const deep = `${'(agent-identifier :name a :resolvers (sequence '.repeat(5)}(agent-identifier :name leaf)${')))'.repeat(5)}`;
    throwsInvalid(() => decode(`(inform :sender ${deep})`), 'resolvers.too-deep');
  });

  it('reads reply-by as UTC, with the configured local offset when there is no Z, and relative to now', () => {
    assert.equal(decode('(inform :reply-by 20231114T221320000Z)').replyBy, 1_700_000_000_000);
    assert.equal(
      decodeAclString('(inform :reply-by 20231114T221320000)', { localTimeOffsetMinutes: -60 }).replyBy,
      1_700_000_000_000 + 3_600_000,
    );
    assert.equal(decode('(inform :reply-by +00000000T000100000)').replyBy, 1_000_000_000_000 + 60_000);
    throwsMalformed(() => decode('(inform\n :reply-by 2024-12-20T18:00:00Z)'), 'reply-by.invalid', { line: 2, column: 12 });
    throwsMalformed(() => decode('(inform :reply-by "20231114T221320000Z")'), 'reply-by.invalid');
  });

  it('rejects duplicate parameters and slots, whatever their case', () => {
    throwsMalformed(() => decode('(inform :content "a" :CONTENT "b")'), 'param.duplicate');
    throwsMalformed(() => decode('(inform :X-a 1 :x-A 2)'), 'param.duplicate');
    throwsMalformed(() => decode('(inform :sender (agent-identifier :name a :name b))'), 'agent-id.duplicate-slot');
  });

  it('reports structural errors with rule and position', () => {
    throwsMalformed(() => decode('inform'), 'message.expected-open', { line: 1, column: 1 });
    throwsMalformed(() => decode('()'), 'performative.missing');
    throwsMalformed(() => decode('(shout)'), 'performative.unknown', { line: 1, column: 2 });
    throwsMalformed(() => decode('(inform'), 'message.unterminated');
    throwsMalformed(() => decode('(inform) x'), 'message.trailing-data', { line: 1, column: 10 });
    throwsMalformed(() => decode('(inform :content "abc'), 'string.unterminated', { line: 1, column: 18 });
    throwsMalformed(() => decode('(inform :language (a (b)'), 'expression.unterminated');
    throwsMalformed(() => decode('(inform :language)'), 'param.missing-value');
    throwsMalformed(() => decode('(inform content "x")'), 'param.expected-keyword');
    throwsMalformed(() => decode('(inform :foo bar)'), 'param.unknown');
    throwsMalformed(() => decode('(inform :X- bar)'), 'param.unknown');
    throwsMalformed(() => decode('(inform :language 1abc)'), 'expression.bad-token');
    throwsMalformed(() => decode('(inform :protocol "fipa-request")'), 'protocol.not-a-word');
    throwsMalformed(() => decode('(inform :receiver (sequence))'), 'agent-set.expected-set');
    throwsMalformed(() => decode('(inform :receiver (set (agent-identifier :addresses (sequence))))'), 'agent-name.missing');
    throwsMalformed(() => decode('(inform :sender (agent-identifier :name a :nick b))'), 'agent-id.unknown-slot');
    throwsMalformed(() => decode('(inform \u0001)'), 'lex.control-character', { line: 1, column: 9 });
    const e = throwsMalformed(() => decode('(request\n  :sender (agent-identifier :name 9lives))'), 'agent-name.invalid', {
      line: 2,
      column: 35,
    });
    assert.match(e.describe(), /line 2, column 35/);
  });

  it('checks model rules and limits after parsing', () => {
    throwsInvalid(() => decode('(inform :sender (agent-identifier :name "a b"))'), 'agent-name.invalid', 'sender.name');
    throwsInvalid(() => decode(`(inform :language ${'x'.repeat(9000)})`), 'field.too-long', 'language');
    const limits = aclLimits({ maxReceivers: 1, maxUserParams: 1, maxMessageBytes: 200, maxContentBytes: 100 });
    throwsInvalid(
      () => decodeAclString('(inform :receiver (set (agent-identifier :name a) (agent-identifier :name b)))', { limits }),
      'receivers.too-many',
      'receivers',
    );
    throwsInvalid(() => decodeAclString('(inform :X-a 1 :X-b 2)', { limits }), 'user-params.too-many');
    throwsInvalid(() => decodeAclString(`(inform :content "${'x'.repeat(300)}")`, { limits }), 'message.too-large');
  });

  it('lenient mode: @words, bare-word content and quoted protocol; strict mode refuses them', () => {
    const text = '(inform :content hello :protocol "fipa-request" :X-v @home)';
    throwsMalformed(() => decode(text), 'content.not-a-string');
    const m = decode(text, true);
    assert.equal(m.content, 'hello');
    assert.equal(m.protocol, 'fipa-request');
    assert.equal(m.userParams?.['X-v'], '@home');
    throwsMalformed(() => decode('(inform:sender(agent-identifier:name a))', true), 'performative.unknown');
  });
});

describe('FIPA string codec: writing', () => {
  it('writes one line in the SC00061 layout', () => {
    const msg: AclMessage = {
      performative: 'inform',
      sender: { name: 'a@p', addresses: ['http://h:7778/acc'] },
      receivers: [{ name: 'b@p' }, { name: '31dcff23' }],
      content: 'say "hi"',
      language: 'fipa-sl',
      protocol: 'fipa-request',
      conversationId: 'two words',
      replyBy: 1_700_000_000_000,
      userParams: { 'X-empty': '', 'X-colon': ':x' },
    };
    assert.equal(
      encodeAclString(msg),
      '(inform :sender (agent-identifier :name a@p :addresses (sequence http://h:7778/acc))' +
        ' :receiver (set (agent-identifier :name b@p) (agent-identifier :name "31dcff23"))' +
        ' :content "say \\"hi\\"" :language fipa-sl :protocol fipa-request :conversation-id "two words"' +
        ' :reply-by 20231114T221320000Z :X-empty "" :X-colon ":x")',
    );
    assert.deepEqual(decode(encodeAclString(msg)), msg);
  });

  it('does not double backslashes, and writes a string ending in a backslash as a byte-length string', () => {
    assert.equal(encodeAclString({ performative: 'inform', receivers: [], content: 'a\\"b\\c' }), '(inform :content "a\\\\"b\\c")');
    const trailing: AclMessage = { performative: 'inform', receivers: [], content: 'dir C:\\é\\' };
    assert.equal(encodeAclString(trailing), '(inform :content #10"dir C:\\é\\)');
    assert.deepEqual(decode(encodeAclString(trailing)), trailing);
  });

  it('quotes values JADE would not read back as bare words', () => {
    const text = encodeAclString({
      performative: 'inform',
      receivers: [],
      language: 'sl-ü',
      ontology: '(x)',
      encoding: '-1',
      replyWith: '#1',
      inReplyTo: '@a',
    });
    assert.equal(text, '(inform :language "sl-ü" :encoding "-1" :ontology "(x)" :reply-with "#1" :in-reply-to "@a")');
  });

  it('preserves empty lists it was given', () => {
    const msg: AclMessage = { performative: 'agree', sender: { name: 'a', addresses: [], resolvers: [] }, receivers: [], replyTo: [] };
    assert.equal(
      encodeAclString(msg),
      '(agree :sender (agent-identifier :name a :addresses (sequence) :resolvers (sequence)) :reply-to (set))',
    );
    assert.deepEqual(decode(encodeAclString(msg)), msg);
  });

  it('refuses messages it cannot write faithfully', () => {
    throwsInvalid(() => encodeAclString({ performative: 'inform', receivers: [], protocol: 'two words' }), 'protocol.not-a-word');
    throwsInvalid(() => encodeAclString({ performative: 'inform', receivers: [], userParams: { 'X-a b': 'v' } }), 'user-param.key-invalid');
    throwsInvalid(() => encodeAclString({ performative: 'inform', receivers: [], replyBy: 2 ** 60 }), 'reply-by.out-of-range');
  });
});
