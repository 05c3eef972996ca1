/**
 * Declared ontologies in XML (decision 2190): core's checks of an `$xmlSchema` declaration, the
 * deploy's compile by libxml2, and the OntologyGate judging XML content against it — a valid
 * document passes, a breaking one is refused with libxml2's reason, and hostile content (a DTD, an
 * entity bomb, an external entity, text that is no XML) is refused without being expanded or read.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkOntologies, type AclMessage, type OntologySchemas } from '@caxton/core';
import type { ProtocolGate } from '../../src/bus/port.js';
import { checkDeclaredOntologies, OntologyGate } from '../../src/ontology/index.js';

const ORDER_XSD = `<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="order">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="item" type="xs:string"/>
        <xs:element name="qty" type="xs:positiveInteger"/>
      </xs:sequence>
      <xs:attribute name="id" type="xs:string" use="required"/>
    </xs:complexType>
  </xs:element>
</xs:schema>`;
const declared: OntologySchemas = { orders: { $xmlSchema: ORDER_XSD } };

const passing: ProtocolGate = { observe: () => ({ kind: 'deliver' }), expire: () => [], nextDeadline: () => undefined };
const gate = new OntologyGate(passing, { platform: 'caxton', ontologiesOf: (name) => (name === 'shop' ? declared : undefined) });

function verdict(content: string, language?: string): string | undefined {
  const msg = {
    performative: 'request',
    sender: { name: 'buyer@caxton' },
    receivers: [{ name: 'shop@caxton' }],
    ontology: 'orders',
    content,
    ...(language !== undefined ? { language } : {}),
  } as AclMessage;
  const v = gate.observe(msg, 0);
  return v.kind === 'reject' ? v.reason : undefined;
}

describe('XML Schema ontologies (decision 2190)', () => {
  it('core takes {"$xmlSchema": text} alone and refuses what would reach outside the file or expand', () => {
    assert.deepEqual(checkOntologies(declared), declared);
    const refused = (schema: unknown, why: RegExp) =>
      assert.throws(
        () => checkOntologies({ orders: schema }, 'header.ontologies'),
        (e: Error) => {
          assert.match(e.message, why);
          return true;
        },
      );
    refused({ $xmlSchema: ORDER_XSD, type: 'object' }, /has keys beside \$xmlSchema/);
    refused({ $xmlSchema: 42 }, /is not a text/);
    refused({ $xmlSchema: '  ' }, /is not a text/);
    refused({ $xmlSchema: `<!DOCTYPE x [<!ENTITY a "b">]>${ORDER_XSD}` }, /holds a DTD/);
    refused(
      {
        $xmlSchema: ORDER_XSD.replace(
          '<xs:element name="order">',
          '<xs:include schemaLocation="http://x.example/o.xsd"/><xs:element name="order">',
        ),
      },
      /refers to another document \(schemaLocation\)/,
    );
    // A schema in UTF-16 (every character after a NUL) would hide a DTD or a schemaLocation from the checks.
    refused({ $xmlSchema: [...'<!DOCTYPE x><xs:schema/>'].map((c) => `\u0000${c}`).join('') }, /holds characters XML does not allow/);
    // A pattern backtracks in libxml2 as in Node: refused as JSON Schema's pattern is.
    for (const facet of ['<xs:pattern value="(a|aa)*b"/>', '<xsd:pattern value="a+"/>', '<pattern value="a+"/>'])
      refused({ $xmlSchema: ORDER_XSD.replace('<xs:sequence>', `<xs:sequence><!-- ${facet} -->`) }, /uses a pattern facet \(xs:pattern\)/);
  });

  it("the deploy compiles it with libxml2, and refuses one that does not compile with libxml2's reason", () => {
    checkDeclaredOntologies(declared, 'header.ontologies');
    assert.throws(
      () =>
        checkDeclaredOntologies(
          { orders: { $xmlSchema: '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element/></xs:schema>' } },
          'header.ontologies',
        ),
      /header\.ontologies\.orders: the XML Schema of ontology orders does not compile: .+/,
    );
    assert.throws(() => checkDeclaredOntologies({ orders: { $xmlSchema: '<not-closed>' } }, 'header.ontologies'), /does not compile/);
  });

  it('passes a document the schema accepts, with language xml or none', () => {
    assert.equal(verdict('<order id="o1"><item>tea</item><qty>2</qty></order>', 'xml'), undefined);
    assert.equal(verdict('<order id="o2"><item>tea</item><qty>1</qty></order>'), undefined);
    assert.equal(verdict('<order id="o3"><item>tea</item><qty>1</qty></order>', 'XML'), undefined);
    assert.equal(verdict('<order id="o4"><item>tea</item><qty>1</qty></order>', 'application/xml'), undefined);
  });

  it("refuses a breaking document with libxml2's reason, and a message that says another language", () => {
    assert.match(
      verdict('<order id="o1"><item>tea</item><qty>0</qty></order>') ?? '',
      /^shop does not understand the content as ontology "orders": the content does not match the schema: Element 'qty': '0' is not a valid value of the atomic type 'xs:positiveInteger'/,
    );
    assert.match(verdict('<order><item>tea</item><qty>1</qty></order>') ?? '', /The attribute 'id' is required but missing/);
    assert.match(
      verdict('<order id="o1"><item>tea</item><qty>1</qty></order>', 'json') ?? '',
      /takes ontology "orders" as XML, and the message's language is "json"/,
    );
    assert.match(verdict('{"item":"tea"}') ?? '', /the content is not XML/);
    assert.match(verdict('') ?? '', /the content is not XML/);
  });

  it('refuses hostile content without expanding or reading anything: DTDs, entity bombs, external entities', () => {
    const bomb =
      '<!DOCTYPE order [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><order id="x"><item>&c;</item><qty>1</qty></order>';
    assert.match(verdict(bomb) ?? '', /the content holds a DTD, which is refused/);
    const xxe = '<!DOCTYPE order [<!ENTITY x SYSTEM "file:///etc/passwd">]><order id="x"><item>&x;</item><qty>1</qty></order>';
    assert.match(verdict(xxe) ?? '', /holds a DTD/);
    // An entity used without a DTD declaring it is an undefined entity: not XML.
    assert.match(verdict('<order id="x"><item>&x;</item><qty>1</qty></order>') ?? '', /the content is not XML/);
    // UTF-16 or UCS-4 by NUL bytes (libxml2 guesses the encoding from the first bytes): refused before the parse.
    const utf16 = [...'<!DOCTYPE order [<!ELEMENT order (#PCDATA)>]><order>x</order>'].map((c) => `\u0000${c}`).join('');
    assert.match(verdict(utf16) ?? '', /holds characters XML does not allow/);
    assert.match(
      verdict('\u0000\u0000\u0000<order id="x"><item>t</item><qty>1</qty></order>') ?? '',
      /holds characters XML does not allow/,
    );
    // Deep or long documents: past the markup bound, refused before libxml2 spends anything on them.
    const deep = `${'<a>'.repeat(20_000)}${'</a>'.repeat(20_000)}`;
    assert.match(verdict(deep) ?? '', /holds more than 256 tags/);
    const wrongMany = `<order id="x">${'<item>t</item>'.repeat(200)}</order>`;
    assert.match(verdict(wrongMany) ?? '', /holds more than 256 tags/);
    // At the bound, a document full of wrong elements is still judged: the first error is the reason.
    const atBound = `<order id="x"><item>t</item>${'<qty>0</qty>'.repeat(126)}</order>`;
    assert.match(verdict(atBound) ?? '', /the content does not match the schema: Element 'qty'/);
  });
});
