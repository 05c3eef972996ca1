/**
 * An A2A request's JSON body, read here rather than by express's or the SDK's JSON parsers
 * (review of outboxfix4, 4): those decode whatever `utf-*` charset the client names and skip
 * content types they do not list (the SDK's REST router parses `application/a2a+json` itself,
 * with no shape check), so a shape scan hooked into one of them could be walked around. Every
 * body is read with the same bound, decoded as UTF-8 only, scanned (`jsonShapeRefusal`) and then
 * parsed, whatever its content type; the SDK is handed the parsed value.
 */
import type { IncomingMessage } from 'node:http';
import { jsonShapeRefusal } from '@caxton/core';
import { readBody, type BodyLimit } from '../console/request-body.js';

/** Why a body cannot be read as JSON here: the refusal's HTTP status, code and message. */
export interface A2aBodyRefusal {
  status: number;
  code: 'a2a.body-too-large' | 'a2a.bad-body' | 'a2a.unsupported-charset' | 'a2a.unsupported-encoding' | 'a2a.json-too-complex';
  message: string;
}

/**
 * The charset a Content-Type names, lower-cased, or undefined (none named). A2A's bodies are JSON,
 * whose one interchange encoding is UTF-8 (RFC 8259 §8.1): any other is refused, not decoded.
 */
export function declaredCharset(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  for (const param of contentType.split(';').slice(1)) {
    const eq = param.indexOf('=');
    if (eq < 0) continue;
    if (param.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    return param.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1').toLowerCase();
  }
  return undefined;
}

const UTF8 = new Set(['utf-8', 'utf8']);

/** The text of a body, or why it is refused: UTF-8 only, strictly decoded, then the shape scan. */
export function jsonBodyText(bytes: Buffer, contentType: string | undefined): { text: string } | A2aBodyRefusal {
  const charset = declaredCharset(contentType);
  if (charset !== undefined && !UTF8.has(charset)) {
    return { status: 415, code: 'a2a.unsupported-charset', message: `the body's charset is ${JSON.stringify(charset.slice(0, 40))}; A2A bodies are JSON in UTF-8` };
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { status: 400, code: 'a2a.bad-body', message: 'the request body is not UTF-8' };
  }
  const tooComplex = jsonShapeRefusal(text);
  if (tooComplex !== undefined) return { status: 413, code: 'a2a.json-too-complex', message: tooComplex };
  return { text };
}

/**
 * Read, check and parse `req`'s body: `{ body }` (undefined for an empty one) or the refusal.
 * A compressed body is refused (its inflated size and shape would be checked only after inflating).
 */
export async function readA2aJsonBody(req: IncomingMessage, limit: BodyLimit, idleMs: number): Promise<{ body: unknown } | A2aBodyRefusal> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity') {
    return { status: 415, code: 'a2a.unsupported-encoding', message: `the body's content-encoding is ${JSON.stringify(encoding.slice(0, 40))}; A2A bodies are taken uncompressed` };
  }
  let bytes: Buffer;
  try {
    bytes = await readBody(req, limit, idleMs);
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown };
    if (e?.code === 'console.body-too-large') return { status: 413, code: 'a2a.body-too-large', message: String(e.message) };
    return { status: 400, code: 'a2a.bad-body', message: typeof e?.message === 'string' ? e.message : 'the request body could not be read' };
  }
  if (bytes.length === 0) return { body: undefined };
  const checked = jsonBodyText(bytes, req.headers['content-type']);
  if (!('text' in checked)) return checked;
  try {
    return { body: JSON.parse(checked.text) as unknown };
  } catch {
    return { status: 400, code: 'a2a.bad-body', message: 'the request body is not JSON' };
  }
}
