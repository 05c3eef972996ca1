/** Property-based round trips of random valid messages through both codecs. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeAclJson, decodeAclString, encodeAclJson, encodeAclString, validateAclMessage } from '../../src/acl/index.js';
import { SlLexer, Tok } from '../../src/acl/sl-lexer.js';
import { aclMessage } from './arbitraries.js';

const runs = { numRuns: 1500 };

// JADE's ACLParser tokens (IGNORE_CASE): WORD, DATETIME, and the parameter keywords (FIPA ones and
// USERDEFINEDPARAM). Anything else written bare would not read back in JADE.
const JADE_WORD = /^[!"$-',./:-~*+][!-'*-~]*$/;
const JADE_DATETIME = /^[+-]?\d{8}[Tt]\d{9}[A-Za-z]?$/;
const JADE_KEYWORD =
  /^:(?:sender|receiver|reply-to|content|language|encoding|ontology|protocol|conversation-id|reply-with|in-reply-to|reply-by|name|addresses|resolvers|[Xx]-[^\u0000-\u001f ()]+)$/;

describe('property: codecs round-trip any valid message', () => {
  it('generated messages are valid (the generator is honest)', () => {
    fc.assert(
      fc.property(aclMessage, (msg) => validateAclMessage(msg)),
      runs,
    );
  });

  it('JSON: decode(encode(m)) equals m', () => {
    fc.assert(
      fc.property(aclMessage, (msg) => {
        assert.deepStrictEqual(decodeAclJson(encodeAclJson(msg)), msg);
      }),
      runs,
    );
  });

  it('FIPA string: decode(encode(m)) equals m, in strict and lenient mode', () => {
    fc.assert(
      fc.property(aclMessage, (msg) => {
        const text = encodeAclString(msg);
        assert.deepStrictEqual(decodeAclString(text), msg);
        assert.deepStrictEqual(decodeAclString(text, { lenient: true }), msg);
      }),
      runs,
    );
  });

  it("FIPA string: every bare token written is one JADE's lexer reads as a word or a date", () => {
    fc.assert(
      fc.property(aclMessage, (msg) => {
        const lex = new SlLexer(encodeAclString(msg));
        for (lex.next(); lex.tok() !== Tok.End; lex.next()) {
          if (lex.tok() === Tok.Atom) {
            const v = lex.value;
            const ok = v.startsWith(':') ? JADE_KEYWORD.test(v) : JADE_WORD.test(v) || JADE_DATETIME.test(v);
            assert.ok(ok, `JADE would not read ${JSON.stringify(v)}`);
          }
        }
      }),
      runs,
    );
  });

  it('both codecs agree: string -> model -> JSON -> model is the identity too', () => {
    fc.assert(
      fc.property(aclMessage, (msg) => {
        assert.deepStrictEqual(decodeAclJson(encodeAclJson(decodeAclString(encodeAclString(msg)))), msg);
      }),
      { numRuns: 500 },
    );
  });
});
