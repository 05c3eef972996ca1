/**
 * The body of an SC00084 HTTP MTP post: `multipart/mixed` (RFC 2046) with two parts, the XML
 * envelope then the ACL payload. Pure: bytes <-> parts. Strict where being loose would let a
 * sender smuggle something past the envelope (a third part, a part without its delimiter), lenient
 * where JADE is (a preamble, LF or CRLF line ends, `Content-Type: multipart/mixed ; boundary="…"`).
 */
import { MtpFormatError } from './errors.js';

export interface MimePart {
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: Buffer;
}

const MAX_PARTS = 4;
const MAX_PART_HEADER_BYTES = 4096;

function bad(rule: string, message: string): never {
  throw new MtpFormatError(
    rule,
    `multipart body: ${message}`,
    'post multipart/mixed with two parts: the XML envelope (application/xml), then the ACL message (application/text)',
  );
}

/** The boundary of a `multipart/mixed` Content-Type; throws when the type is another. */
export function multipartBoundary(contentType: string | undefined): string {
  if (contentType === undefined) bad('multipart.content-type', 'no Content-Type');
  const [type, ...params] = contentType.split(';');
  if (type!.trim().toLowerCase() !== 'multipart/mixed')
    bad('multipart.content-type', `Content-Type is ${JSON.stringify(type!.trim().slice(0, 60))}, not multipart/mixed`);
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq < 0 || p.slice(0, eq).trim().toLowerCase() !== 'boundary') continue;
    let b = p.slice(eq + 1).trim();
    if (b.startsWith('"') && b.endsWith('"') && b.length >= 2) b = b.slice(1, -1);
    // RFC 2046: 1..70 characters from a small set.
    if (!/^[0-9A-Za-z'()+_,./:=? -]{1,70}$/.test(b) || b.endsWith(' '))
      bad('multipart.boundary', 'the boundary is not an RFC 2046 boundary');
    return b;
  }
  return bad('multipart.boundary', 'Content-Type has no boundary');
}

function lineEnd(body: Buffer, at: number): number {
  // Returns the index after the line break starting at `at`, or -1 when there is none there.
  if (body[at] === 0x0d && body[at + 1] === 0x0a) return at + 2;
  if (body[at] === 0x0a) return at + 1;
  return -1;
}

/** The parts of a multipart body; the preamble and epilogue are ignored, as RFC 2046 says. */
export function parseMultipart(body: Buffer, boundary: string): MimePart[] {
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  // The first delimiter starts the body or a line.
  let at = body.indexOf(delimiter);
  while (at > 0 && body[at - 1] !== 0x0a) at = body.indexOf(delimiter, at + 1);
  if (at < 0) bad('multipart.delimiter', 'no boundary delimiter');
  const parts: MimePart[] = [];
  for (;;) {
    let next = at + delimiter.length;
    if (body[next] === 0x2d && body[next + 1] === 0x2d) return parts; // close delimiter: the epilogue follows
    while (body[next] === 0x20 || body[next] === 0x09) next++; // transport padding
    const start = lineEnd(body, next);
    if (start < 0) bad('multipart.delimiter', 'a delimiter is not followed by a line break');
    if (parts.length >= MAX_PARTS) bad('multipart.parts', `more than ${MAX_PARTS} parts`);
    // The part ends at the next delimiter that starts a line; the line break before it belongs to the delimiter.
    let end = body.indexOf(delimiter, start);
    while (end >= 0 && body[end - 1] !== 0x0a) end = body.indexOf(delimiter, end + 1);
    if (end < 0) bad('multipart.unterminated', `part ${parts.length + 1} has no closing delimiter`);
    const contentEnd = body[end - 2] === 0x0d ? end - 2 : end - 1;
    parts.push(part(body.subarray(start, Math.max(start, contentEnd)), parts.length + 1));
    at = end;
  }
}

function part(raw: Buffer, n: number): MimePart {
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  let i = 0;
  for (;;) {
    if (i > MAX_PART_HEADER_BYTES) bad('multipart.headers', `part ${n}'s headers are longer than ${MAX_PART_HEADER_BYTES} bytes`);
    const blank = lineEnd(raw, i);
    if (blank >= 0) return { headers, body: raw.subarray(blank) };
    let eol = raw.indexOf(0x0a, i);
    if (eol < 0) {
      // Headers only, no blank line: a part with an empty body (RFC 2046 allows it).
      if (i >= raw.length) return { headers, body: Buffer.alloc(0) };
      eol = raw.length;
    }
    const line = raw.subarray(i, raw[eol - 1] === 0x0d ? eol - 1 : eol).toString('latin1');
    const colon = line.indexOf(':');
    if (colon <= 0) bad('multipart.headers', `part ${n} has a header line without a name`);
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    i = eol + 1;
  }
}

/** A multipart/mixed body of `parts`, with JADE's preamble; the boundary must not occur in any part. */
export function encodeMultipart(parts: readonly { contentType: string; body: Buffer }[], boundary: string): Buffer {
  const chunks: Buffer[] = [Buffer.from('This is not part of the MIME multipart encoded message.\r\n', 'latin1')];
  for (const p of parts) {
    if (p.body.includes(`--${boundary}`))
      throw new MtpFormatError('multipart.boundary', 'the boundary occurs in a part', 'pick another boundary', 'internal');
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: ${p.contentType}\r\n\r\n`, 'latin1'), p.body, Buffer.from('\r\n', 'latin1'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`, 'latin1'));
  return Buffer.concat(chunks);
}
