/**
 * The FIPA HTTP MTP codecs: a post as JADE 4.6.5 wrote it (captured from a real JADE platform,
 * `jade.mtp.http.MessageTransportProtocol`), round trips, and the refusals a hostile peer meets.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeAclString,
  encodeMtpEnvelope,
  encodeMultipart,
  envelopeDate,
  MtpFormatError,
  multipartBoundary,
  parseMtpEnvelope,
  parseMultipart,
  parseXml,
  STRING_REPRESENTATION,
} from '../../src/index.js';

const JADE_CONTENT_TYPE = 'multipart/mixed ; boundary="9415c896762d6d52a44aab46cd43a12"';
const JADE_BODY = [
  'This is not part of the MIME multipart encoded message.',
  '--9415c896762d6d52a44aab46cd43a12',
  'Content-Type: application/xml',
  '',
  '<?xml version="1.0"?>',
  '<envelope><params index="1"><to><agent-identifier><name>echo@caxton</name><addresses><url>http://127.0.0.1:17781/acc/s3cret</url></addresses></agent-identifier></to><from><agent-identifier><name>p@jadep</name><addresses><url>http://127.0.0.1:17782/acc</url></addresses></agent-identifier></from><acl-representation>fipa.acl.rep.string.std</acl-representation><payload-length>313</payload-length><date>20261124Z061848405</date><intended-receiver><agent-identifier><name>echo@caxton</name><addresses><url>http://127.0.0.1:17781/acc/s3cret</url></addresses></agent-identifier></intended-receiver></params></envelope>',
  '--9415c896762d6d52a44aab46cd43a12',
  'Content-Type: application/text',
  '',
  '(REQUEST',
  ' :sender  ( agent-identifier :name p@jadep  :addresses (sequence http://127.0.0.1:17782/acc ))',
  ' :receiver  (set ( agent-identifier :name echo@caxton  :addresses (sequence http://127.0.0.1:17781/acc/s3cret )) )',
  ' :content  "hello \\"jade\\"" ',
  ' :reply-with  r1  :protocol  fipa-request',
  ' :conversation-id  c1 )',
  '--9415c896762d6d52a44aab46cd43a12--',
  '',
].join('\r\n');

function rule(fn: () => unknown, expected: string): void {
  assert.throws(
    fn,
    (err: unknown) => err instanceof MtpFormatError && err.rule === expected && err.code === 'mtp.malformed' && err.hint !== undefined,
  );
}

describe('HTTP MTP codecs', () => {
  it("reads JADE's post: the envelope, then the ACL message in the string encoding", () => {
    const parts = parseMultipart(Buffer.from(JADE_BODY, 'utf8'), multipartBoundary(JADE_CONTENT_TYPE));
    assert.equal(parts.length, 2);
    assert.equal(parts[0]!.headers['content-type'], 'application/xml');
    const env = parseMtpEnvelope(parts[0]!.body.toString('utf8'));
    assert.deepEqual(env.to, [{ name: 'echo@caxton', addresses: ['http://127.0.0.1:17781/acc/s3cret'] }]);
    assert.deepEqual(env.from, { name: 'p@jadep', addresses: ['http://127.0.0.1:17782/acc'] });
    assert.equal(env.aclRepresentation, STRING_REPRESENTATION);
    assert.equal(env.payloadLength, 313);
    assert.equal(env.intendedReceivers?.[0]?.name, 'echo@caxton');
    const msg = decodeAclString(parts[1]!.body.toString('utf8'));
    assert.equal(msg.performative, 'request');
    assert.equal(msg.content, 'hello "jade"');
    assert.deepEqual(msg.sender, { name: 'p@jadep', addresses: ['http://127.0.0.1:17782/acc'] });
  });

  it('writes what it reads: envelope with a received stamp, multipart with two parts', () => {
    const env = {
      to: [{ name: 'pong@jadep', addresses: ['http://127.0.0.1:7779/acc'] }],
      from: { name: 'echo@caxton', addresses: ['http://127.0.0.1:7780/acc/k<&>'] },
      aclRepresentation: STRING_REPRESENTATION,
      payloadLength: 12,
      date: envelopeDate(Date.UTC(2026, 10, 24, 6, 18, 48, 405)),
      intendedReceivers: [{ name: 'pong@jadep', addresses: ['http://127.0.0.1:7779/acc'] }],
      received: [{ by: 'http://127.0.0.1:7780/acc', date: '20261124Z061848405', id: 'm-1' }],
    };
    assert.equal(env.date, '20261124Z061848405');
    const xml = encodeMtpEnvelope(env);
    assert.deepEqual(parseMtpEnvelope(xml), env);
    const body = encodeMultipart(
      [
        { contentType: 'application/xml', body: Buffer.from(xml) },
        { contentType: 'application/text', body: Buffer.from('(inform )') },
      ],
      'b0undary',
    );
    const parts = parseMultipart(body, 'b0undary');
    assert.deepEqual(
      parts.map((p) => [p.headers['content-type'], p.body.toString()]),
      [
        ['application/xml', xml],
        ['application/text', '(inform )'],
      ],
    );
  });

  it('merges params blocks in index order, later fields winning, stamps adding up', () => {
    const xml =
      '<envelope><params index="2"><to><agent-identifier><name>b@x</name></agent-identifier></to><received><received-by value="u2"/><received-date value="d2"/></received></params>' +
      '<params index="1"><to><agent-identifier><name>a@x</name></agent-identifier></to><acl-representation>fipa.acl.rep.string.std</acl-representation><received><received-by value="u1"/><received-date value="d1"/></received></params></envelope>';
    const env = parseMtpEnvelope(xml);
    assert.deepEqual(env.to, [{ name: 'b@x' }]);
    assert.deepEqual(
      env.received.map((s) => s.by),
      ['u1', 'u2'],
    );
  });

  it('refuses DTDs, entities, CDATA, processing instructions, deep or wide documents', () => {
    rule(() => parseXml('<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x "y">]><envelope/>'), 'xml.dtd');
    rule(() => parseXml('<envelope>&x;</envelope>'), 'xml.entity');
    rule(() => parseXml('<envelope>a & b</envelope>'), 'xml.entity');
    rule(() => parseXml('<envelope><![CDATA[x]]></envelope>'), 'xml.cdata');
    rule(() => parseXml('<envelope><?php x ?></envelope>'), 'xml.pi');
    rule(() => parseXml('<?xml version="1.0" encoding="UTF-16"?><e/>'), 'xml.encoding');
    rule(() => parseXml(`${'<a>'.repeat(40)}${'</a>'.repeat(40)}`), 'xml.depth');
    rule(() => parseXml(`<a>${'<b/>'.repeat(5000)}</a>`), 'xml.elements');
    rule(() => parseXml('<a></b>'), 'xml.syntax');
    rule(() => parseXml('<a/><b/>'), 'xml.syntax');
    assert.equal(parseXml('<a x="&lt;&#65;&#x42;">&amp;</a>').attributes['x'], '<AB');
  });

  it('refuses envelopes without receivers or representation, and multipart bodies that are not two delimited parts', () => {
    rule(
      () => parseMtpEnvelope('<envelope><params index="1"><acl-representation>x</acl-representation></params></envelope>'),
      'envelope.to',
    );
    rule(
      () =>
        parseMtpEnvelope('<envelope><params index="1"><to><agent-identifier><name>a@x</name></agent-identifier></to></params></envelope>'),
      'envelope.acl-representation',
    );
    rule(() => parseMtpEnvelope('<nope/>'), 'envelope.root');
    rule(() => multipartBoundary('application/json'), 'multipart.content-type');
    rule(() => multipartBoundary('multipart/mixed'), 'multipart.boundary');
    rule(() => parseMultipart(Buffer.from('--b\r\nContent-Type: x\r\n\r\nbody without end'), 'b'), 'multipart.unterminated');
    rule(() => parseMultipart(Buffer.from('no delimiter'), 'b'), 'multipart.delimiter');
    const many = `${Array.from({ length: 6 }, () => '--b\r\n\r\nx\r\n').join('')}--b--`;
    rule(() => parseMultipart(Buffer.from(many), 'b'), 'multipart.parts');
  });
});
