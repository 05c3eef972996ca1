/**
 * DSSE encoding (signing/dsse.ts) and the agent statement (signing/agent-statement.ts): PAE against
 * the example in the DSSE protocol document, envelopes round-tripped and refused field by field.
 */
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import { envelope, pae, parseEnvelope, SignatureFormatError } from '../../src/signing/dsse.js';
import {
  AGENT_PREDICATE_TYPE,
  parseStatement,
  statementPayload,
  STATEMENT_PAYLOAD_TYPE,
  STATEMENT_TYPE,
} from '../../src/signing/agent-statement.js';

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const SHA = 'a'.repeat(64);

describe('DSSE pre-authentication encoding', () => {
  it("matches the protocol document's example byte for byte", () => {
    // secure-systems-lab/dsse protocol.md, "Test vectors": PAE of this type and body.
    assert.equal(
      text(pae('http://example.com/HelloWorld', Buffer.from('hello world'))),
      'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
    );
  });

  it('counts bytes, not characters, so a multi-byte type or body cannot shift the boundary', () => {
    assert.equal(text(pae('t/é', Buffer.from('😀'))), 'DSSEv1 4 t/é 4 😀');
    assert.equal(text(pae('x', new Uint8Array())), 'DSSEv1 1 x 0 ');
  });
});

describe('DSSE envelopes', () => {
  it("round-trip payload, type and signatures through JSON with the spec's field names", () => {
    const e = envelope('application/x', Buffer.from('{"a":1}'), [{ keyid: 'k1', sig: new Uint8Array([1, 2, 3]) }]);
    assert.deepEqual(Object.keys(e).sort(), ['payload', 'payloadType', 'signatures']);
    assert.deepEqual(e.signatures, [{ keyid: 'k1', sig: 'AQID' }]);
    const back = parseEnvelope(JSON.stringify(e));
    assert.equal(back.payloadType, 'application/x');
    assert.equal(text(back.payload), '{"a":1}');
    assert.deepEqual([...back.signatures[0]!.sig], [1, 2, 3]);
  });

  it('accepts URL-safe base64 too, as the spec asks of decoders', () => {
    const back = parseEnvelope(JSON.stringify({ payloadType: 't', payload: '-_8', signatures: [{ keyid: '', sig: '-_8' }] }));
    assert.deepEqual([...back.payload], [0xfb, 0xff]);
  });

  it('names the field that is wrong', () => {
    const cases: [string, string][] = [
      ['not json', 'envelope'],
      ['[]', 'envelope'],
      [JSON.stringify({ payload: 'AA==', signatures: [{ keyid: 'k', sig: 'AA==' }] }), 'payloadType'],
      [JSON.stringify({ payloadType: 't', payload: 5, signatures: [{ keyid: 'k', sig: 'AA==' }] }), 'payload'],
      [JSON.stringify({ payloadType: 't', payload: 'AA==', signatures: [] }), 'signatures'],
      [JSON.stringify({ payloadType: 't', payload: 'AA==', signatures: [{ sig: 'AA==' }] }), 'signatures[0].keyid'],
      [JSON.stringify({ payloadType: 't', payload: 'AA==', signatures: [{ keyid: 'k', sig: 'not base64!' }] }), 'signatures[0].sig'],
      ['x'.repeat(70_000), 'envelope'],
    ];
    for (const [json, field] of cases) {
      assert.throws(
        () => parseEnvelope(json),
        (err: unknown) => err instanceof SignatureFormatError && err.context.field === field && err.kind === 'invalid-argument',
        json.slice(0, 60),
      );
    }
  });
});

describe('the agent statement', () => {
  it('is an in-toto Statement v1 with the component as its one subject', () => {
    const payload = statementPayload({ sha256: SHA, name: 'echo', version: '1.2.0', language: 'assemblyscript' });
    assert.deepEqual(JSON.parse(text(payload)), {
      _type: STATEMENT_TYPE,
      subject: [{ name: 'echo.wasm', digest: { sha256: SHA } }],
      predicateType: AGENT_PREDICATE_TYPE,
      predicate: { name: 'echo', version: '1.2.0', language: 'assemblyscript' },
    });
    assert.deepEqual(parseStatement(STATEMENT_PAYLOAD_TYPE, payload), {
      sha256: SHA,
      name: 'echo',
      version: '1.2.0',
      language: 'assemblyscript',
    });
    assert.deepEqual(parseStatement(STATEMENT_PAYLOAD_TYPE, statementPayload({ sha256: SHA, name: 'echo' })), {
      sha256: SHA,
      name: 'echo',
    });
  });

  it('refuses other payload types, other predicates, a bad digest and missing names', () => {
    const good = JSON.parse(text(statementPayload({ sha256: SHA, name: 'echo' }))) as Record<string, unknown>;
    const bytes = (v: unknown): Uint8Array => Buffer.from(JSON.stringify(v));
    const field =
      (f: string) =>
      (err: unknown): boolean =>
        err instanceof SignatureFormatError && err.context.field === f;
    assert.throws(() => parseStatement('text/plain', bytes(good)), field('payloadType'));
    assert.throws(() => parseStatement(STATEMENT_PAYLOAD_TYPE, bytes({ ...good, predicateType: 'x' })), field('predicateType'));
    assert.throws(
      () => parseStatement(STATEMENT_PAYLOAD_TYPE, bytes({ ...good, subject: [{ name: 'e', digest: { sha256: 'ABC' } }] })),
      field('subject[0].digest.sha256'),
    );
    assert.throws(() => parseStatement(STATEMENT_PAYLOAD_TYPE, bytes({ ...good, predicate: {} })), field('predicate.name'));
    assert.throws(() => statementPayload({ sha256: 'short', name: 'e' }), field('subject.digest.sha256'));
  });
});
